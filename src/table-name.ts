/**
 * A DynamoDB table as callers name it: CreateTable, UpdateTable and DeleteTable take in
 * `TableName` either the table's name or its ARN ("You can also provide the Amazon Resource
 * Name (ARN) of the table in this parameter",
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_DeleteTable.html), and
 * CloudTrail records the parameter as it was sent. Everything here keys tables by name
 * (filters, `table/<name>` scaling resource ids, announcements), so an ARN is reduced to the
 * name first. A table name is 3 to 255 of `[a-zA-Z0-9_.-]`, so it never contains ':' and
 * cannot be mistaken for an ARN.
 */
import { MalformedInputError } from './errors';

/** arn:<partition>:dynamodb:<region>:<account>:table/<name> (no index or stream suffix). */
const TABLE_ARN = /^arn:([^:]+):dynamodb:([^:]*):([^:]*):table\/([^/]+)$/;

/** A table name, and where it lives when it was given as an ARN. */
export interface TableReference {
  readonly name: string;
  /** Present when the reference was an ARN. */
  readonly arn?: { readonly partition: string; readonly region: string; readonly account: string };
}

/** Reads a name or a table ARN; throws MalformedInputError for an ARN that is not a table's. */
export function parseTableReference(value: string): TableReference {
  if (!value.startsWith('arn:')) return { name: value };
  const match = TABLE_ARN.exec(value);
  if (!match) throw new MalformedInputError(`"${value}" is neither a table name nor a DynamoDB table ARN (arn:<partition>:dynamodb:<region>:<account>:table/<name>)`);
  return { name: match[4] as string, arn: { partition: match[1] as string, region: match[2] as string, account: match[3] as string } };
}

/**
 * Why a table ARN does not name a table of this account and region, or undefined when it
 * does (or when the reference was a plain name, which always means the caller's own).
 */
export function foreignTableReason(reference: TableReference, account: string, region: string): string | undefined {
  if (reference.arn === undefined) return undefined;
  if (reference.arn.account === account && reference.arn.region === region) return undefined;
  return `table ARN of account ${reference.arn.account} region ${reference.arn.region}, not this function's ${account} ${region}`;
}
