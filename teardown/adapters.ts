/**
 * The teardown function's AWS adapters: only the calls a release makes (plus stopping the
 * reconciler and continuing in a new invocation), so that its role, which the template
 * check derives from the SDK commands in its bundle, holds nothing the reconciler's
 * converging needs (no CreateEventSourceMapping, RegisterScalableTarget, TagResource, ...).
 * Errors are translated at this boundary like the reconciler's adapters do.
 */
import {
  DeleteScalingPolicyCommand, DeregisterScalableTargetCommand, DescribeScalableTargetsCommand, DescribeScalingPoliciesCommand,
  type ApplicationAutoScalingClient, type ScalableDimension,
} from '@aws-sdk/client-application-auto-scaling';
import { DescribeTableCommand, ListTablesCommand, ListTagsOfResourceCommand, UntagResourceCommand, UpdateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteEventSourceMappingCommand, InvokeCommand, ListEventSourceMappingsCommand, PutFunctionConcurrencyCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { awsCall, AwsCallError, ErrorKind } from '../reconciler/errors';
import { toObservedTable } from '../reconciler/adapters/observed-table';
import type { ReleaseMappingPort, ReleaseScalingPort, ReleaseTablePort } from '../reconciler/release/model';

const NAMESPACE = 'dynamodb';

function notFoundIsDone(error: unknown): void {
  if (error instanceof AwsCallError && error.kind === ErrorKind.NotFound) return;
  throw error;
}

export function createReleaseTablePort(client: DynamoDBClient): ReleaseTablePort {
  return {
    async listTables(start) {
      const out = await awsCall('ListTables', () => client.send(new ListTablesCommand({ ExclusiveStartTableName: start, Limit: 100 })));
      return { items: out.TableNames ?? [], ...(out.LastEvaluatedTableName ? { next: out.LastEvaluatedTableName } : {}) };
    },
    async describeTable(tableName) {
      try {
        const { Table: table } = await awsCall('DescribeTable', () => client.send(new DescribeTableCommand({ TableName: tableName })));
        return table ? toObservedTable(table) : null;
      } catch (error) {
        notFoundIsDone(error);
        return null;
      }
    },
    async disableStream(tableName) {
      await awsCall('UpdateTable', () => client.send(new UpdateTableCommand({ TableName: tableName, StreamSpecification: { StreamEnabled: false } })));
    },
    async listTags(tableArn) {
      const tags: Record<string, string> = {};
      let next: string | undefined;
      try {
        do {
          const out = await awsCall('ListTagsOfResource', () => client.send(new ListTagsOfResourceCommand({ ResourceArn: tableArn, NextToken: next })));
          for (const tag of out.Tags ?? []) if (tag.Key !== undefined) tags[tag.Key] = tag.Value ?? '';
          next = out.NextToken;
        } while (next);
      } catch (error) {
        notFoundIsDone(error); // deleted meanwhile: no tags
      }
      return tags;
    },
    async untagTable(tableArn, keys) {
      await awsCall('UntagResource', () => client.send(new UntagResourceCommand({ ResourceArn: tableArn, TagKeys: keys }))).catch(notFoundIsDone);
    },
  };
}

export function createReleaseMappingPort(client: LambdaClient, functionArn: string): ReleaseMappingPort {
  return {
    async list(query, marker) {
      try {
        const out = await awsCall('ListEventSourceMappings', () =>
          client.send(new ListEventSourceMappingsCommand({ FunctionName: functionArn, EventSourceArn: query.eventSourceArn, Marker: marker, MaxItems: 100 })),
        );
        const items = (out.EventSourceMappings ?? []).map((m) => ({ uuid: m.UUID ?? '', streamArn: m.EventSourceArn ?? '', state: m.State ?? 'Enabled', functionResponseTypes: [] }));
        return { items, ...(out.NextMarker ? { next: out.NextMarker } : {}) };
      } catch (error) {
        notFoundIsDone(error); // the function is gone (a repeated Delete after the stack went on)
        return { items: [] };
      }
    },
    async delete(uuid) {
      await awsCall('DeleteEventSourceMapping', () => client.send(new DeleteEventSourceMappingCommand({ UUID: uuid }))).catch(notFoundIsDone);
    },
  };
}

/** Deregistering/deleting something already gone is the goal (AAS answers ObjectNotFound or a ValidationException). */
function scalingGoneIsDone(error: unknown): void {
  if (error instanceof AwsCallError && error.code === 'ValidationException' && /no scalable target|not found|does not exist/i.test(error.message)) return;
  notFoundIsDone(error);
}

export function createReleaseScalingPort(client: ApplicationAutoScalingClient): ReleaseScalingPort {
  return {
    async listTargets(query, next) {
      const out = await awsCall('DescribeScalableTargets', () =>
        client.send(new DescribeScalableTargetsCommand({ ServiceNamespace: NAMESPACE, ResourceIds: query.resourceIds, NextToken: next, MaxResults: 50 })),
      );
      const items = (out.ScalableTargets ?? []).map((t) => ({ resourceId: t.ResourceId ?? '', dimension: t.ScalableDimension ?? '', minCapacity: t.MinCapacity ?? 0, maxCapacity: t.MaxCapacity ?? 0 }));
      return { items, ...(out.NextToken ? { next: out.NextToken } : {}) };
    },
    async listPolicies(query, next) {
      const out = await awsCall('DescribeScalingPolicies', () =>
        client.send(new DescribeScalingPoliciesCommand({ ServiceNamespace: NAMESPACE, ResourceId: query.resourceId, NextToken: next, MaxResults: 10 })),
      );
      const items = (out.ScalingPolicies ?? [])
        .filter((p) => query.resourceId === undefined || p.ResourceId === query.resourceId) // some emulators match by substring
        .map((p) => ({ policyName: p.PolicyName ?? '', resourceId: p.ResourceId ?? '', dimension: p.ScalableDimension ?? '', policyType: p.PolicyType ?? '' }));
      return { items, ...(out.NextToken ? { next: out.NextToken } : {}) };
    },
    async deregisterTarget(target) {
      await awsCall('DeregisterScalableTarget', () =>
        client.send(new DeregisterScalableTargetCommand({ ServiceNamespace: NAMESPACE, ResourceId: target.resourceId, ScalableDimension: target.dimension as ScalableDimension })),
      ).catch(scalingGoneIsDone);
    },
    async deletePolicy(policy) {
      await awsCall('DeleteScalingPolicy', () =>
        client.send(new DeleteScalingPolicyCommand({ ServiceNamespace: NAMESPACE, ResourceId: policy.resourceId, ScalableDimension: policy.dimension as ScalableDimension, PolicyName: policy.policyName })),
      ).catch(scalingGoneIsDone);
    },
  };
}

/** Stops new reconciler work: reserved concurrency 0 throttles every new invocation (schedule, rule, continuations). */
export interface ReconcilerControl {
  /** 'stopped', or 'absent' when the reconciler function no longer exists. */
  stop(): Promise<'stopped' | 'absent'>;
}

export function createReconcilerControl(client: LambdaClient, functionName: string): ReconcilerControl {
  return {
    async stop() {
      try {
        await awsCall('PutFunctionConcurrency', () => client.send(new PutFunctionConcurrencyCommand({ FunctionName: functionName, ReservedConcurrentExecutions: 0 })));
        return 'stopped';
      } catch (error) {
        notFoundIsDone(error);
        return 'absent';
      }
    },
  };
}

/** Continues the teardown in a new asynchronous invocation of the function itself. */
export interface Continuer {
  continueLater(payload: Record<string, unknown>): Promise<void>;
}

export function createSelfInvoker(client: LambdaClient, functionName: string): Continuer {
  return {
    async continueLater(payload) {
      await awsCall('Invoke', () => client.send(new InvokeCommand({ FunctionName: functionName, InvocationType: 'Event', Payload: Buffer.from(JSON.stringify(payload)) })));
    },
  };
}
