/**
 * `dms-event-bus replay --from s3://BUCKET/PREFIX [--table T] [--since DATE] [--until DATE] (--to-stream NAME | --json)`:
 * archived change events back out, in archive order, as JSON lines on stdout or onto a Kinesis
 * stream. Progress goes to stderr; any unreadable input stops it with a message and exit code 1.
 */
import { createKinesisClient } from '../../src/aws/clients';
import { createS3Client } from '../../src/archive/s3-client';
import { ArchiveSourceError, createS3ArchiveSource, parseArchiveDate, parseS3Url } from '../../src/archive';
import { MalformedInputError } from '../../src/errors';
import { createKinesisPort, createPublisher } from '../../src/publisher';
import { UsageError, UserFacingError } from '../errors';
import { ReplayInputError, runReplay, type ReplayProgress } from '../replay/replay';
import { createJsonLinesSink, createStreamSink, ReplayPublishError } from '../replay/sinks';

export const REPLAY_USAGE = `  replay --from s3://BUCKET/PREFIX [--table T] [--since YYYY-MM-DD] [--until YYYY-MM-DD] (--to-stream NAME | --json)
                         archived change events in archive order: as JSON lines, or put on a Kinesis stream`;

export interface ReplayValues {
  readonly from?: string;
  readonly table?: string;
  readonly since?: string;
  readonly until?: string;
  readonly 'to-stream'?: string;
  readonly json?: boolean;
}

export interface ReplayIo {
  out(text: string): void;
  err(text: string): void;
}

function progressReporter(io: ReplayIo, intervalMs = 1_000) {
  let last = 0;
  return (progress: ReplayProgress) => {
    const now = Date.now();
    if (progress.objects !== progress.totalObjects && now - last < intervalMs) return;
    last = now;
    io.err(`replay: ${progress.objects}/${progress.totalObjects} objects, ${progress.events} events${progress.duplicates ? `, ${progress.duplicates} repeated ids left out` : ''} (${progress.key})`);
  };
}

/** Runs the replay command; returns the exit code (throws UserFacingError / UsageError for the CLI to print). */
export async function replayCommand(args: readonly string[], values: ReplayValues, io: ReplayIo): Promise<number> {
  if (args.length > 0) throw new UsageError(`replay takes no positional arguments (got ${args.join(' ')})`);
  if (!values.from) throw new UsageError('replay needs --from s3://BUCKET/PREFIX');
  if (Boolean(values['to-stream']) === Boolean(values.json)) throw new UsageError('replay needs exactly one of --to-stream NAME or --json');
  let location;
  let filter;
  try {
    location = parseS3Url(values.from);
    filter = {
      ...(values.table ? { table: values.table } : {}),
      ...(values.since ? { since: parseArchiveDate(values.since, '--since') } : {}),
      ...(values.until ? { until: parseArchiveDate(values.until, '--until') } : {}),
    };
  } catch (error) {
    if (error instanceof MalformedInputError) throw new UsageError(error.message);
    throw error;
  }
  if (filter.since && filter.until && filter.since > filter.until) throw new UsageError(`--since ${filter.since} is after --until ${filter.until}`);
  const streamName = values['to-stream'];
  const sink = streamName
    ? createStreamSink({ streamName, publisher: createPublisher({ port: createKinesisPort({ client: createKinesisClient(), streamName }), maxAttempts: 8 }) })
    : createJsonLinesSink(io.out);
  const started = Date.now();
  try {
    const summary = await runReplay({ ...location, filter, source: createS3ArchiveSource(createS3Client()), sink, onProgress: progressReporter(io) });
    const seconds = (Date.now() - started) / 1000;
    if (summary.objects === 0) {
      io.err(`replay: nothing to replay: no archive objects under ${values.from}${filter.table ? ` for table ${filter.table}` : ''}${filter.since ? ` since ${filter.since}` : ''}${filter.until ? ` until ${filter.until}` : ''}.`);
      return 0;
    }
    io.err(
      `replay: ${summary.events} events from ${summary.objects} objects (${summary.bytes} bytes) ${streamName ? `put on ${streamName}` : 'printed'} in ${seconds.toFixed(1)} s` +
        `${summary.duplicates ? `; ${summary.duplicates} repeated ids left out` : ''}. Consumers de-duplicate by event id, so replaying again is safe.`,
    );
    return 0;
  } catch (error) {
    if (error instanceof ReplayInputError || error instanceof ReplayPublishError || error instanceof ArchiveSourceError) throw new UserFacingError(`replay: ${error.message}`, { cause: error });
    throw error;
  }
}
