/**
 * Turns whatever invoked the reconciler into a request: a CloudTrail API-call event from
 * EventBridge, a scheduled event, or a direct invocation by an operator or the CLI.
 * Pure: takes the event and the function's own account/region and filter, returns data.
 */
import { MalformedInputError } from '../src/errors';
import type { TableFilter } from '../src/table-filter';

export const TABLE_EVENT_NAMES = ['CreateTable', 'UpdateTable', 'DeleteTable'] as const;
export type TableEventName = (typeof TABLE_EVENT_NAMES)[number];

export type ReconcilerRequest =
  | { kind: 'table-event'; tableName: string; eventName: TableEventName; creatorArn?: string; eventId?: string }
  | { kind: 'ignored'; reason: string; tableName?: string; eventName?: string }
  | { kind: 'sweep'; dryRun: boolean; startAfter?: string; scheduled: boolean }
  | { kind: 'reconcile'; tables: string[]; dryRun: boolean }
  | { kind: 'status'; tables: string[] }
  | { kind: 'backfill'; event: Record<string, unknown> };

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

function tableList(event: Json): string[] {
  const tables = event.tables;
  if (!Array.isArray(tables) || tables.length === 0 || !tables.every((t) => typeof t === 'string' && t.length > 0)) {
    throw new MalformedInputError('"tables" must be a non-empty array of table names');
  }
  return tables as string[];
}

function parseDirect(event: Json): ReconcilerRequest {
  switch (event.action) {
    case 'reconcile':
      return { kind: 'reconcile', tables: tableList(event), dryRun: optionalBoolean(event, 'dryRun') };
    case 'status':
      return { kind: 'status', tables: tableList(event) };
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
  const tableName = request.tableName ?? description.tableName;
  if (detail.errorCode !== undefined && detail.errorCode !== null) {
    return { kind: 'ignored', reason: `the ${eventName} call failed (${String(detail.errorCode)})`, eventName, ...(typeof tableName === 'string' ? { tableName } : {}) };
  }
  if (typeof tableName !== 'string' || tableName.length === 0) throw new MalformedInputError(`${eventName} event names no table (requestParameters.tableName)`);
  const account = typeof event.account === 'string' ? event.account : detail.recipientAccountId;
  const region = typeof event.region === 'string' ? event.region : detail.awsRegion;
  if (account !== context.account || region !== context.region) {
    return { kind: 'ignored', reason: `event for account ${String(account)} region ${String(region)}, not this function's ${context.account} ${context.region}`, tableName, eventName };
  }
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

/** Classifies an invocation; throws MalformedInputError for input it cannot understand. */
export function parseRequest(event: unknown, context: ParseContext): ReconcilerRequest {
  if (!isObject(event)) throw new MalformedInputError('event must be a JSON object');
  if (event.action !== undefined) return parseDirect(event);
  const detailType = event['detail-type'];
  if (detailType === 'Scheduled Event' && event.source === 'aws.events') return { kind: 'sweep', dryRun: false, scheduled: true };
  if (detailType === 'AWS API Call via CloudTrail') return parseCloudTrail(event, context);
  throw new MalformedInputError(`unrecognised event (detail-type ${JSON.stringify(detailType)}, source ${JSON.stringify(event.source)})`);
}
