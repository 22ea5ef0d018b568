/**
 * Turns DynamoDB Streams records, as the SDK's GetRecords returns them, into the records
 * of the event Lambda's event source mapping delivers: eventVersion 1.1, eventSourceARN,
 * ApproximateCreationDateTime in epoch seconds, binary values as base64 strings.
 */
import type { AttributeValue as SdkAttributeValue, _Record as SdkStreamRecord } from '@aws-sdk/client-dynamodb-streams';
import type { AttributeValue, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';

/** A Lambda DynamoDB record whose sequence number is known (the poller never delivers one without). */
export type LambdaDynamoDbRecord = DynamoDBRecord & { dynamodb: NonNullable<DynamoDBRecord['dynamodb']> & { SequenceNumber: string } };

const toBase64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

/** Converts one SDK attribute value (Uint8Array binaries) to Lambda's JSON form (base64 binaries). */
export function toLambdaAttribute(value: SdkAttributeValue): AttributeValue {
  if (value.B !== undefined) return { B: toBase64(value.B) };
  if (value.BS !== undefined) return { BS: value.BS.map(toBase64) };
  if (value.M !== undefined) return { M: toLambdaImage(value.M) };
  if (value.L !== undefined) return { L: value.L.map(toLambdaAttribute) };
  if (value.S !== undefined) return { S: value.S };
  if (value.N !== undefined) return { N: value.N };
  if (value.BOOL !== undefined) return { BOOL: value.BOOL };
  if (value.NULL !== undefined) return { NULL: value.NULL };
  if (value.SS !== undefined) return { SS: value.SS };
  if (value.NS !== undefined) return { NS: value.NS };
  throw new TypeError(`unsupported DynamoDB attribute value with keys ${Object.keys(value).join(',')}`);
}

export function toLambdaImage(image: Record<string, SdkAttributeValue>): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const [name, value] of Object.entries(image)) out[name] = toLambdaAttribute(value);
  return out;
}

function epochSeconds(value: Date | number | undefined): number | undefined {
  if (value === undefined) return undefined;
  // Lambda delivers whole seconds (e.g. 1479499740); the Streams API returns a timestamp.
  return value instanceof Date ? Math.floor(value.getTime() / 1000) : Math.floor(value);
}

/** Builds the Lambda event record for one stream record of `eventSourceArn`. */
export function toLambdaRecord(record: SdkStreamRecord, eventSourceArn: string, region: string): LambdaDynamoDbRecord {
  const stream = record.dynamodb;
  if (!stream?.SequenceNumber) throw new TypeError('stream record without dynamodb.SequenceNumber');
  const dynamodb: LambdaDynamoDbRecord['dynamodb'] = {
    ApproximateCreationDateTime: epochSeconds(stream.ApproximateCreationDateTime),
    Keys: stream.Keys ? toLambdaImage(stream.Keys) : undefined,
    NewImage: stream.NewImage ? toLambdaImage(stream.NewImage) : undefined,
    OldImage: stream.OldImage ? toLambdaImage(stream.OldImage) : undefined,
    SequenceNumber: stream.SequenceNumber,
    SizeBytes: stream.SizeBytes,
    StreamViewType: stream.StreamViewType,
  };
  for (const key of Object.keys(dynamodb) as (keyof typeof dynamodb)[]) {
    if (dynamodb[key] === undefined) delete dynamodb[key];
  }
  const out: LambdaDynamoDbRecord = {
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: record.awsRegion ?? region,
    dynamodb,
    eventSourceARN: eventSourceArn,
  };
  // Present only for TTL deletions (principalId dynamodb.amazonaws.com), as in Lambda's events.
  if (record.userIdentity) out.userIdentity = { type: record.userIdentity.Type, principalId: record.userIdentity.PrincipalId };
  return out;
}

/** The event object Lambda passes to the function for one batch. */
export function toLambdaEvent(records: readonly LambdaDynamoDbRecord[]): DynamoDBStreamEvent {
  return { Records: [...records] };
}

/** Milliseconds since epoch at which the record was written (second precision), if known. */
export function recordCreatedAtMs(record: LambdaDynamoDbRecord): number | undefined {
  const seconds = record.dynamodb.ApproximateCreationDateTime;
  return seconds === undefined ? undefined : seconds * 1000;
}
