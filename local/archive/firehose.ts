/**
 * A development stand-in for the archive's Firehose stream: reads the local change stream
 * from its start (as a new Kinesis-sourced Firehose stream does, TRIM_HORIZON), and delivers
 * to local S3 with the template's own prefix, JQ query, delimiter and compression. The buffer
 * interval is shorter than the template's 300 s so a demo shows objects within seconds.
 *
 * Development tooling only: never bundled into a Lambda function.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { S3Client } from '@aws-sdk/client-s3';
import { followKinesis, type KinesisFollower } from '../kinesis-reader';
import { loadArchiveDeliveryConfig, type ArchiveDeliveryConfig } from './delivery-config';
import { createS3Sink, ensureBucket } from './s3-sink';
import { createArchiveWriter, type ArchiveWriter, type ArchiveWriterStats, type IncomingRecord } from './writer';

export interface LocalFirehoseOptions {
  readonly kinesis: KinesisClient;
  readonly s3: S3Client;
  readonly streamName: string;
  readonly bucket: string;
  /** Name used in object keys (Firehose puts its stream name there). */
  readonly deliveryStreamName?: string;
  readonly config?: ArchiveDeliveryConfig;
  /** Buffer interval of the stand-in (default 5 s). */
  readonly intervalMs?: number;
  readonly onError?: (error: unknown) => void;
}

export interface LocalFirehose {
  readonly bucket: string;
  readonly config: ArchiveDeliveryConfig;
  /** Delivers everything buffered now (waits for records still being partitioned). */
  flush(): Promise<void>;
  stats(): ArchiveWriterStats & { readonly received: number };
  stop(): Promise<void>;
}

export async function startLocalFirehose(options: LocalFirehoseOptions): Promise<LocalFirehose> {
  const config = options.config ?? loadArchiveDeliveryConfig();
  await ensureBucket(options.s3, options.bucket);
  const writer: ArchiveWriter = createArchiveWriter({
    config,
    sink: createS3Sink(options.s3, options.bucket),
    streamName: options.deliveryStreamName ?? 'dms-event-bus-archive',
    intervalMs: options.intervalMs ?? 5_000,
  });
  // One chain: partitioning and delivery happen in arrival order, never two at once.
  let chain: Promise<void> = Promise.resolve();
  let pending: IncomingRecord[] = [];
  const enqueue = (step: () => Promise<void>) => {
    chain = chain.then(step).catch((error: unknown) => options.onError?.(error));
    return chain;
  };
  const drainPending = () => {
    const batch = pending;
    pending = [];
    return batch.length > 0 ? writer.write(batch) : Promise.resolve();
  };
  const follower: KinesisFollower = await followKinesis({
    client: options.kinesis,
    streamName: options.streamName,
    from: 'TRIM_HORIZON',
    onRecord: (record) => {
      pending.push({ data: record.data, arrivedAt: record.arrivedAt });
      if (pending.length === 1) void enqueue(drainPending);
    },
    onError: options.onError,
  });
  const timer = setInterval(() => void enqueue(async () => {
    await drainPending();
    await writer.flushDue();
  }), 1_000);
  timer.unref();

  return {
    bucket: options.bucket,
    config,
    flush: () => enqueue(async () => {
      await drainPending();
      await writer.flushAll();
    }),
    stats: () => ({ ...writer.stats(), received: follower.received() }),
    async stop() {
      clearInterval(timer);
      await follower.stop();
      await enqueue(async () => {
        await drainPending();
        await writer.flushAll();
      });
    },
  };
}
