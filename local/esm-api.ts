/**
 * A local implementation of Lambda's event source mapping API (Create/Get/List/Update/
 * Delete), served by the Lambda front instead of moto. Why: moto attaches a DynamoDB-stream
 * mapping to the table and, on every write, "invokes" the function (without Docker the
 * invocation fails) and then clears the stream's records, so no poller could read them.
 * Keeping the mappings here leaves moto's streams intact, and lets the local poller report
 * LastProcessingResult as Lambda does.
 *
 * Development tooling only: never bundled into a Lambda function.
 */
import { randomUUID } from 'node:crypto';

/** The JSON shape Lambda returns for a mapping (the subset that applies to stream sources). */
export interface EsmConfiguration {
  UUID: string;
  EventSourceMappingArn: string;
  FunctionArn: string;
  EventSourceArn: string;
  StartingPosition: string;
  BatchSize: number;
  MaximumBatchingWindowInSeconds: number;
  ParallelizationFactor: number;
  MaximumRecordAgeInSeconds: number;
  MaximumRetryAttempts: number;
  BisectBatchOnFunctionError: boolean;
  TumblingWindowInSeconds: number;
  FunctionResponseTypes: string[];
  DestinationConfig: { OnFailure: { Destination?: string } };
  FilterCriteria?: unknown;
  LastModified: number;
  LastProcessingResult: string;
  State: string;
  StateTransitionReason: string;
}

/** An API error with Lambda's error type and HTTP status. */
export class EsmApiError extends Error {
  constructor(
    readonly type: 'ResourceNotFoundException' | 'ResourceConflictException' | 'InvalidParameterValueException',
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = type;
  }
}

export interface EsmApiDeps {
  readonly region: string;
  readonly accountId: string;
  /** Resolves a function name or ARN to its unqualified ARN; undefined when it does not exist. */
  resolveFunction(nameOrArn: string): Promise<string | undefined>;
  /** True when the DynamoDB stream exists and is enabled. */
  streamExists(streamArn: string): Promise<boolean>;
  now?(): number;
}

export interface EsmApi {
  create(body: Record<string, unknown>): Promise<EsmConfiguration>;
  get(uuid: string): EsmConfiguration;
  list(query: { eventSourceArn?: string; functionName?: string; marker?: string; maxItems?: number }): Promise<{ EventSourceMappings: EsmConfiguration[]; NextMarker?: string }>;
  update(uuid: string, body: Record<string, unknown>): Promise<EsmConfiguration>;
  delete(uuid: string): EsmConfiguration;
  /** The poller reports each batch outcome, as Lambda's LastProcessingResult. */
  recordResult(uuid: string, result: 'OK' | 'PROBLEM: Function call failed'): void;
}

const DYNAMODB_STREAM = /^arn:[^:]+:dynamodb:[^:]*:[^:]*:table\/[^/]+\/stream\/.+$/;

function intParam(body: Record<string, unknown>, name: string, fallback: number, min: number, max: number): number {
  const value = body[name];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new EsmApiError('InvalidParameterValueException', 400, `${name} must be an integer between ${min} and ${max}`);
  }
  return value;
}

function applySettings(target: EsmConfiguration, body: Record<string, unknown>): void {
  target.BatchSize = intParam(body, 'BatchSize', target.BatchSize, 1, 10_000);
  target.MaximumBatchingWindowInSeconds = intParam(body, 'MaximumBatchingWindowInSeconds', target.MaximumBatchingWindowInSeconds, 0, 300);
  target.ParallelizationFactor = intParam(body, 'ParallelizationFactor', target.ParallelizationFactor, 1, 10);
  target.MaximumRetryAttempts = intParam(body, 'MaximumRetryAttempts', target.MaximumRetryAttempts, -1, 10_000);
  target.TumblingWindowInSeconds = intParam(body, 'TumblingWindowInSeconds', target.TumblingWindowInSeconds, 0, 900);
  const age = intParam(body, 'MaximumRecordAgeInSeconds', target.MaximumRecordAgeInSeconds, -1, 604_800);
  if (age >= 0 && age < 60) throw new EsmApiError('InvalidParameterValueException', 400, 'MaximumRecordAgeInSeconds must be -1 or between 60 and 604800');
  target.MaximumRecordAgeInSeconds = age;
  if (typeof body.BisectBatchOnFunctionError === 'boolean') target.BisectBatchOnFunctionError = body.BisectBatchOnFunctionError;
  if (Array.isArray(body.FunctionResponseTypes)) target.FunctionResponseTypes = body.FunctionResponseTypes.map(String);
  const destination = (body.DestinationConfig as { OnFailure?: { Destination?: unknown } } | undefined)?.OnFailure?.Destination;
  if (body.DestinationConfig !== undefined) {
    target.DestinationConfig = { OnFailure: typeof destination === 'string' && destination !== '' ? { Destination: destination } : {} };
  }
  if (body.FilterCriteria !== undefined) target.FilterCriteria = body.FilterCriteria;
}

/** Creates an empty in-memory mapping store with Lambda's validation and defaults. */
export function createEsmApi(deps: EsmApiDeps): EsmApi {
  const mappings = new Map<string, EsmConfiguration>();
  const now = deps.now ?? Date.now;
  const copy = (m: EsmConfiguration): EsmConfiguration => structuredClone(m);
  const find = (uuid: string) => {
    const mapping = mappings.get(uuid);
    if (!mapping) throw new EsmApiError('ResourceNotFoundException', 404, `The resource you requested does not exist. (Service: Lambda, Status Code: 404, Request ID: ${randomUUID()})`);
    return mapping;
  };
  const resolve = async (nameOrArn: unknown): Promise<string> => {
    if (typeof nameOrArn !== 'string' || nameOrArn === '') throw new EsmApiError('InvalidParameterValueException', 400, 'FunctionName is required');
    const arn = await deps.resolveFunction(nameOrArn);
    if (!arn) throw new EsmApiError('ResourceNotFoundException', 404, `Function not found: ${nameOrArn}`);
    return arn;
  };

  return {
    async create(body) {
      const functionArn = await resolve(body.FunctionName);
      const eventSourceArn = body.EventSourceArn;
      if (typeof eventSourceArn !== 'string' || !DYNAMODB_STREAM.test(eventSourceArn)) {
        throw new EsmApiError('InvalidParameterValueException', 400, 'The local Lambda API supports DynamoDB stream event sources only');
      }
      const startingPosition = body.StartingPosition;
      if (startingPosition !== 'TRIM_HORIZON' && startingPosition !== 'LATEST') {
        throw new EsmApiError('InvalidParameterValueException', 400, 'StartingPosition must be TRIM_HORIZON or LATEST for a DynamoDB stream');
      }
      if (!(await deps.streamExists(eventSourceArn))) {
        throw new EsmApiError('InvalidParameterValueException', 400, `Stream not found: ${eventSourceArn}`);
      }
      const uuid = randomUUID();
      const mapping: EsmConfiguration = {
        UUID: uuid,
        EventSourceMappingArn: `arn:aws:lambda:${deps.region}:${deps.accountId}:event-source-mapping:${uuid}`,
        FunctionArn: functionArn,
        EventSourceArn: eventSourceArn,
        StartingPosition: startingPosition,
        BatchSize: 100,
        MaximumBatchingWindowInSeconds: 0,
        ParallelizationFactor: 1,
        MaximumRecordAgeInSeconds: -1,
        MaximumRetryAttempts: -1,
        BisectBatchOnFunctionError: false,
        TumblingWindowInSeconds: 0,
        FunctionResponseTypes: [],
        DestinationConfig: { OnFailure: {} },
        LastModified: now() / 1000,
        LastProcessingResult: 'No records processed',
        State: body.Enabled === false ? 'Disabled' : 'Enabled',
        StateTransitionReason: 'USER_INITIATED',
      };
      applySettings(mapping, body);
      for (const existing of mappings.values()) {
        if (existing.EventSourceArn === eventSourceArn && existing.FunctionArn === functionArn) {
          throw new EsmApiError(
            'ResourceConflictException',
            409,
            `The event source arn (" ${eventSourceArn} ") and function (" ${functionArn.split(':').pop()} ") provided mapping already exists. Please update or delete the existing mapping with UUID ${existing.UUID}`,
          );
        }
      }
      mappings.set(uuid, mapping);
      // Lambda answers while the mapping is still being created.
      return { ...copy(mapping), State: 'Creating' };
    },
    get: (uuid) => copy(find(uuid)),
    async list(query) {
      let all = [...mappings.values()];
      if (query.eventSourceArn) all = all.filter((m) => m.EventSourceArn === query.eventSourceArn);
      if (query.functionName) {
        const arn = await deps.resolveFunction(query.functionName);
        all = all.filter((m) => m.FunctionArn === arn);
      }
      const start = query.marker ? Number(query.marker) : 0;
      const size = Math.min(query.maxItems ?? 100, 100);
      const page = all.slice(start, start + size).map(copy);
      return start + size < all.length ? { EventSourceMappings: page, NextMarker: String(start + size) } : { EventSourceMappings: page };
    },
    async update(uuid, body) {
      const mapping = find(uuid);
      if (body.FunctionName !== undefined) mapping.FunctionArn = await resolve(body.FunctionName);
      applySettings(mapping, body);
      if (typeof body.Enabled === 'boolean') mapping.State = body.Enabled ? 'Enabled' : 'Disabled';
      mapping.LastModified = now() / 1000;
      return { ...copy(mapping), State: 'Updating' };
    },
    delete(uuid) {
      const mapping = find(uuid);
      mappings.delete(uuid);
      return { ...copy(mapping), State: 'Deleting' };
    },
    recordResult(uuid, result) {
      const mapping = mappings.get(uuid);
      if (mapping) mapping.LastProcessingResult = result;
    },
  };
}

/**
 * The EsmApi backed by moto for its checks: functions are looked up in moto's Lambda API,
 * streams in moto's DynamoDB Streams API.
 */
export function createMotoBackedEsmApi(options: { motoUrl: string; region: string; accountId: string }): EsmApi {
  const headers = (target?: string) => ({
    authorization: `AWS4-HMAC-SHA256 Credential=local/20260101/${options.region}/${target ? 'dynamodb' : 'lambda'}/aws4_request, SignedHeaders=host, Signature=0`,
    ...(target ? { 'x-amz-target': target, 'content-type': 'application/x-amz-json-1.0' } : {}),
  });
  return createEsmApi({
    region: options.region,
    accountId: options.accountId,
    async resolveFunction(nameOrArn) {
      const name = nameOrArn.split(':').length >= 7 ? nameOrArn.split(':')[6]! : nameOrArn;
      const response = await fetch(`${options.motoUrl}/2015-03-31/functions/${encodeURIComponent(name)}`, { headers: headers() });
      if (response.status !== 200) {
        await response.arrayBuffer();
        return undefined;
      }
      const body = (await response.json()) as { Configuration?: { FunctionArn?: string } };
      return body.Configuration?.FunctionArn;
    },
    async streamExists(streamArn) {
      const response = await fetch(`${options.motoUrl}/`, {
        method: 'POST',
        headers: headers('DynamoDBStreams_20120810.DescribeStream'),
        body: JSON.stringify({ StreamArn: streamArn }),
      });
      if (response.status !== 200) {
        await response.arrayBuffer();
        return false;
      }
      const body = (await response.json()) as { StreamDescription?: { StreamLabel?: string; StreamStatus?: string } };
      // moto answers for any label of an existing table (echoing the ARN); only the table's
      // current, enabled stream counts.
      const { StreamLabel: label, StreamStatus: status } = body.StreamDescription ?? {};
      return label !== undefined && streamArn.endsWith(`/stream/${label}`) && (status === 'ENABLED' || status === 'ENABLING');
    },
  });
}
