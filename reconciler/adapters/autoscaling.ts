/** Application Auto Scaling adapter for DynamoDB (service namespace `dynamodb`). */
import {
  DeleteScalingPolicyCommand,
  DeregisterScalableTargetCommand,
  DescribeScalableTargetsCommand,
  DescribeScalingPoliciesCommand,
  PutScalingPolicyCommand,
  RegisterScalableTargetCommand,
  type ApplicationAutoScalingClient,
  type MetricType,
  type ScalableDimension,
} from '@aws-sdk/client-application-auto-scaling';
import { awsCall, AwsCallError, ErrorKind } from '../errors';
import type { ScalingPort } from '../ports';

const NAMESPACE = 'dynamodb';

/** Deregistering/deleting something already gone is the goal, not a failure (AAS says ValidationException / ObjectNotFound). */
function ignoreGone(error: AwsCallError): void {
  if (error.kind === ErrorKind.NotFound) return;
  if (error.code === 'ValidationException' && /no scalable target|not found|does not exist/i.test(error.message)) return;
  throw error;
}

export function createAutoScalingPort(client: ApplicationAutoScalingClient): ScalingPort {
  return {
    async listTargets(query, next) {
      const out = await awsCall('DescribeScalableTargets', () =>
        client.send(new DescribeScalableTargetsCommand({ ServiceNamespace: NAMESPACE, ResourceIds: query.resourceIds, NextToken: next, MaxResults: 50 })),
      );
      return {
        items: (out.ScalableTargets ?? []).map((t) => ({ resourceId: t.ResourceId ?? '', dimension: t.ScalableDimension ?? '', minCapacity: t.MinCapacity ?? 0, maxCapacity: t.MaxCapacity ?? 0 })),
        ...(out.NextToken ? { next: out.NextToken } : {}),
      };
    },
    async listPolicies(query, next) {
      const out = await awsCall('DescribeScalingPolicies', () =>
        client.send(new DescribeScalingPoliciesCommand({ ServiceNamespace: NAMESPACE, ResourceId: query.resourceId, NextToken: next, MaxResults: 10 })),
      );
      const items = (out.ScalingPolicies ?? [])
        // Some emulators match ResourceId as a substring (table/t1 inside table/t1/index/g): keep exact matches.
        .filter((p) => query.resourceId === undefined || p.ResourceId === query.resourceId)
        .map((p) => ({
          policyName: p.PolicyName ?? '',
          resourceId: p.ResourceId ?? '',
          dimension: p.ScalableDimension ?? '',
          policyType: p.PolicyType ?? '',
          ...(p.TargetTrackingScalingPolicyConfiguration?.TargetValue !== undefined ? { targetValue: p.TargetTrackingScalingPolicyConfiguration.TargetValue } : {}),
          ...(p.TargetTrackingScalingPolicyConfiguration?.PredefinedMetricSpecification?.PredefinedMetricType
            ? { metricType: p.TargetTrackingScalingPolicyConfiguration.PredefinedMetricSpecification.PredefinedMetricType }
            : {}),
        }));
      return { items, ...(out.NextToken ? { next: out.NextToken } : {}) };
    },
    async registerTarget(target) {
      await awsCall('RegisterScalableTarget', () =>
        client.send(new RegisterScalableTargetCommand({
          ServiceNamespace: NAMESPACE, ResourceId: target.resourceId, ScalableDimension: target.dimension as ScalableDimension,
          MinCapacity: target.minCapacity, MaxCapacity: target.maxCapacity,
        })),
      );
    },
    async putPolicy(policy) {
      await awsCall('PutScalingPolicy', () =>
        client.send(new PutScalingPolicyCommand({
          ServiceNamespace: NAMESPACE, ResourceId: policy.resourceId, ScalableDimension: policy.dimension as ScalableDimension,
          PolicyName: policy.policyName, PolicyType: 'TargetTrackingScaling',
          TargetTrackingScalingPolicyConfiguration: { TargetValue: policy.targetValue, PredefinedMetricSpecification: { PredefinedMetricType: policy.metricType as MetricType } },
        })),
      );
    },
    async deletePolicy(policy) {
      await awsCall('DeleteScalingPolicy', () =>
        client.send(new DeleteScalingPolicyCommand({ ServiceNamespace: NAMESPACE, ResourceId: policy.resourceId, ScalableDimension: policy.dimension as ScalableDimension, PolicyName: policy.policyName })),
      ).catch(ignoreGone);
    },
    async deregisterTarget(target) {
      await awsCall('DeregisterScalableTarget', () =>
        client.send(new DeregisterScalableTargetCommand({ ServiceNamespace: NAMESPACE, ResourceId: target.resourceId, ScalableDimension: target.dimension as ScalableDimension })),
      ).catch(ignoreGone);
    },
  };
}
