/**
 * Apply: executes a plan's actions, in order, through the ports. Each action is one small
 * step; the steps share what earlier ones learnt (the new stream's ARN, the mapping kept).
 */
import { describeError } from '../src/errors';
import type { Logger } from '../src/observability/logger';
import type { OperatorContext } from './context';
import { AwsCallError, ErrorKind } from './errors';
import { NEW_STREAM, STREAM_LABEL_TAG_KEY, STREAM_TAG_KEY, STREAM_TAG_VALUE, streamLabelOf, type Action, type ActionType, type Observed, type Plan } from './model';
import { readAll, type StreamOwnership } from './observe';
import { desiredMappingFields, mappingDrift, observedMappingFields } from './plan';
import { backoff, waitForNewStream, waitUntilActive } from './retry';

/** What apply reports for the announcement: the latest stream and the mapping kept on it. */
export interface Applied {
  streamArn?: string;
  mappingUuid?: string;
}

/** The operator's apply step. */
export interface Applier {
  /**
   * Applies `planned`, pushing each applied action onto `applied` (so a failure part-way
   * still reports what was done). A failed backfill start does not stop the capacity
   * actions after it; it is thrown once they are applied.
   */
  apply(planned: Plan, observed: Observed, deadline: number, log: Logger, applied: Action[]): Promise<Applied>;
}

/** The state of one plan's application, shared by its steps. */
interface ApplyRun {
  tableName: string;
  tableArn: string;
  deadline: number;
  log: Logger;
  /** The table's latest stream when observed (before this plan enabled a new one). */
  observedStreamArn?: string;
  streamArn?: string;
  streamLabel?: string;
  mappingUuid?: string;
  backfillFailure?: { error: unknown };
}

type Step<T extends ActionType> = (action: Extract<Action, { type: T }>, run: ApplyRun) => Promise<'applied' | 'skipped'>;
type Steps = { [T in ActionType]: Step<T> };

const BACKFILL_START_ATTEMPTS = 3;

export function createApplier(ctx: OperatorContext, ownership: StreamOwnership): Applier {
  const { deps, desired, clock } = ctx;

  function logAction(log: Logger, action: Action, after: Record<string, unknown> = {}): void {
    const { type, ...rest } = action;
    const before = 'before' in rest ? rest.before : undefined;
    log.info('reconciler action', { action: type, before, after: { ...rest, before: undefined, ...after } });
    deps.metrics.add(`Action.${type}`);
  }

  /**
   * Hands the table to the backfill, retrying a few times. A start that still fails is
   * reported (error outcome, `BackfillStartErrors` metric); the backfill is desired state, so
   * the next reconcile or sweep observes no run for the stream and starts it again.
   */
  async function startBackfill(request: { tableName: string; tableArn: string; streamArn: string }, log: Logger) {
    for (let attempt = 0; ; attempt++) {
      try {
        return await deps.backfill!.start({ ...request, reason: 'stream-enabled' });
      } catch (error) {
        log.warn('backfill start failed', { attempt, error: describeError(error) });
        if (attempt + 1 >= BACKFILL_START_ATTEMPTS) {
          deps.metrics.add('BackfillStartErrors');
          throw error;
        }
        await backoff(clock, attempt);
      }
    }
  }

  /**
   * Creates the mapping, then lists the stream's mappings again and keeps only the lowest
   * UUID: two concurrent runs that both created one converge on the same survivor.
   * ResourceConflict (AWS refuses a second mapping) means another run won: adopt its mapping.
   */
  async function createMappingOnce(streamArn: string, log: Logger): Promise<string> {
    const spec = { ...desiredMappingFields(desired), streamArn };
    try {
      await deps.mappings.create(spec);
    } catch (error) {
      if (!(error instanceof AwsCallError && error.kind === ErrorKind.Conflict)) throw error;
      log.info('mapping already exists (another run won); converging on it', { streamArn });
      deps.metrics.add('MappingCreateConflict');
    }
    const onStream = (await readAll((next) => deps.mappings.list({ eventSourceArn: streamArn }, next)))
      .filter((m) => m.state !== 'Deleting')
      .sort((a, b) => (a.uuid < b.uuid ? -1 : 1));
    const [keeper, ...duplicates] = onStream;
    if (!keeper) throw new AwsCallError(ErrorKind.Retryable, 'ListEventSourceMappings', 'MappingNotVisible', `mapping for ${streamArn} not listed yet`);
    for (const duplicate of duplicates) {
      await deps.mappings.delete(duplicate.uuid);
      log.info('reconciler action', { action: 'delete-mapping', before: { uuid: duplicate.uuid }, after: { reason: 'duplicate-after-create', kept: keeper.uuid } });
      deps.metrics.add('Action.delete-mapping');
    }
    const { changes } = mappingDrift(observedMappingFields(keeper), desiredMappingFields(desired));
    if (Object.keys(changes).length > 0) await deps.mappings.update(keeper.uuid, changes);
    return keeper.uuid;
  }

  const steps: Steps = {
    'enable-stream': async (action, run) => {
      const enabled = await deps.tables.enableStream(run.tableName, action.viewType);
      await waitUntilActive(deps.tables, clock, run.tableName, run.deadline);
      run.streamArn = enabled.streamArn ?? (await waitForNewStream(deps.tables, clock, run.tableName, run.observedStreamArn, run.deadline));
      run.streamLabel = enabled.streamLabel ?? streamLabelOf(run.streamArn);
      logAction(run.log, action, { streamArn: run.streamArn });
      return 'applied';
    },
    'disable-stream': async (action, run) => {
      await deps.tables.disableStream(run.tableName);
      await waitUntilActive(deps.tables, clock, run.tableName, run.deadline);
      logAction(run.log, action);
      return 'applied';
    },
    'tag-stream-owner': async (action, run) => {
      const tags = { [STREAM_TAG_KEY]: STREAM_TAG_VALUE, ...(run.streamLabel ? { [STREAM_LABEL_TAG_KEY]: run.streamLabel } : {}) };
      await deps.tables.tagTable(run.tableArn, tags);
      if (run.streamArn) ownership.recordOwned(run.streamArn);
      logAction(run.log, action, { tags });
      return 'applied';
    },
    'set-billing-mode': async (action, run) => {
      await deps.tables.setBillingMode(run.tableName, action.billingMode);
      await waitUntilActive(deps.tables, clock, run.tableName, run.deadline);
      logAction(run.log, action);
      return 'applied';
    },
    'delete-mapping': async (action, run) => {
      await deps.mappings.delete(action.uuid);
      logAction(run.log, action);
      return 'applied';
    },
    'create-mapping': async (action, run) => {
      const target = action.streamArn === NEW_STREAM ? run.streamArn : action.streamArn;
      if (!target) throw new AwsCallError(ErrorKind.Retryable, 'CreateEventSourceMapping', 'StreamNotReady', `table ${run.tableName} has no stream ARN yet`);
      run.mappingUuid = await createMappingOnce(target, run.log);
      logAction(run.log, action, { streamArn: target, uuid: run.mappingUuid });
      return 'applied';
    },
    'update-mapping': async (action, run) => {
      await deps.mappings.update(action.uuid, action.changes);
      run.mappingUuid = action.uuid;
      logAction(run.log, action);
      return 'applied';
    },
    'start-backfill': async (action, run) => {
      // Planned after the mapping actions: the forwarder reads the stream before the scan starts.
      if (!deps.backfill || !run.streamArn) return 'applied';
      try {
        const result = await startBackfill({ tableName: run.tableName, tableArn: run.tableArn, streamArn: run.streamArn }, run.log);
        logAction(run.log, action, { result });
        return 'applied';
      } catch (error) {
        // Capacity does not wait for the backfill: apply the rest, then report this failure.
        run.backfillFailure = { error };
        return 'skipped';
      }
    },
    'register-target': async (action, run) => {
      await deps.scaling.registerTarget({ resourceId: action.resourceId, dimension: action.dimension, minCapacity: action.minCapacity, maxCapacity: action.maxCapacity });
      logAction(run.log, action);
      return 'applied';
    },
    'put-policy': async (action, run) => {
      await deps.scaling.putPolicy(action);
      logAction(run.log, action);
      return 'applied';
    },
    'delete-policy': async (action, run) => {
      await deps.scaling.deletePolicy(action);
      logAction(run.log, action);
      return 'applied';
    },
    'deregister-target': async (action, run) => {
      await deps.scaling.deregisterTarget(action);
      logAction(run.log, action);
      return 'applied';
    },
  };

  function runStep(action: Action, run: ApplyRun): Promise<'applied' | 'skipped'> {
    return (steps[action.type] as Step<ActionType>)(action as never, run);
  }

  return {
    async apply(planned, observed, deadline, log, applied) {
      const streamArn = observed.table?.stream.latestArn;
      const run: ApplyRun = { tableName: planned.tableName, tableArn: observed.table?.arn ?? '', deadline, log, ...(streamArn ? { streamArn, observedStreamArn: streamArn } : {}) };
      for (const action of planned.actions) {
        if ((await runStep(action, run)) === 'applied') applied.push(action);
      }
      if (run.backfillFailure) throw run.backfillFailure.error;
      return { ...(run.streamArn ? { streamArn: run.streamArn } : {}), ...(run.mappingUuid ? { mappingUuid: run.mappingUuid } : {}) };
    },
  };
}
