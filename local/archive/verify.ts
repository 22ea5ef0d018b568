/**
 * The end-to-end check of the archive in the local run: the documented latest-state query over
 * the stand-in's objects must give every table exactly its items as DynamoDB holds them now
 * (read with Scan, straight from the table, mapped to JSON as the change events map them, less
 * the DMS header columns the forwarder moves into `origin` unless ORIGIN_KEEP_ATTRIBUTES is set).
 *
 * Development tooling only: never bundled into a Lambda function.
 */
import { DescribeTableCommand, paginateScan, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { writeAttributeMap, type AttributeMap } from '../../src/change-event';
import { originAttributeList, type OriginOptions } from '../../src/change-event/origin';
import { latestStateFromS3 } from './query';

export interface ArchiveTableCheck {
  readonly table: string;
  readonly items: number;
  readonly fromArchive: number;
  /** Keys in the table whose item the archive gives differently or not at all. */
  readonly wrong: number;
  /** Keys the archive gives that the table does not hold. */
  readonly extra: number;
  /** The first wrong key: the table's item and the archive's (JSON), to see what differs. */
  readonly firstWrong?: { readonly key: string; readonly table: string; readonly archive: string | undefined };
}

const canonical = (keys: Record<string, unknown>) => JSON.stringify(Object.keys(keys).sort().map((name) => [name, keys[name]]));
const sortedJson = (value: unknown): string =>
  value !== null && typeof value === 'object' && !Array.isArray(value)
    ? `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${sortedJson((value as Record<string, unknown>)[k])}`).join(',')}}`
    : Array.isArray(value) ? `[${value.map(sortedJson).join(',')}]` : JSON.stringify(value);

export async function checkArchiveTable(clients: { dynamodb: DynamoDBClient; s3: S3Client }, bucket: string, table: string, origin?: OriginOptions): Promise<ArchiveTableCheck> {
  const dropped = new Set(origin && !origin.keepAttributes ? originAttributeList(origin.attributes) : []);
  const { Table } = await clients.dynamodb.send(new DescribeTableCommand({ TableName: table }));
  const keyNames = (Table?.KeySchema ?? []).map((key) => key.AttributeName!);
  const expected = new Map<string, string>();
  for await (const page of paginateScan({ client: clients.dynamodb }, { TableName: table, ConsistentRead: true })) {
    for (const item of page.Items ?? []) {
      const json = JSON.parse(writeAttributeMap(item as AttributeMap)) as Record<string, unknown>;
      for (const name of dropped) delete json[name];
      expected.set(canonical(Object.fromEntries(keyNames.map((name) => [name, json[name]]))), sortedJson(json));
    }
  }
  const rows = await latestStateFromS3(clients.s3, bucket, table);
  const actual = new Map(rows.map((row) => [canonical(row.keys), sortedJson(row.item)]));
  const wrongKeys = [...expected].filter(([key, item]) => actual.get(key) !== item);
  const extra = [...actual.keys()].filter((key) => !expected.has(key)).length;
  const first = wrongKeys[0];
  return { table, items: expected.size, fromArchive: actual.size, wrong: wrongKeys.length, extra, ...(first ? { firstWrong: { key: first[0], table: first[1], archive: actual.get(first[0]) } } : {}) };
}

export function formatArchiveChecks(checks: readonly ArchiveTableCheck[]): string {
  const ok = checks.every((check) => check.wrong === 0 && check.extra === 0);
  const lines = checks.map((check) => `    ${check.table.padEnd(18)} ${check.fromArchive} items from the archive, ${check.items} in the table${check.wrong || check.extra ? `: ${check.wrong} wrong or missing, ${check.extra} extra` : ''}`);
  return [`  latest state from the archive (the documented query) vs the tables now: ${ok ? 'equal' : 'DIFFERENT'}`, ...lines].join('\n');
}
