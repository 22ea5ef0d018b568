/**
 * What the teardown custom resource is told in its ResourceProperties (strings, as
 * CloudFormation passes them), validated. The Delete request carries the properties of
 * the last successful deployment, so the stack's DisableStreamsOnDelete parameter in force
 * at deletion decides.
 */
import { MalformedInputError } from '../src/errors';

export interface TeardownProperties {
  forwarderFunctionArn: string;
  reconcilerFunctionName: string;
  disableStreams: boolean;
  /** The reconciler's function timeout: a run that started before it was stopped has ended this long after. */
  reconcilerTimeoutSeconds: number;
  tableNamePrefix: string;
  /** ServiceTimeout of the custom resource (CloudFormation's wait for an answer), default 3600 s. */
  serviceTimeoutSeconds: number;
  partition: string;
  region: string;
  account: string;
}

const FUNCTION_ARN = /^arn:(aws[a-z-]*):lambda:([a-z0-9-]+):(\d{12}):function:[A-Za-z0-9_-]+$/;

function text(properties: Record<string, unknown>, key: string, fallback?: string): string {
  const value = properties[key] ?? fallback;
  if (typeof value !== 'string') throw new MalformedInputError(`ResourceProperties.${key} must be a string`);
  return value;
}

function seconds(properties: Record<string, unknown>, key: string, fallback: number, max: number): number {
  const raw = properties[key];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > max) throw new MalformedInputError(`ResourceProperties.${key} must be whole seconds 0..${max}, got ${JSON.stringify(raw)}`);
  return value;
}

export function parseTeardownProperties(properties: Record<string, unknown>): TeardownProperties {
  const forwarderFunctionArn = text(properties, 'ForwarderFunctionArn');
  const match = FUNCTION_ARN.exec(forwarderFunctionArn);
  if (!match) throw new MalformedInputError(`ResourceProperties.ForwarderFunctionArn must be a Lambda function ARN, got "${forwarderFunctionArn}"`);
  const reconcilerFunctionName = text(properties, 'ReconcilerFunctionName');
  if (reconcilerFunctionName === '') throw new MalformedInputError('ResourceProperties.ReconcilerFunctionName must not be empty');
  const disable = text(properties, 'DisableStreams', 'false');
  if (disable !== 'true' && disable !== 'false') throw new MalformedInputError(`ResourceProperties.DisableStreams must be "true" or "false", got "${disable}"`);
  return {
    forwarderFunctionArn,
    reconcilerFunctionName,
    disableStreams: disable === 'true',
    reconcilerTimeoutSeconds: seconds(properties, 'ReconcilerTimeoutSeconds', 900, 900),
    tableNamePrefix: text(properties, 'TableNamePrefix', ''),
    serviceTimeoutSeconds: seconds(properties, 'ServiceTimeout', 3600, 3600),
    partition: match[1]!,
    region: match[2]!,
    account: match[3]!,
  };
}
