/** Lambda event source mapping adapter, scoped to the forwarder function. */
import {
  CreateEventSourceMappingCommand,
  DeleteEventSourceMappingCommand,
  ListEventSourceMappingsCommand,
  UpdateEventSourceMappingCommand,
  type EventSourceMappingConfiguration,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import { awsCall, AwsCallError, ErrorKind } from '../errors';
import type { MappingFields, ObservedMapping } from '../model';
import type { MappingPort } from '../ports';

export function toObservedMapping(m: EventSourceMappingConfiguration): ObservedMapping {
  return {
    uuid: m.UUID ?? '',
    streamArn: m.EventSourceArn ?? '',
    state: m.State ?? 'Enabled',
    ...(m.BatchSize !== undefined ? { batchSize: m.BatchSize } : {}),
    ...(m.MaximumBatchingWindowInSeconds !== undefined ? { batchingWindowSeconds: m.MaximumBatchingWindowInSeconds } : {}),
    ...(m.ParallelizationFactor !== undefined ? { parallelizationFactor: m.ParallelizationFactor } : {}),
    ...(m.MaximumRetryAttempts !== undefined ? { maxRetryAttempts: m.MaximumRetryAttempts } : {}),
    ...(m.MaximumRecordAgeInSeconds !== undefined ? { maxRecordAgeSeconds: m.MaximumRecordAgeInSeconds } : {}),
    ...(m.BisectBatchOnFunctionError !== undefined ? { bisectOnError: m.BisectBatchOnFunctionError } : {}),
    functionResponseTypes: [...(m.FunctionResponseTypes ?? [])],
    ...(m.DestinationConfig?.OnFailure?.Destination ? { onFailureDestination: m.DestinationConfig.OnFailure.Destination } : {}),
  };
}

/** SDK request fields for the given mapping fields (only those present). */
export function toMappingRequest(fields: Partial<MappingFields>) {
  return {
    ...(fields.batchSize !== undefined ? { BatchSize: fields.batchSize } : {}),
    ...(fields.batchingWindowSeconds !== undefined ? { MaximumBatchingWindowInSeconds: fields.batchingWindowSeconds } : {}),
    ...(fields.parallelizationFactor !== undefined ? { ParallelizationFactor: fields.parallelizationFactor } : {}),
    ...(fields.maxRetryAttempts !== undefined ? { MaximumRetryAttempts: fields.maxRetryAttempts } : {}),
    ...(fields.maxRecordAgeSeconds !== undefined ? { MaximumRecordAgeInSeconds: fields.maxRecordAgeSeconds } : {}),
    ...(fields.bisectOnError !== undefined ? { BisectBatchOnFunctionError: fields.bisectOnError } : {}),
    ...(fields.functionResponseTypes !== undefined ? { FunctionResponseTypes: fields.functionResponseTypes as 'ReportBatchItemFailures'[] } : {}),
    ...('onFailureDestination' in fields ? { DestinationConfig: { OnFailure: fields.onFailureDestination ? { Destination: fields.onFailureDestination } : {} } } : {}),
    ...(fields.enabled !== undefined ? { Enabled: fields.enabled } : {}),
  };
}

export function createLambdaMappingPort(client: LambdaClient, functionArn: string): MappingPort {
  return {
    async list(query, marker) {
      const out = await awsCall('ListEventSourceMappings', () =>
        client.send(new ListEventSourceMappingsCommand({ FunctionName: functionArn, EventSourceArn: query.eventSourceArn, Marker: marker, MaxItems: 100 })),
      );
      return { items: (out.EventSourceMappings ?? []).map(toObservedMapping), ...(out.NextMarker ? { next: out.NextMarker } : {}) };
    },
    async create(spec) {
      const out = await awsCall('CreateEventSourceMapping', () =>
        client.send(new CreateEventSourceMappingCommand({ FunctionName: functionArn, EventSourceArn: spec.streamArn, StartingPosition: 'TRIM_HORIZON', ...toMappingRequest(spec) })),
      ).catch(retryIfStreamNotReady);
      return toObservedMapping(out);
    },
    async update(uuid, changes) {
      await awsCall('UpdateEventSourceMapping', () => client.send(new UpdateEventSourceMappingCommand({ UUID: uuid, FunctionName: functionArn, ...toMappingRequest(changes) })));
    },
    async delete(uuid) {
      try {
        await awsCall('DeleteEventSourceMapping', () => client.send(new DeleteEventSourceMappingCommand({ UUID: uuid })));
      } catch (error) {
        if (error instanceof AwsCallError && error.kind === ErrorKind.NotFound) return; // already gone: the goal
        throw error;
      }
    },
  };
}

/**
 * A stream enabled a moment ago can still be ENABLING, and Lambda then answers
 * InvalidParameterValueException "Stream not found": observe again rather than fail for good.
 */
function retryIfStreamNotReady(error: AwsCallError): never {
  if (error.code === 'InvalidParameterValueException' && /stream/i.test(error.message)) {
    throw new AwsCallError(ErrorKind.Retryable, error.operation, error.code, error.message, { cause: error.cause });
  }
  throw error;
}
