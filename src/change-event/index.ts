/** The change-event codec: DynamoDB values to exact JSON, the v1 envelope, partition keys. */
export type { AttributeMap, AttributeValue, Binary } from './attribute-value';
export { hasSortedNames, InvalidAttributeValueError, quote, writeAttributeMap, writeAttributeValue, writeCanonicalAttributeMap } from './json-writer';
export { MAX_PARTITION_KEY_LENGTH, partitionKeyFor, partitionKeyFromCanonicalKeys } from './partition-key';
export {
  CHANGE_EVENT_SCHEMA_VERSION,
  DEFAULT_MAX_RECORD_BYTES,
  encodeChangeEvent,
  EventTooLargeError,
  Operation,
  SnapshotReason,
  TruncatedField,
  type SnapshotInfo,
  type ChangeEventV1,
  type ChangeFields,
  type EncodedChangeEvent,
  type EncodeOptions,
  type JsonValue,
} from './change-event';
export { CreationTimeWindow, creationTimeToIso, epochNumberToMs } from './creation-time';
export { changeFieldsFromStreamRecord, isTtlDeletion, parseStreamArn, type DynamoDbStreamRecord, type StreamSource } from './stream-record';
export { encodeSnapshotEvent, keysOfItem, snapshotEventId, type SnapshotInput } from './snapshot';
export {
  applyOrigin,
  compileOriginOptions,
  DEFAULT_ORIGIN_ATTRIBUTES,
  DEFAULT_ORIGIN_OPTIONS,
  DMS_HEADER_EXPRESSIONS,
  extractOrigin,
  hasOriginAttribute,
  normalizeCommitTimestamp,
  originAttributeList,
  type CompiledOriginOptions,
  type Origin,
  type OriginAttributeNames,
  type OriginExtraction,
  type OriginOptions,
} from './origin';
export { encodeUnconvertibleEvent, UnconvertibleReason, unconvertibleReasonOf, type UnconvertibleOptions } from './unconvertible';
export { convertStreamRecords, type ConvertOptions, type Converted, type UnconvertibleRecord } from './convert';
