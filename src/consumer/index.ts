/**
 * dms-event-bus/consumer: what a consumer of the change stream needs. Decode Kinesis records
 * into typed change events, read their values exactly, fold them into each table's state by
 * the merge rule (Materializer), and answer Lambda with partial batch responses. No AWS SDK
 * is needed at run time.
 */
export { decodeChangeEvent, decodeGetRecords, decodeKinesisEvent, decodeLambdaRecord, parseChangeEvent } from './decode';
export type { ChangeRecord, GetRecordsRecord, LambdaKinesisEvent, LambdaKinesisRecord } from './decode';
export { ConsumerKitError, NotAChangeEventError, UnsupportedSchemaVersionError, ValueFormatError } from './errors';
export { itemKey, itemKeyOf } from './item-key';
export { ApplyOutcome, Materializer, type ItemState, type MaterializerOptions } from './materializer';
export { compareGenerations, decide, Decision, HEAL_MARGIN_MS, resolve, slotsGeneration, slotsOf, streamGeneration, versionOf, winnerOf, type Resolution, type Slots, type Version } from './merge-rule';
export { processKinesisBatch, type BatchFailure, type KinesisBatchResponse, type ProcessBatchOptions } from './partial-batch';
export { DEFAULT_MAX_TOMBSTONES_PER_TABLE, DEFAULT_TOMBSTONE_RETENTION_MS, TombstoneLedger, type TombstoneEviction, type TombstonePolicy } from './tombstones';
export {
  ChangeOperation,
  SCHEMA_VERSION,
  SnapshotReason,
  type ChangeEvent,
  type ChangeOrigin,
  type ChangeSource,
  type Item,
  type JsonValue,
  type SnapshotInfo,
  type UnconvertibleError,
} from './types';
export { decimalText, fromBase64, isIntegral, toBigInt, toNumber } from './values';
