/** The Kinesis publisher shared by the forwarder and the backfill. */
export { DEFAULT_LIMITS, planWave, recordBytes, writtenPrefix, type PutRecordsLimits } from './plan';
export { createPublisher, PublishOutcome, type PublishCallOptions, type Publisher, type PublisherOptions, type PublishResult } from './publisher';
export { createKinesisPort, toPublishRequestError, type KinesisPortOptions } from './kinesis-port';
export { PublishRequestError, type EntryResult, type PublishRecord, type PutRecordsPort } from './types';
