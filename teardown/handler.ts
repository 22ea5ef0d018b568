/**
 * The teardown custom resource: Create and Update answer SUCCESS and do nothing; Delete
 * releases every table the reconciler manages and answers CloudFormation once, at the end,
 * in every case (SUCCESS, or FAILED with a reason that names what was left).
 *
 * Stopping new work first: the stack's schedule and CloudTrail rule are deleted by
 * CloudFormation in parallel with this resource, so the reconciler could still run and
 * re-create what was just released. Delete therefore
 *   1. sets the reconciler's reserved concurrency to 0 (every new invocation, scheduled,
 *      rule-triggered or a continuation, is throttled from then on);
 *   2. releases every managed table (the first pass);
 *   3. waits until the reconciler's timeout has passed since step 1, so that any run that was
 *      already in flight has ended (Lambda stops it at its timeout at the latest);
 *   4. releases whatever is still managed (the final pass), which catches anything such a
 *      run created after step 2 looked at its table.
 * After step 4 nothing can create anything any more, so its result is the answer.
 *
 * Long deletions continue across invocations: before the invocation's time runs out, the
 * handler invokes itself asynchronously with the request and its progress (plain JSON) and
 * returns; only the last invocation answers. Repeated Deletes are harmless: each step is
 * idempotent, and a second Delete finds nothing to release.
 */
import type { Context } from 'aws-lambda';
import { DmsEventBusError, describeError, MalformedInputError } from '../src/errors';
import type { Logger } from '../src/observability/logger';
import type { Metrics } from '../src/observability/metrics';
import type { AnnouncePort, Clock } from '../reconciler/ports';
import { systemClock } from '../reconciler/ports';
import type { ReleaseMappingPort, ReleaseScalingPort, ReleaseTablePort } from '../reconciler/release/model';
import { initialReleaseAllState, releaseAll, type ReleaseAllState } from '../reconciler/release/release-all';
import { createReleaser } from '../reconciler/release/releaser';
import type { Continuer, ReconcilerControl } from './adapters';
import { looksLikeCustomResourceRequest, parseCustomResourceRequest, RequestType, responseBody, type CustomResourceRequest } from './cfn';
import { parseTeardownProperties, type TeardownProperties } from './request';

export interface TeardownPorts {
  tables: ReleaseTablePort;
  mappings: ReleaseMappingPort;
  scaling: ReleaseScalingPort;
  announcer: AnnouncePort;
  control: ReconcilerControl;
}

export interface TeardownDeps {
  /** The AWS ports for the resource's properties (the forwarder and reconciler they name). */
  portsFor(properties: TeardownProperties): TeardownPorts;
  continuer: Continuer;
  /** PUTs the response body to the presigned URL; throws when it was not accepted. */
  respond(responseUrl: string, body: string): Promise<void>;
  logger: Logger;
  metrics: Metrics;
  clock?: Clock;
}

export const TeardownStage = { Stop: 'stop', Release: 'release', Drain: 'drain', Verify: 'verify' } as const;
export type TeardownStage = (typeof TeardownStage)[keyof typeof TeardownStage];

/** The progress of a Delete, carried from one invocation to the next. */
export interface TeardownState {
  stage: TeardownStage;
  /** Epoch ms the Delete started (the CloudFormation wait is counted from about then). */
  startedAt: number;
  /** Epoch ms the reconciler was stopped. */
  stoppedAt?: number;
  release: ReleaseAllState;
  invocations: number;
}

export interface TeardownContinuation {
  teardownContinuation: { request: CustomResourceRequest; state: TeardownState };
}

/** Kept back from the invocation's remaining time: one table's release in flight, the self-invocation, the answer. */
export const INVOCATION_RESERVE_MS = 90_000;
/** Kept back from CloudFormation's wait (ServiceTimeout) so that a FAILED answer still arrives in time. */
export const SERVICE_RESERVE_MS = 5 * 60_000;
/** Margin after the reconciler's timeout before the final pass. */
const DRAIN_MARGIN_MS = 10_000;

/** The answer could not be delivered to the ResponseURL. */
export class ResponseNotSentError extends DmsEventBusError {
  override readonly name = 'ResponseNotSentError';
}

function isContinuation(event: unknown): event is TeardownContinuation {
  return typeof event === 'object' && event !== null && 'teardownContinuation' in event;
}

/** The FAILED reason: what was released and, per table, what was left and why. */
export function failureReason(state: ReleaseAllState, extra?: string): string {
  const tables = state.failures.map((f) => `${f.table} (${f.error}${f.left.length > 0 ? `; left: ${f.left.join(', ')}` : ''})`);
  const more = state.moreFailures > 0 ? ` and ${state.moreFailures} more tables` : '';
  const left = tables.length > 0 ? ` ${tables.length + state.moreFailures} tables not released: ${tables.join('; ')}${more}.` : '';
  return `${extra ? `${extra}. ` : ''}Released ${state.released} tables.${left} Release them with "dms-event-bus uninstall", then delete the stack again.`.trim();
}

export function createTeardownHandler(deps: TeardownDeps) {
  const clock = deps.clock ?? systemClock;

  async function answer(request: CustomResourceRequest, status: 'SUCCESS' | 'FAILED', reason?: string, data: Record<string, string> = {}): Promise<{ status: string; reason?: string }> {
    const body = responseBody(request, status, reason, data);
    deps.logger.info('answering CloudFormation', { requestType: request.RequestType, status, reason, logicalResourceId: request.LogicalResourceId });
    deps.metrics.add(`Teardown.${status}`);
    // Throws when S3 refuses or cannot be reached: Lambda's asynchronous retry then repeats the (idempotent) work and the answer.
    try {
      await deps.respond(request.ResponseURL, body);
    } catch (error) {
      throw new ResponseNotSentError(`could not deliver the ${status} answer: ${describeError(error).message}`, { cause: error });
    }
    return { status, ...(reason !== undefined ? { reason } : {}) };
  }

  async function runDelete(request: CustomResourceRequest, properties: TeardownProperties, from: TeardownState, context: Context) {
    const state: TeardownState = { ...from, invocations: from.invocations + 1 };
    const end = clock.now() + Math.max(1_000, (context.getRemainingTimeInMillis?.() ?? 900_000) - INVOCATION_RESERVE_MS);
    const budgetEnd = state.startedAt + properties.serviceTimeoutSeconds * 1000 - SERVICE_RESERVE_MS;
    const ports = deps.portsFor(properties);
    const releaser = createReleaser({ ...ports, logger: deps.logger, metrics: deps.metrics, clock });
    const releaseDeps = {
      ...ports, releaser, clock, metrics: deps.metrics, tableNamePrefix: properties.tableNamePrefix,
      tableArn: (name: string) => `arn:${properties.partition}:dynamodb:${properties.region}:${properties.account}:table/${name}`,
    };
    const log = deps.logger.child({ stackId: request.StackId, requestId: request.RequestId });
    const onResult = (result: { table: string; outcome: string; actions: { type: string }[] }, progress: ReleaseAllState) =>
      log.info('table released', { table: result.table, outcome: result.outcome, actions: result.actions.map((a) => a.type), released: progress.released, examined: progress.examined });

    if (state.stage === TeardownStage.Stop) {
      const stopped = await ports.control.stop();
      log.info('reconciler stopped (reserved concurrency 0)', { reconciler: properties.reconcilerFunctionName, result: stopped });
      Object.assign(state, { stage: TeardownStage.Release, stoppedAt: clock.now() });
    }
    if (state.stage === TeardownStage.Release) {
      state.release = await releaseAll(releaseDeps, { disableStream: properties.disableStreams, deadline: Math.min(end, budgetEnd), checkTags: true, trigger: 'cloudformation', onResult }, state.release);
      if (state.release.phase === 'done') state.stage = TeardownStage.Drain;
    }
    if (state.stage === TeardownStage.Drain) {
      const until = (state.stoppedAt ?? state.startedAt) + properties.reconcilerTimeoutSeconds * 1000 + DRAIN_MARGIN_MS;
      if (clock.now() < until) {
        log.info('waiting for reconciler runs in flight to end', { until: new Date(until).toISOString() });
        await clock.sleep(Math.max(0, Math.min(until, end) - clock.now()));
      }
      if (clock.now() >= until) Object.assign(state, { stage: TeardownStage.Verify, release: { ...state.release, phase: 'leftovers', cursor: undefined } });
    }
    if (state.stage === TeardownStage.Verify) {
      state.release = await releaseAll(releaseDeps, { disableStream: properties.disableStreams, deadline: Math.min(end, budgetEnd), checkTags: false, trigger: 'cloudformation', onResult }, state.release);
      if (state.release.phase === 'done') {
        const data = { ReleasedTables: String(state.release.released) };
        if (state.release.failures.length > 0 || state.release.moreFailures > 0) return answer(request, 'FAILED', failureReason(state.release), data);
        return answer(request, 'SUCCESS', undefined, data);
      }
    }
    // Not finished in this invocation.
    if (clock.now() >= budgetEnd) {
      return answer(request, 'FAILED', failureReason(state.release, `Time ran out at stage ${state.stage} after ${state.release.examined} tables (last: ${state.release.cursor ?? 'none'})`));
    }
    try {
      await deps.continuer.continueLater({ teardownContinuation: { request, state } } satisfies TeardownContinuation);
      log.info('continuing in a new invocation', { stage: state.stage, examined: state.release.examined, cursor: state.release.cursor, invocations: state.invocations });
      return { status: 'continuing', stage: state.stage };
    } catch (error) {
      return answer(request, 'FAILED', failureReason(state.release, `Could not continue in a new invocation (${describeError(error).message}) at stage ${state.stage}`));
    }
  }

  async function handle(event: unknown, context: Context): Promise<unknown> {
    let request: CustomResourceRequest;
    let from: TeardownState | undefined;
    try {
      if (isContinuation(event)) {
        request = parseCustomResourceRequest(event.teardownContinuation.request);
        from = event.teardownContinuation.state;
      } else {
        request = parseCustomResourceRequest(event);
      }
    } catch (error) {
      if (!(error instanceof MalformedInputError)) throw error;
      deps.logger.error('malformed custom resource request', { error: describeError(error), event });
      deps.metrics.add('MalformedEvents');
      // Answer when there is somewhere to answer: CloudFormation would otherwise wait for its timeout.
      const e = event as Record<string, unknown>;
      if (looksLikeCustomResourceRequest(event) && typeof e.ResponseURL === 'string' && typeof e.StackId === 'string') {
        const partial = { ...e, RequestId: String(e.RequestId ?? ''), LogicalResourceId: String(e.LogicalResourceId ?? '') } as unknown as CustomResourceRequest;
        try {
          return await answer(partial, 'FAILED', `Malformed request: ${error.message}`);
        } catch (sendError) {
          deps.logger.error('could not answer a malformed request', { error: describeError(sendError) });
        }
      }
      return { status: 'malformed', error: error.message };
    }
    try {
      if (request.RequestType !== RequestType.Delete) return await answer(request, 'SUCCESS');
      const properties = parseTeardownProperties(request.ResourceProperties);
      const state = from ?? { stage: TeardownStage.Stop, startedAt: clock.now(), release: initialReleaseAllState(), invocations: 0 };
      return await runDelete(request, properties, state, context);
    } catch (error) {
      const described = describeError(error);
      deps.logger.error('teardown failed', { error: described });
      if (error instanceof ResponseNotSentError) throw error; // the answer itself failed: let Lambda retry
      return answer(request, 'FAILED', `${described.name}: ${described.message}`);
    }
  }

  return async function handler(event: unknown, context: Context): Promise<unknown> {
    try {
      return await handle(event, context);
    } finally {
      deps.metrics.flush(); // one EMF line per invocation, also when it throws
    }
  };
}
