/**
 * Builds the EventBridge event that CloudTrail emits for a DynamoDB table API call, the
 * way the reconciler receives it in AWS (see aws-facts §1): the envelope, then the
 * CloudTrail record with lowerCamelCase request parameters and response elements.
 * The caller is an assumed DMS role, as when DMS creates the target tables.
 */
import { randomUUID } from 'node:crypto';
import type { TableDescription } from '@aws-sdk/client-dynamodb';

export interface CloudTrailCall {
  readonly eventName: 'CreateTable' | 'UpdateTable' | 'DeleteTable';
  readonly region: string;
  readonly accountId: string;
  /** The API request as the SDK took it (PascalCase), e.g. a CreateTableCommand input. */
  readonly request: object;
  /** The TableDescription the call returned. */
  readonly tableDescription?: TableDescription;
  /** Name of the role DMS assumes (DynamoDbSettings.ServiceAccessRoleArn). */
  readonly roleName?: string;
  readonly time?: Date;
}

/** CloudTrail's "May 1, 2015 7:24:55 AM" date format. */
export function cloudTrailDate(date: Date): string {
  const month = date.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' });
  const hours = date.getUTCHours();
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${month} ${date.getUTCDate()}, ${date.getUTCFullYear()} ${hours % 12 === 0 ? 12 : hours % 12}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} ${hours < 12 ? 'AM' : 'PM'}`;
}

/** Lowercases the first letter of every key, as CloudTrail records API shapes (SSESpecification -> sSESpecification). */
export function toCloudTrailCase(value: unknown): unknown {
  if (value instanceof Date) return cloudTrailDate(value);
  if (Array.isArray(value)) return value.map(toCloudTrailCase);
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) {
      if (inner === undefined) continue;
      out[key.charAt(0).toLowerCase() + key.slice(1)] = toCloudTrailCase(inner);
    }
    return out;
  }
  return value;
}

/** The EventBridge event ("AWS API Call via CloudTrail") for one DynamoDB table call. */
export function cloudTrailTableEvent(call: CloudTrailCall): Record<string, unknown> {
  const time = call.time ?? new Date();
  const iso = time.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const role = call.roleName ?? 'dms-dynamodb-target-role';
  const session = `dms-session-${Math.floor(time.getTime() / 1000)}`;
  const tableName = String((call.request as { TableName?: string }).TableName ?? call.tableDescription?.TableName ?? '');
  const tableArn = call.tableDescription?.TableArn ?? `arn:aws:dynamodb:${call.region}:${call.accountId}:table/${tableName}`;
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'AWS API Call via CloudTrail',
    source: 'aws.dynamodb',
    account: call.accountId,
    time: iso,
    region: call.region,
    resources: [],
    detail: {
      eventVersion: '1.09',
      userIdentity: {
        type: 'AssumedRole',
        principalId: `AROALOCALDMSROLE0001:${session}`,
        arn: `arn:aws:sts::${call.accountId}:assumed-role/${role}/${session}`,
        accountId: call.accountId,
        sessionContext: {
          sessionIssuer: { type: 'Role', principalId: 'AROALOCALDMSROLE0001', arn: `arn:aws:iam::${call.accountId}:role/${role}`, accountId: call.accountId, userName: role },
          attributes: { creationDate: iso, mfaAuthenticated: 'false' },
        },
        invokedBy: 'dms.amazonaws.com',
      },
      eventTime: iso,
      eventSource: 'dynamodb.amazonaws.com',
      eventName: call.eventName,
      awsRegion: call.region,
      sourceIPAddress: 'dms.amazonaws.com',
      userAgent: 'dms.amazonaws.com',
      requestParameters: toCloudTrailCase(call.request),
      responseElements: call.tableDescription ? { tableDescription: toCloudTrailCase(call.tableDescription) } : null,
      requestID: randomUUID().replace(/-/g, '').toUpperCase(),
      eventID: randomUUID(),
      readOnly: false,
      resources: [{ accountId: call.accountId, type: 'AWS::DynamoDB::Table', ARN: tableArn }],
      eventType: 'AwsApiCall',
      apiVersion: '2012-08-10',
      managementEvent: true,
      recipientAccountId: call.accountId,
      eventCategory: 'Management',
    },
  };
}
