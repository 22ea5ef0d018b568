/**
 * One local session: follow the change stream, play the scenario against the running
 * pipeline, wait until everything written has arrived (or a timeout), then judge.
 * Shared by `npm start`, the end-to-end test and the benchmark.
 */
import { createDynamoDbClient, createKinesisClient } from '../src/aws/clients';
import { followKinesis } from './kinesis-reader';
import { judge, type ReceivedEvent, type Verdict } from './ledger';
import type { LocalRuntime } from './runtime';
import { runScenario, type ScenarioOptions, type ScenarioProgress, type ScenarioResult } from './scenario';
import { LOCAL_ACCOUNT_ID } from './stack';

export interface SessionHooks {
  onEvent?(event: ReceivedEvent & Record<string, unknown>): void;
  onProgress?(progress: ScenarioProgress): void;
  onPhase?(phase: 'scenario' | 'draining' | 'judged'): void;
}

export interface SessionResult {
  readonly scenario: ScenarioResult;
  readonly events: ReceivedEvent[];
  readonly verdict: Verdict;
  /** Wall time of the scenario (first write to last write) and until the last event arrived. */
  readonly timings: { scenarioMs: number; drainMs: number };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Parses one Kinesis record of the change stream; undefined for anything that is not a v1 event. */
export function parseChangeEvent(data: Uint8Array, arrivedAt: number): (ReceivedEvent & Record<string, unknown>) | undefined {
  try {
    const event = JSON.parse(Buffer.from(data).toString('utf8')) as Record<string, unknown>;
    if (event.schemaVersion !== 1 || typeof event.table !== 'string') return undefined;
    return { ...(event as unknown as ReceivedEvent), arrivedAt };
  } catch {
    return undefined;
  }
}

export async function playSession(runtime: LocalRuntime, options: ScenarioOptions & { drainTimeoutMs?: number }, hooks: SessionHooks = {}): Promise<SessionResult> {
  const events: ReceivedEvent[] = [];
  const follower = await followKinesis({
    client: createKinesisClient(),
    streamName: runtime.stack.streamName,
    from: 'LATEST',
    onRecord: (record) => {
      const event = parseChangeEvent(record.data, record.arrivedAt);
      if (!event) return;
      events.push(event);
      hooks.onEvent?.(event);
    },
  });
  try {
    hooks.onPhase?.('scenario');
    const started = Date.now();
    const scenario = await runScenario(
      {
        dynamodb: createDynamoDbClient(),
        lambda: runtime.lambda,
        region: runtime.region,
        accountId: LOCAL_ACCOUNT_ID,
        forwarderFunctionArn: runtime.stack.forwarderFunctionArn,
        deliver: (event) => runtime.deliverToReconciler(event),
        onProgress: hooks.onProgress,
      },
      options,
    );
    const scenarioMs = Date.now() - started;
    hooks.onPhase?.('draining');
    // Drain: until the verdict has nothing missing and nothing stale (backfills done), or the timeout.
    const deadline = Date.now() + (options.drainTimeoutMs ?? 120_000);
    let verdict = judge(scenario.writes, events, scenario.dataTables);
    let lastCount = -1;
    while (Date.now() < deadline) {
      verdict = judge(scenario.writes, events, scenario.dataTables);
      if (verdict.totals.missing === 0 && verdict.totals.staleItems === 0 && runtime.front.inFlight() === 0 && events.length === lastCount) break;
      lastCount = events.length;
      await sleep(500);
    }
    const drainMs = Date.now() - started - scenarioMs;
    verdict = judge(scenario.writes, events, scenario.dataTables);
    hooks.onPhase?.('judged');
    return { scenario, events, verdict, timings: { scenarioMs, drainMs } };
  } finally {
    await follower.stop();
  }
}
