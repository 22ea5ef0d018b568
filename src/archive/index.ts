/** The change archive in S3 (written by Firehose): key layout, object decoding, partition keys for replay. */
export { compareKeys, parseArchiveDate, parseArchiveKey, parseS3Url, selectArchiveObjects, type ArchiveFilter, type ArchiveKey, type ArchiveSelection } from './keys';
export { ArchiveObjectError, decodeArchiveObject, objectText, type ArchivedRecord } from './records';
export { partitionKeyOfEvent } from './partition-key';
export { ArchiveSourceError, createS3ArchiveSource, type ArchiveSource } from './s3-archive';
