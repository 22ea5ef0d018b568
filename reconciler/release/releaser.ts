/**
 * Releases tables: observes each one (live, or from a sweep-wide snapshot), plans with
 * {@link planRelease}, applies the actions through the operator's ports, logs each action
 * and announces `Table Released`. Used by the sweep (tables that left the scope), the CLI
 * (`release`, `uninstall`) and the teardown custom resource.
 */
import { describeError } from '../../src/errors';
import type { Logger } from '../../src/observability/logger';
import type { Metrics } from '../../src/observability/metrics';
import { AwsCallError, ErrorKind } from '../errors';
import type { ObservedTable } from '../model';
import { observeFromSnapshot, observeLive, type Snapshot } from '../observe';
import { AnnouncementType, systemClock, type AnnouncePort, type Clock } from '../ports';
import { retryThrottled } from '../throttle';
import type { Kept, ReleaseAction, ReleaseMappingPort, ReleaseObserved, ReleaseOptions, ReleaseScalingPort, ReleaseTablePort } from './model';
import { planRelease } from './plan';

export interface ReleaserDeps {
  tables: ReleaseTablePort;
  mappings: ReleaseMappingPort;
  scaling: ReleaseScalingPort;
  announcer: AnnouncePort;
  logger: Logger;
  metrics: Metrics;
  clock?: Clock;
}

export const ReleaseOutcome = {
  /** Actions applied; nothing of the reconciler's is left on the table. */
  Released: 'released',
  /** Nothing of the reconciler's was on the table. */
  Nothing: 'nothing-to-release',
  /** Dry run: `actions` is the plan. */
  Planned: 'planned',
  /** Not finished in time (the table stayed UPDATING, or failures kept being transient): release it again. */
  Requeue: 'requeue',
  /** A failure retrying will not fix (access denied, validation): `left` says what is still there. */
  Error: 'error',
} as const;
export type ReleaseOutcome = (typeof ReleaseOutcome)[keyof typeof ReleaseOutcome];

export interface ReleaseResult {
  table: string;
  outcome: ReleaseOutcome;
  /** Applied actions, or in a dry run the planned ones. */
  actions: ReleaseAction[];
  kept: Kept[];
  /** What is still there after a failure (the plan's actions not applied). */
  left?: ReleaseAction[];
  error?: { name: string; message: string };
}

export interface ReleaseRunOptions extends ReleaseOptions {
  dryRun?: boolean;
  /** Epoch ms after which no new attempt starts. */
  deadline?: number;
  /** What triggered the release (sweep, cli, cloudformation), copied into the announcement. */
  trigger?: string;
  /** A sweep's snapshot of mappings, targets and policies (first attempt only; later attempts observe live). */
  snapshot?: Snapshot;
}

export interface Releaser {
  release(tableName: string, options: ReleaseRunOptions): Promise<ReleaseResult>;
}

const MAX_ATTEMPTS = 4;
const ACTIVE_POLL_MS = [500, 1_000, 2_000, 3_000, 5_000];

export function createReleaser(input: ReleaserDeps): Releaser {
  const clock = input.clock ?? systemClock;
  const tables = retryThrottled(input.tables, clock);
  const mappings = retryThrottled(input.mappings, clock);
  const scaling = retryThrottled(input.scaling, clock);
  const announcer = retryThrottled(input.announcer, clock);

  async function observe(tableName: string, snapshot: Snapshot | undefined): Promise<ReleaseObserved> {
    const table = await tables.describeTable(tableName);
    const observed = snapshot ? observeFromSnapshot(snapshot, tableName, table) : await observeLive(mappings, scaling, tableName, table);
    const tags = table ? await tables.listTags(table.arn) : undefined;
    return { ...observed, tags };
  }

  /** Polls DescribeTable until the table is ACTIVE (or gone); false when the deadline comes first. */
  async function waitUntilActive(tableName: string, deadline: number): Promise<boolean> {
    for (let i = 0; ; i++) {
      const table: ObservedTable | null = await tables.describeTable(tableName);
      if (!table || table.status === 'ACTIVE') return true;
      const delay = ACTIVE_POLL_MS[Math.min(i, ACTIVE_POLL_MS.length - 1)]!;
      if (clock.now() + delay > deadline) return false;
      await clock.sleep(delay);
    }
  }

  async function applyOne(action: ReleaseAction, table: ObservedTable | null, deadline: number): Promise<void> {
    switch (action.type) {
      case 'disable-stream':
        await tables.disableStream(table!.name);
        if (!(await waitUntilActive(table!.name, deadline))) throw new AwsCallError(ErrorKind.Retryable, 'DescribeTable', 'NotActiveInTime', `table ${table!.name} is still UPDATING`);
        return;
      case 'untag-table':
        return tables.untagTable(table!.arn, action.keys);
      case 'delete-mapping':
        return mappings.delete(action.uuid);
      case 'deregister-target':
        return scaling.deregisterTarget(action);
      case 'delete-policy':
        return scaling.deletePolicy(action);
    }
  }

  async function announce(result: ReleaseResult, observed: ReleaseObserved, options: ReleaseRunOptions): Promise<void> {
    const of = <T extends ReleaseAction['type']>(type: T) => result.actions.filter((a): a is Extract<ReleaseAction, { type: T }> => a.type === type);
    try {
      await announcer.announce([{
        detailType: AnnouncementType.TableReleased,
        detail: {
          tableName: result.table,
          tableArn: observed.table?.arn,
          reason: options.reason,
          trigger: options.trigger ?? 'direct',
          deletedMappings: of('delete-mapping').map((a) => a.uuid),
          deregisteredTargets: of('deregister-target').map((a) => ({ resourceId: a.resourceId, dimension: a.dimension })),
          deletedPolicies: of('delete-policy').map((a) => ({ resourceId: a.resourceId, dimension: a.dimension, policyName: a.policyName })),
          untaggedKeys: of('untag-table').flatMap((a) => a.keys),
          streamDisabled: of('disable-stream').map((a) => a.streamArn)[0] ?? null,
          kept: result.kept,
        },
      }]);
      input.metrics.add('Announcements');
    } catch (error) {
      // The table is released; a lost announcement must not undo or repeat that.
      input.logger.warn('announcement failed', { table: result.table, error: describeError(error) });
      input.metrics.add('AnnouncementErrors');
    }
  }

  return {
    async release(tableName, options) {
      const log = input.logger.child({ table: tableName, release: options.reason });
      const deadline = options.deadline ?? clock.now() + 60_000;
      const applied: ReleaseAction[] = [];
      let kept: Kept[] = [];
      let lastError: unknown;
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        let pending: ReleaseAction[] = [];
        let observed: ReleaseObserved | undefined;
        try {
          observed = await observe(tableName, attempt === 0 ? options.snapshot : undefined);
          const planned = planRelease(observed, options);
          kept = planned.kept;
          if (options.dryRun) return { table: tableName, outcome: ReleaseOutcome.Planned, actions: planned.actions, kept };
          pending = [...planned.actions];
          while (pending.length > 0) {
            const action = pending[0]!;
            await applyOne(action, observed.table, deadline);
            pending.shift();
            applied.push(action);
            const { type, ...detail } = action;
            log.info('reconciler action', { action: type, after: detail });
            input.metrics.add(`Release.${type}`);
          }
          if (planned.waitForActive) {
            if (clock.now() >= deadline) return { table: tableName, outcome: ReleaseOutcome.Requeue, actions: applied, kept, left: [], error: { name: 'NotActive', message: `table ${tableName} is not ACTIVE; its stream is released later` } };
            await waitUntilActive(tableName, deadline);
            continue; // observe again: the stream and the tags are released now
          }
          const result: ReleaseResult = { table: tableName, outcome: applied.length > 0 ? ReleaseOutcome.Released : ReleaseOutcome.Nothing, actions: applied, kept };
          if (applied.length > 0) await announce(result, observed, options);
          return result;
        } catch (error) {
          lastError = error;
          log.warn('release attempt failed', { attempt, error: describeError(error) });
          const transient = error instanceof AwsCallError && error.kind !== ErrorKind.Terminal;
          if (!transient || attempt + 1 >= MAX_ATTEMPTS || clock.now() >= deadline) {
            input.metrics.add('ReleaseErrors');
            const outcome = transient ? ReleaseOutcome.Requeue : ReleaseOutcome.Error;
            // `left` only when the plan is known (the failure came while applying it).
            return { table: tableName, outcome, actions: applied, kept, ...(observed ? { left: pending } : {}), error: describeError(error) };
          }
          await clock.sleep(200 * 2 ** attempt);
        }
      }
      return { table: tableName, outcome: ReleaseOutcome.Requeue, actions: applied, kept, left: [], error: describeError(lastError) };
    },
  };
}
