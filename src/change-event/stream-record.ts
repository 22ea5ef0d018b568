/**
 * Reads one record of a Lambda DynamoDB Streams event into the fields of a change event.
 * The event is input from outside, so every field is checked and a bad record fails with
 * a MalformedInputError saying what is wrong (the forwarder reports it, never drops it).
 */
import { MalformedInputError } from '../errors';
import type { AttributeMap } from './attribute-value';
import { Operation, type ChangeFields } from './change-event';
import { creationTimeToIso } from './creation-time';

/** The parts of a Lambda DynamoDB stream record the forwarder reads. */
export interface DynamoDbStreamRecord {
  eventID?: string;
  eventName?: string;
  eventSource?: string;
  eventSourceARN?: string;
  awsRegion?: string;
  userIdentity?: unknown;
  dynamodb?: {
    /** Seconds since the epoch in Lambda events (also ms, µs, E-notation: see creation-time.ts); a Date from the SDK. */
    ApproximateCreationDateTime?: number | Date | string;
    Keys?: AttributeMap;
    NewImage?: AttributeMap;
    OldImage?: AttributeMap;
    SequenceNumber?: string;
    SizeBytes?: number;
    StreamViewType?: string;
  };
}

const OPERATIONS: Readonly<Record<string, Operation>> = {
  INSERT: Operation.Insert,
  MODIFY: Operation.Modify,
  REMOVE: Operation.Remove,
};

/** arn:<partition>:dynamodb:<region>:<account>:table/<name>/stream/<label> */
const STREAM_ARN = /^(arn:[^:]+:dynamodb:([^:]*):[^:]*:table\/([^/]+))\/stream\/[^/]+$/;

export interface StreamSource {
  tableName: string;
  tableArn: string;
  streamArn: string;
  region: string;
}

/** Table name, table ARN and region from a DynamoDB stream ARN. */
export function parseStreamArn(streamArn: string): StreamSource {
  const match = STREAM_ARN.exec(streamArn);
  if (!match) throw new MalformedInputError(`eventSourceARN is not a DynamoDB stream ARN: "${streamArn}"`);
  return { tableArn: match[1] as string, region: match[2] as string, tableName: match[3] as string, streamArn };
}

// A batch comes from one stream, so the last ARN and creation second repeat record after record.
let lastArn: StreamSource | undefined;
function cachedStreamArn(streamArn: string): StreamSource {
  if (lastArn?.streamArn !== streamArn) lastArn = parseStreamArn(streamArn);
  return lastArn;
}

/** Deletions by DynamoDB's TTL process carry this service identity. */
export function isTtlDeletion(userIdentity: unknown): boolean {
  if (userIdentity === null || typeof userIdentity !== 'object') return false;
  const identity = userIdentity as { type?: unknown; principalId?: unknown };
  return identity.type === 'Service' && identity.principalId === 'dynamodb.amazonaws.com';
}

function isObject(value: unknown): boolean {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The change-event fields of one stream record; throws MalformedInputError when it is not one. */
export function changeFieldsFromStreamRecord(record: DynamoDbStreamRecord): ChangeFields {
  if (record === null || typeof record !== 'object') throw new MalformedInputError('stream record is not an object');
  const { eventID, eventName, eventSourceARN, dynamodb } = record;
  if (typeof eventID !== 'string' || eventID === '') throw new MalformedInputError('stream record has no eventID');
  const operation = typeof eventName === 'string' ? OPERATIONS[eventName] : undefined;
  if (!operation) throw new MalformedInputError(`stream record ${eventID} has an unknown eventName "${String(eventName)}"`);
  if (typeof eventSourceARN !== 'string') throw new MalformedInputError(`stream record ${eventID} has no eventSourceARN`);
  const source = cachedStreamArn(eventSourceARN);
  if (dynamodb === undefined || !isObject(dynamodb)) throw new MalformedInputError(`stream record ${eventID} has no dynamodb section`);
  if (typeof dynamodb.SequenceNumber !== 'string') throw new MalformedInputError(`stream record ${eventID} has no SequenceNumber`);
  if (dynamodb.Keys === undefined || !isObject(dynamodb.Keys)) throw new MalformedInputError(`stream record ${eventID} has no Keys`);
  // Checked one by one (not by looping over a literal array): this runs for every record.
  if (dynamodb.OldImage !== undefined && !isObject(dynamodb.OldImage)) throw new MalformedInputError(`stream record ${eventID} has a OldImage that is not a map`);
  if (dynamodb.NewImage !== undefined && !isObject(dynamodb.NewImage)) throw new MalformedInputError(`stream record ${eventID} has a NewImage that is not a map`);
  return {
    id: eventID,
    operation,
    tableName: source.tableName,
    tableArn: source.tableArn,
    streamArn: source.streamArn,
    region: typeof record.awsRegion === 'string' && record.awsRegion !== '' ? record.awsRegion : source.region,
    keys: dynamodb.Keys,
    oldImage: dynamodb.OldImage ?? null,
    newImage: dynamodb.NewImage ?? null,
    sequenceNumber: dynamodb.SequenceNumber,
    approximateCreationTime: creationTimeToIso(dynamodb.ApproximateCreationDateTime),
    readAt: null,
    ttlDeletion: operation === Operation.Remove && isTtlDeletion(record.userIdentity),
    // Declared here, filled by applyOrigin: every fields object keeps one shape (V8 hidden class).
    origin: undefined,
    omitFromImages: undefined,
  };
}
