/**
 * The archive's Firehose settings, read from template.yaml (ArchiveDeliveryStream), so the
 * local stand-in and the tests write and read exactly the layout the deployed stream
 * writes: prefix, error prefix, JQ metadata query, record delimiter, compression, buffering.
 *
 * Development tooling only: never bundled into a Lambda function.
 */
import { join } from 'node:path';
import { loadTemplate } from '../../scripts/cfn-yaml.mjs';

/** The template this project deploys. */
export const PROJECT_TEMPLATE = join(__dirname, '..', '..', 'template.yaml');

/** The logical id of the delivery stream in template.yaml. */
export const ARCHIVE_DELIVERY_STREAM = 'ArchiveDeliveryStream';

/** What a stand-in needs to write objects the way Firehose does. */
export interface ArchiveDeliveryConfig {
  /** S3 key prefix with Firehose expressions, e.g. `changes/table=!{partitionKeyFromQuery:table}/...`. */
  readonly prefix: string;
  readonly errorOutputPrefix: string;
  /** The JQ 1.6 query of the MetadataExtraction processor; its object's keys are the partition keys. */
  readonly metadataExtractionQuery: string;
  readonly jsonParsingEngine: string;
  /** Bytes appended after every record (AppendDelimiterToRecord), decoded (`\n` is one newline). */
  readonly delimiter: string;
  /** `GZIP` or `UNCOMPRESSED` (the ones this stand-in implements). */
  readonly compression: 'GZIP' | 'UNCOMPRESSED';
  /** File extension Firehose appends for the compression (`.gz` for GZIP). */
  readonly fileExtension: string;
  readonly bufferSizeMiB: number;
  readonly bufferIntervalSeconds: number;
}

/** The template does not describe an archive this stand-in can reproduce. */
export class ArchiveConfigError extends Error {
  override readonly name = 'ArchiveConfigError';
}

interface Processor {
  Type: string;
  Parameters?: { ParameterName: string; ParameterValue: string }[];
}

function parameter(processor: Processor | undefined, name: string): string | undefined {
  return processor?.Parameters?.find((entry) => entry.ParameterName === name)?.ParameterValue;
}

/**
 * Decodes the Delimiter parameter as Firehose does: the value is the text of a JSON string
 * literal without its quotes (`\n` = newline). No Delimiter means a newline (AWS's default).
 */
export function decodeDelimiter(value: string | undefined): string {
  if (value === undefined) return '\n';
  try {
    return JSON.parse(`"${value}"`) as string;
  } catch (error) {
    throw new ArchiveConfigError(`the AppendDelimiterToRecord Delimiter ${JSON.stringify(value)} is not an escaped string`, { cause: error });
  }
}

/** Reads the archive's delivery settings from a template (default: the project's template.yaml). */
export function loadArchiveDeliveryConfig(templatePath: string = PROJECT_TEMPLATE): ArchiveDeliveryConfig {
  const template = loadTemplate(templatePath) as { Resources?: Record<string, { Type: string; Properties: Record<string, any> }> };
  const resource = template.Resources?.[ARCHIVE_DELIVERY_STREAM];
  if (!resource || resource.Type !== 'AWS::KinesisFirehose::DeliveryStream') {
    throw new ArchiveConfigError(`${templatePath} has no ${ARCHIVE_DELIVERY_STREAM} of type AWS::KinesisFirehose::DeliveryStream`);
  }
  const s3 = resource.Properties.ExtendedS3DestinationConfiguration ?? {};
  const processors: Processor[] = s3.ProcessingConfiguration?.Processors ?? [];
  const extraction = processors.find((processor) => processor.Type === 'MetadataExtraction');
  const delimiter = processors.find((processor) => processor.Type === 'AppendDelimiterToRecord');
  const query = parameter(extraction, 'MetadataExtractionQuery');
  if (typeof s3.Prefix !== 'string' || typeof s3.ErrorOutputPrefix !== 'string') throw new ArchiveConfigError('Prefix and ErrorOutputPrefix must be plain strings');
  if (!query) throw new ArchiveConfigError('no MetadataExtraction processor with a MetadataExtractionQuery');
  if (!delimiter) throw new ArchiveConfigError('no AppendDelimiterToRecord processor: records would be concatenated without a separator');
  const compression = s3.CompressionFormat ?? 'UNCOMPRESSED';
  if (compression !== 'GZIP' && compression !== 'UNCOMPRESSED') throw new ArchiveConfigError(`compression ${compression} is not implemented by the stand-in`);
  return {
    prefix: s3.Prefix,
    errorOutputPrefix: s3.ErrorOutputPrefix,
    metadataExtractionQuery: query,
    jsonParsingEngine: parameter(extraction, 'JsonParsingEngine') ?? 'JQ-1.6',
    delimiter: decodeDelimiter(parameter(delimiter, 'Delimiter')),
    compression,
    fileExtension: typeof s3.FileExtension === 'string' ? s3.FileExtension : compression === 'GZIP' ? '.gz' : '',
    bufferSizeMiB: Number(s3.BufferingHints?.SizeInMBs ?? 5),
    bufferIntervalSeconds: Number(s3.BufferingHints?.IntervalInSeconds ?? 300),
  };
}
