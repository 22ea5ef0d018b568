/**
 * Turns whatever invoked the reconciler into a request: a CloudTrail API-call event from
 * EventBridge, a scheduled event, or a direct invocation by an operator or the CLI.
 * Pure: takes the event and the function's own account/region and filter, returns data.
 */
import { MalformedInputError } from '../src/errors';
import type { TableFilter } from '../src/table-filter';
import { foreignTableReason, parseTableReference } from '../src/table-name';

export const TABLE_EVENT_NAMES = ['CreateTable', 'UpdateTable', 'DeleteTable'] as const;
export type TableEventName = (typeof TABLE_EVENT_NAMES)[number];

export type ReconcilerRequest =
  | { kind: 'table-event'; tableName: string; eventName: TableEventName; creatorArn?: string; eventId?: string }
  | { kind: 'ignored'; reason: string; tableName?: string; eventName?: string }
  | { kind: 'sweep'; dryRun: boolean; startAfter?: string; scheduled: boolean }
  | { kind: 'reconcile'; tables: string[]; dryRun: boolean }
  | { kind: 'status'; tables: string[] }
  | { kind: 'backfill'; event: Record<string, unknown> }
  /** The redriver's `Changes Lost` announcement: heal the table. */
  | { kind: 'changes-lost'; lost: LostRangeDetail };

/** The parts of a `Changes Lost` event's detail the reconciler uses. */
export interface LostRangeDetail {
  table: string;
  streamArn: string;
  shardId: string;
  startSequenceNumber: string;
  endSequenceNumber: string;
  reason: string;
}

/** Source and detail-type of the redriver's announcement of a range the stream no longer holds. */
export const CHANGES_LOST_EVENT = { source: 'dms-event-bus', detailType: 'Changes Lost' } as const;

export interface ParseContext {
  account: string;
  region: string;
  filter: TableFilter;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalBoolean(event: Json, key: string): boolean {
  const value = event[key];
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw new MalformedInputError(`"${key}" must be a boolean`);
  return value;
}

/** The names in "tables"; a table ARN of this account and region counts as its name. */
function tableList(event: Json, context: ParseContext): string[] {
  const tables = event.tables;
  if (!Array.isArray(tables) || tables.length === 0 || !tables.every((t) => typeof t === 'string' && t.length > 0)) {
    throw new MalformedInputError('"tables" must be a non-empty array of table names');
  }
  return (tables as string[]).map((table) => {
    const reference = parseTableReference(table);
    const foreign = foreignTableReason(reference, context.account, context.region);
    if (foreign) throw new MalformedInputError(`"tables" holds ${table}: a ${foreign}`);
    return reference.name;
  });
}

function parseDirect(event: Json, context: ParseContext): ReconcilerRequest {
  switch (event.action) {
    case 'reconcile':
      return { kind: 'reconcile', tables: tableList(event, context), dryRun: optionalBoolean(event, 'dryRun') };
    case 'status':
      return { kind: 'status', tables: tableList(event, context) };
    case 'sweep': {
      if (event.startAfter !== undefined && typeof event.startAfter !== 'string') throw new MalformedInputError('"startAfter" must be a string');
      return { kind: 'sweep', dryRun: optionalBoolean(event, 'dryRun'), scheduled: false, ...(typeof event.startAfter === 'string' ? { startAfter: event.startAfter } : {}) };
    }
    case 'backfill':
      return { kind: 'backfill', event };
    default:
      throw new MalformedInputError(`unknown action ${JSON.stringify(event.action)}; expected reconcile, status, sweep or backfill`);
  }
}

function nameIfReadable(value: string): string | undefined {
  try {
    return parseTableReference(value).name;
  } catch {
    return undefined;
  }
}

function parseCloudTrail(event: Json, context: ParseContext): ReconcilerRequest {
  const detail = event.detail;
  if (!isObject(detail)) throw new MalformedInputError('CloudTrail event has no "detail" object');
  const eventName = detail.eventName;
  if (typeof eventName !== 'string') throw new MalformedInputError('CloudTrail event has no detail.eventName');
  if (detail.eventSource !== 'dynamodb.amazonaws.com' || !(TABLE_EVENT_NAMES as readonly string[]).includes(eventName)) {
    return { kind: 'ignored', reason: `not a DynamoDB table event (${String(detail.eventSource)} ${eventName})`, eventName };
  }
  const request = isObject(detail.requestParameters) ? detail.requestParameters : {};
  const response = isObject(detail.responseElements) ? detail.responseElements : {};
  const description = isObject(response.tableDescription) ? response.tableDescription : {};
  // The request's TableName may be the table's ARN; the response's tableDescription has the name.
  const named = request.tableName ?? description.tableName;
  if (detail.errorCode !== undefined && detail.errorCode !== null) {
    const tableName = typeof named === 'string' ? nameIfReadable(named) : undefined;
    return { kind: 'ignored', reason: `the ${eventName} call failed (${String(detail.errorCode)})`, eventName, ...(tableName ? { tableName } : {}) };
  }
  if (typeof named !== 'string' || named.length === 0) throw new MalformedInputError(`${eventName} event names no table (requestParameters.tableName)`);
  const reference = parseTableReference(named);
  const tableName = reference.name;
  const account = typeof event.account === 'string' ? event.account : detail.recipientAccountId;
  const region = typeof event.region === 'string' ? event.region : detail.awsRegion;
  if (account !== context.account || region !== context.region) {
    return { kind: 'ignored', reason: `event for account ${String(account)} region ${String(region)}, not this function's ${context.account} ${context.region}`, tableName, eventName };
  }
  const foreign = foreignTableReason(reference, context.account, context.region);
  if (foreign) return { kind: 'ignored', reason: foreign, tableName, eventName };
  const identity = isObject(detail.userIdentity) ? detail.userIdentity : {};
  const session = isObject(identity.sessionContext) ? identity.sessionContext : {};
  const issuer = isObject(session.sessionIssuer) ? session.sessionIssuer : {};
  const creatorArn = typeof issuer.arn === 'string' ? issuer.arn : typeof identity.arn === 'string' ? identity.arn : undefined;
  const rejection = context.filter.reject(tableName, creatorArn);
  if (rejection) return { kind: 'ignored', reason: `table ${rejection}`, tableName, eventName };
  return {
    kind: 'table-event',
    tableName,
    eventName: eventName as TableEventName,
    ...(creatorArn ? { creatorArn } : {}),
    ...(typeof detail.eventID === 'string' ? { eventId: detail.eventID } : {}),
  };
}

function parseChangesLost(event: Json, context: ParseContext): ReconcilerRequest {
  const detail = event.detail;
  if (!isObject(detail)) throw new MalformedInputError('Changes Lost event has no "detail" object');
  const field = (name: string): string => {
    const value = detail[name];
    if (typeof value !== 'string' || value.length === 0) throw new MalformedInputError(`Changes Lost event has no detail.${name}`);
    return value;
  };
  const lost: LostRangeDetail = {
    table: field('table'), streamArn: field('streamArn'), shardId: field('shardId'),
    startSequenceNumber: field('startSequenceNumber'), endSequenceNumber: field('endSequenceNumber'), reason: field('reason'),
  };
  const account = typeof event.account === 'string' ? event.account : undefined;
  const region = typeof event.region === 'string' ? event.region : undefined;
  if ((account !== undefined && account !== context.account) || (region !== undefined && region !== context.region)) {
    return { kind: 'ignored', reason: `event for account ${String(account)} region ${String(region)}, not this function's ${context.account} ${context.region}`, tableName: lost.table };
  }
  const rejection = context.filter.reject(lost.table);
  if (rejection) return { kind: 'ignored', reason: `table ${rejection}`, tableName: lost.table };
  return { kind: 'changes-lost', lost };
}

/** Classifies an invocation; throws MalformedInputError for input it cannot understand. */
export function parseRequest(event: unknown, context: ParseContext): ReconcilerRequest {
  if (!isObject(event)) throw new MalformedInputError('event must be a JSON object');
  if (event.action !== undefined) return parseDirect(event, context);
  const detailType = event['detail-type'];
  if (detailType === 'Scheduled Event' && event.source === 'aws.events') return { kind: 'sweep', dryRun: false, scheduled: true };
  if (detailType === 'AWS API Call via CloudTrail') return parseCloudTrail(event, context);
  if (detailType === CHANGES_LOST_EVENT.detailType && event.source === CHANGES_LOST_EVENT.source) return parseChangesLost(event, context);
  throw new MalformedInputError(`unrecognised event (detail-type ${JSON.stringify(detailType)}, source ${JSON.stringify(event.source)})`);
}
