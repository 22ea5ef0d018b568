/**
 * The on-failure message Lambda sends to a DynamoDB stream mapping's destination when it
 * gives up on a batch: invocation metadata plus `DDBStreamBatchInfo`, a pointer to the
 * discarded records (they are not in the message; they stay on the stream for 24 hours).
 * Shape as documented in "Retaining discarded records for a DynamoDB event source in
 * Lambda" (https://docs.aws.amazon.com/lambda/latest/dg/services-dynamodb-errors.html):
 *
 *   "DDBStreamBatchInfo": { "shardId", "startSequenceNumber", "endSequenceNumber",
 *     "approximateArrivalOfFirstRecord", "approximateArrivalOfLastRecord", "batchSize", "streamArn" }
 *
 * Pure: parses text, throws MalformedInputError saying what is wrong.
 */
import { parseStreamArn } from '../src/change-event';
import { MalformedInputError } from '../src/errors';

/** The range of one shard a mapping gave up on. */
export interface BatchPointer {
  readonly streamArn: string;
  readonly tableName: string;
  readonly tableArn: string;
  readonly shardId: string;
  /** First and last sequence number of the range, both included (decimal text). */
  readonly startSequenceNumber: string;
  readonly endSequenceNumber: string;
  readonly batchSize: number;
  readonly approximateArrivalOfFirstRecord?: string;
  readonly approximateArrivalOfLastRecord?: string;
  /** requestContext.condition, e.g. RetryAttemptsExhausted, RecordAgeExceeded. */
  readonly condition?: string;
}

const SEQUENCE = /^[0-9]{1,64}$/;

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function text(info: Record<string, unknown>, name: string): string {
  const value = info[name];
  if (typeof value !== 'string' || value === '') throw new MalformedInputError(`DDBStreamBatchInfo.${name} is missing or not a string`);
  return value;
}

/** Parses one on-failure message body (JSON text). */
export function parseOnFailureMessage(body: string): BatchPointer {
  let message: unknown;
  try {
    message = JSON.parse(body);
  } catch (error) {
    throw new MalformedInputError('the message body is not JSON', { cause: error });
  }
  if (!isObject(message) || !isObject(message.DDBStreamBatchInfo)) {
    throw new MalformedInputError('the message is not a DynamoDB stream on-failure record: it has no DDBStreamBatchInfo object');
  }
  const info = message.DDBStreamBatchInfo;
  const streamArn = text(info, 'streamArn');
  const source = parseStreamArn(streamArn);
  const startSequenceNumber = text(info, 'startSequenceNumber');
  const endSequenceNumber = text(info, 'endSequenceNumber');
  if (!SEQUENCE.test(startSequenceNumber) || !SEQUENCE.test(endSequenceNumber)) {
    throw new MalformedInputError(`DDBStreamBatchInfo sequence numbers must be decimal digits, got ${startSequenceNumber}..${endSequenceNumber}`);
  }
  if (BigInt(startSequenceNumber) > BigInt(endSequenceNumber)) {
    throw new MalformedInputError(`DDBStreamBatchInfo range is reversed: ${startSequenceNumber} > ${endSequenceNumber}`);
  }
  const batchSize = info.batchSize;
  if (typeof batchSize !== 'number' || !Number.isInteger(batchSize) || batchSize < 1) {
    throw new MalformedInputError('DDBStreamBatchInfo.batchSize must be a positive integer');
  }
  const optional = (name: string) => (typeof info[name] === 'string' && info[name] !== '' ? { [name]: info[name] as string } : {});
  const context = isObject(message.requestContext) ? message.requestContext : {};
  return {
    streamArn,
    tableName: source.tableName,
    tableArn: source.tableArn,
    shardId: text(info, 'shardId'),
    startSequenceNumber,
    endSequenceNumber,
    batchSize,
    ...optional('approximateArrivalOfFirstRecord'),
    ...optional('approximateArrivalOfLastRecord'),
    ...(typeof context.condition === 'string' ? { condition: context.condition } : {}),
  };
}
