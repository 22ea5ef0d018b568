/**
 * The part of an event source mapping the local poller acts on, read from the Lambda
 * API's EventSourceMappingConfiguration with Lambda's documented defaults filled in.
 */
import type { EventSourceMappingConfiguration } from '@aws-sdk/client-lambda';

/** One enabled DynamoDB-stream mapping as the poller runs it. */
export interface StreamMapping {
  readonly uuid: string;
  readonly functionArn: string;
  /** The function name (last ARN segment), used to find the in-process handler. */
  readonly functionName: string;
  readonly streamArn: string;
  readonly startingPosition: 'TRIM_HORIZON' | 'LATEST';
  readonly batchSize: number;
  readonly maximumBatchingWindowMs: number;
  /** -1 = infinite (Lambda's default). */
  readonly maximumRetryAttempts: number;
  /** -1 = infinite (Lambda's default). */
  readonly maximumRecordAgeSeconds: number;
  readonly bisectBatchOnFunctionError: boolean;
  readonly reportBatchItemFailures: boolean;
  /** ARN of the on-failure destination (SQS queue), if any. */
  readonly onFailureDestination?: string;
}

const DYNAMODB_STREAM_ARN = /^arn:[^:]+:dynamodb:[^:]*:[^:]*:table\/[^/]+\/stream\/.+$/;

/** Table name of a DynamoDB stream ARN (`arn:…:table/NAME/stream/LABEL`). */
export function tableNameOfStreamArn(streamArn: string): string {
  const match = /:table\/([^/]+)\/stream\//.exec(streamArn);
  return match?.[1] ?? streamArn;
}

/** Function name from a name, a function ARN or a qualified function ARN. */
export function functionNameOf(functionArnOrName: string): string {
  const parts = functionArnOrName.split(':');
  if (parts.length >= 7 && parts[5] === 'function') return parts[6]!;
  return functionArnOrName;
}

/**
 * Returns the mapping if it is an enabled DynamoDB-stream mapping the poller must run, or
 * undefined for anything else (Kinesis/SQS sources, Disabled/Deleting/Creating states).
 */
export function toStreamMapping(config: EventSourceMappingConfiguration): StreamMapping | undefined {
  const { UUID, FunctionArn, EventSourceArn, State } = config;
  if (!UUID || !FunctionArn || !EventSourceArn || !DYNAMODB_STREAM_ARN.test(EventSourceArn)) return undefined;
  // moto reports "Enabled"; real Lambda passes Creating/Enabling first. Only Enabled is polled.
  if (State !== undefined && State !== 'Enabled') return undefined;
  const startingPosition = config.StartingPosition === 'LATEST' ? 'LATEST' : 'TRIM_HORIZON';
  return {
    uuid: UUID,
    functionArn: FunctionArn,
    functionName: functionNameOf(FunctionArn),
    streamArn: EventSourceArn,
    startingPosition,
    batchSize: config.BatchSize ?? 100,
    maximumBatchingWindowMs: (config.MaximumBatchingWindowInSeconds ?? 0) * 1000,
    maximumRetryAttempts: config.MaximumRetryAttempts ?? -1,
    maximumRecordAgeSeconds: config.MaximumRecordAgeInSeconds ?? -1,
    bisectBatchOnFunctionError: config.BisectBatchOnFunctionError ?? false,
    reportBatchItemFailures: (config.FunctionResponseTypes ?? []).includes('ReportBatchItemFailures'),
    onFailureDestination: config.DestinationConfig?.OnFailure?.Destination || undefined,
  };
}

/** True when the settings that change how records are delivered differ (the worker restarts). */
export function mappingChanged(a: StreamMapping, b: StreamMapping): boolean {
  return JSON.stringify(a) !== JSON.stringify(b);
}
