/**
 * Reconciler Lambda handler: parses the invocation (CloudTrail table event, schedule, or
 * a direct call), runs the operator and maps the result to the Lambda response.
 *
 * Retry semantics: for a CloudTrail event whose table must be looked at again soon (still
 * CREATING, not found yet, throttled past our own retries) the handler throws, so
 * EventBridge's asynchronous invocation retries it (EventInvokeConfig). Everything else
 * returns normally: a refusal to retry later (LimitExceeded) and standing conflicts are
 * picked up by the next scheduled sweep, and a malformed event is logged once, never retried.
 */
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { loadReconcilerConfig, type ReconcilerConfig } from '../src/config/reconciler';
import { DmsEventBusError, describeError, MalformedInputError } from '../src/errors';
import { createLogger, type Logger } from '../src/observability/logger';
import { createMetrics, type Metrics } from '../src/observability/metrics';
import { observability } from '../src/observability/middleware';
import { createTableFilter } from '../src/table-filter';
import { loadBackfillStarterConfig } from '../src/config/backfill-starter';
import { createAwsDeps } from './aws-deps';
import { parseBackfillInvocation } from '../src/backfill-state/invocation';
import { createBackfillStarter, createReconcilerBackfillDeps, handleBackfillRequest, type ReconcilerBackfillDeps } from './backfill/index';
import { healLostRange, type HealResult } from './backfill/heal';
import { parseRequest, type LostRangeDetail } from './events';
import { createOperator, Outcome, type Operator, type RunSummary } from './operator';

/** Thrown so that Lambda's asynchronous retry re-delivers a table event. */
export class RequeueError extends DmsEventBusError {
  override readonly name = 'RequeueError';
}

export interface HandlerDeps {
  config: ReconcilerConfig;
  operator: Operator;
  logger: Logger;
  metrics: Metrics;
  /** The handler of `{"action":"backfill"}` requests (start a run, or hand one to the snapshot function); absent = route disabled. */
  backfill?: (event: Record<string, unknown>, context: Context) => Promise<unknown>;
  /** Heals a table after `Changes Lost` (a forced backfill, reason heal); absent = route disabled. */
  heal?: (lost: LostRangeDetail) => Promise<HealResult>;
}

/** Time kept back from the Lambda timeout for returning and flushing metrics. */
const RESPONSE_RESERVE_MS = 5_000;

function withoutObserved(summary: RunSummary, keepConverged: boolean) {
  return {
    ...summary,
    tables: summary.tables
      .filter((t) => keepConverged || t.outcome !== Outcome.Converged)
      .map(({ observed: _observed, ...rest }) => rest),
  };
}

/**
 * Builds the handler. `deps` is a factory called once per container on first use, so the
 * module has no clients at load time and tests pass fakes.
 */
export function createHandler(deps: HandlerDeps | (() => HandlerDeps)) {
  let resolved: HandlerDeps | undefined;
  const get = () => (resolved ??= typeof deps === 'function' ? deps() : deps);

  const base = async (event: unknown, context: Context): Promise<unknown> => {
    const { config, operator, logger, metrics } = get();
    const deadline = Date.now() + Math.max(1_000, (context.getRemainingTimeInMillis?.() ?? 300_000) - RESPONSE_RESERVE_MS);
    let request;
    try {
      request = parseRequest(event, { account: config.account, region: config.region, filter: createTableFilter({ include: config.include, exclude: config.exclude, ...(config.creatorRolePattern ? { creatorRolePattern: config.creatorRolePattern } : {}) }) });
    } catch (error) {
      if (!(error instanceof MalformedInputError)) throw error;
      // Retrying cannot fix the input: log it once, in full, and return.
      logger.error('malformed event', { error: describeError(error), event });
      metrics.add('MalformedEvents');
      return { status: 'malformed', error: error.message };
    }
    metrics.add(`Requests.${request.kind}`);
    switch (request.kind) {
      case 'ignored':
        logger.info('event ignored', { reason: request.reason, table: request.tableName, eventName: request.eventName });
        metrics.add('IgnoredEvents');
        return { status: 'ignored', reason: request.reason };
      case 'table-event': {
        logger.info('table event', { table: request.tableName, eventName: request.eventName, creator: request.creatorArn, eventId: request.eventId });
        const summary = await operator.reconcileTables([request.tableName], { deadline, expectExists: request.eventName !== 'DeleteTable', trigger: request.eventName });
        const again = summary.tables.find((t) => t.outcome === Outcome.Requeue && t.retry === 'now');
        if (again) throw new RequeueError(`table ${again.table} must be reconciled again: ${again.reason ?? 'not converged'}`);
        return { status: 'ok', ...withoutObserved(summary, true) };
      }
      case 'reconcile':
        return { status: 'ok', ...withoutObserved(await operator.reconcileTables(request.tables, { dryRun: request.dryRun, deadline, trigger: 'direct' }), true) };
      case 'status':
        return { status: 'ok', ...(await operator.status(request.tables)) };
      case 'sweep': {
        const summary = await operator.sweep({ dryRun: request.dryRun, deadline, trigger: 'sweep', ...(request.startAfter ? { startAfter: request.startAfter } : {}) });
        logger.info('sweep finished', { counts: summary.counts, complete: summary.complete, cursor: summary.cursor });
        return { status: 'ok', ...withoutObserved(summary, false), complete: summary.complete, cursor: summary.cursor };
      }
      case 'backfill': {
        const backfill = get().backfill;
        if (!backfill) {
          logger.error('backfill invocation but the backfill module is not wired', {});
          return { status: 'malformed', error: 'backfill is not available in this deployment' };
        }
        try {
          return await backfill(request.event, context);
        } catch (error) {
          if (!(error instanceof MalformedInputError)) throw error;
          logger.error('malformed backfill invocation', { error: describeError(error), event });
          metrics.add('MalformedEvents');
          return { status: 'malformed', error: error.message };
        }
      }
      case 'changes-lost': {
        const heal = get().heal;
        logger.error('changes lost on a table stream; healing the table with a backfill', { ...request.lost });
        metrics.add('ChangesLostReceived');
        if (!heal) {
          logger.error('Changes Lost received but the heal route is not wired', { table: request.lost.table });
          return { status: 'malformed', error: 'healing is not available in this deployment' };
        }
        // AWS errors propagate: the asynchronous invocation is retried, then kept in the failure queue.
        const result = await heal(request.lost);
        if (result.kind === 'started') metrics.add('HealsStarted');
        return { status: 'ok', heal: result };
      }
    }
  };

  // Lambda context in every log line, the cold start counted, and metrics as one EMF line per
  // invocation, also when the handler throws.
  return middy(base).use(observability(get));
}

/** Parts of the default dependencies a caller may replace (the local run sends logs and metrics elsewhere). */
export interface DefaultDepsOverrides {
  /** Replaces the JSON logger (stdout); the backfill starter gets a `component: backfill` child of it. */
  logger?: Logger;
  /** Replaces the EMF metrics (stdout). */
  metrics?: Metrics;
  /** Replaces parts of the backfill starter's AWS dependencies (for example its invoker). */
  backfill?: Partial<ReconcilerBackfillDeps>;
}

/**
 * Real dependencies from the environment, built on the first invocation. The backfill
 * starter (reconciler/backfill) is wired in twice: as the operator's BackfillStarter when
 * BACKFILL_ENABLED (the operator observes runs through it and starts them in the snapshot
 * function), and as the handler of `{"action":"backfill"}` requests (built on first use,
 * so a deployment without backfill settings fails only that route, clearly).
 */
export function createDefaultDeps(env: NodeJS.ProcessEnv = process.env, overrides: DefaultDepsOverrides = {}): HandlerDeps {
  const config = loadReconcilerConfig(env);
  const logger = overrides.logger ?? createLogger({ service: config.serviceName, level: config.logLevel });
  const metrics = overrides.metrics ?? createMetrics({ service: config.serviceName, namespace: config.metricsNamespace });
  let backfillDeps: ReconcilerBackfillDeps | undefined;
  const getBackfillDeps = () =>
    (backfillDeps ??= createReconcilerBackfillDeps(loadBackfillStarterConfig(env), { logger: logger.child({ component: 'backfill' }), ...overrides.backfill }));
  const backfill = config.backfillEnabled ? createBackfillStarter(getBackfillDeps()) : undefined;
  const operator = createOperator(createAwsDeps(config, { logger, metrics, ...(backfill ? { backfill } : {}) }));
  return {
    config,
    operator,
    logger,
    metrics,
    backfill: (event) => {
      parseBackfillInvocation(event); // bad input is reported as such, before any configuration is read
      return handleBackfillRequest(event, getBackfillDeps());
    },
    heal: (lost) => healLostRange(lost, getBackfillDeps(), logger.child({ component: 'heal' })),
  };
}

export const handler = createHandler(() => createDefaultDeps());
