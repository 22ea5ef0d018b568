/**
 * Plain data of a release: what the reconciler created on a table and takes back when the
 * table leaves its scope or the stack is deleted. Ownership is read from what the
 * reconciler records today: mappings of this forwarder, scaling policies named with
 * {@link POLICY_PREFIX} (and the targets that carry them), and tags with
 * {@link OWN_TAG_PREFIX} (the stream-owner and stream-label tags).
 */
import { POLICY_PREFIX, STREAM_LABEL_TAG_KEY, STREAM_TAG_KEY } from '../model';
import type { Observed } from '../model';
import type { MappingPort, ScalingPort, TablePort } from '../ports';

/** The calls a release makes, and no others (the teardown function's role allows exactly these). */
export type ReleaseTablePort = Pick<TablePort, 'listTables' | 'describeTable' | 'disableStream' | 'listTags' | 'untagTable'>;
export type ReleaseMappingPort = Pick<MappingPort, 'list' | 'delete'>;
export type ReleaseScalingPort = Pick<ScalingPort, 'listTargets' | 'listPolicies' | 'deregisterTarget' | 'deletePolicy'>;

export { POLICY_PREFIX };

/** Every tag the reconciler writes starts with this prefix (today: the stream-owner and stream-label tags). */
export const OWN_TAG_PREFIX = 'dms-event-bus:';
export const OWN_TAG_KEYS = [STREAM_TAG_KEY, STREAM_LABEL_TAG_KEY] as const;

/** Why a table is released; copied into the actions, the logs and the `Table Released` announcement. */
export const ReleaseReason = {
  /** The table no longer matches the include/exclude patterns. */
  OutOfScope: 'out-of-scope',
  /** An operator asked for it (CLI `release`). */
  Requested: 'requested',
  /** The stack is being deleted, or `uninstall` was run: everything is released. */
  Uninstall: 'uninstall',
} as const;
export type ReleaseReason = (typeof ReleaseReason)[keyof typeof ReleaseReason];

export interface ReleaseOptions {
  /** Disable the table's stream too, when (and only when) the reconciler enabled it. Default false: other readers may use it. */
  disableStream?: boolean;
  reason: ReleaseReason;
}

/** What was observed of a table for its release: the operator's observation plus the table's tags. */
export interface ReleaseObserved extends Observed {
  /** ListTagsOfResource; undefined when the table is gone (its tags went with it). */
  tags: Record<string, string> | undefined;
}

/**
 * One step of a release. Ordered by {@link planRelease}: stream (it needs the ownership
 * tags), tags, mappings, then per scalable resource the target and our policies. Whatever
 * step fails, a mapping or one of our policies is still there, which the next sweep sees
 * and releases again.
 */
export type ReleaseAction =
  | { type: 'disable-stream'; reason: 'release'; streamArn: string }
  | { type: 'untag-table'; keys: string[] }
  | { type: 'delete-mapping'; uuid: string; streamArn: string; reason: 'release' }
  | { type: 'delete-policy'; resourceId: string; dimension: string; policyName: string }
  | { type: 'deregister-target'; resourceId: string; dimension: string; reason: 'release' };

/** What is kept on purpose, with the reason (shown by dry runs and logged). */
export interface Kept {
  what: string;
  why: string;
}

export interface ReleasePlan {
  tableName: string;
  actions: ReleaseAction[];
  kept: Kept[];
  /** The table is CREATING/UPDATING and a stream change was asked for: look again once it is ACTIVE. */
  waitForActive: boolean;
}

/** Whether anything on the table is the reconciler's (the table is "managed"). */
export function ownsAnything(observed: Pick<ReleaseObserved, 'mappings' | 'policies' | 'tags'>): boolean {
  return (
    observed.mappings.some((m) => m.state !== 'Deleting') ||
    observed.policies.some((p) => p.policyName.startsWith(POLICY_PREFIX)) ||
    Object.keys(observed.tags ?? {}).some((k) => k.startsWith(OWN_TAG_PREFIX))
  );
}
