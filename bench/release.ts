/**
 * Release benchmark: the stack-deletion teardown (the custom resource's Delete: stop the
 * reconciler, release every managed table from one snapshot of mappings/targets/policies,
 * final pass) over N converged tables, against the fake AWS of bench/reconciler.ts
 * (20 ms per call, throttled above 20 calls/s, AWS page sizes). Baseline in the same run: the
 * same releases with each table observed on its own (per-table listings, no snapshot), on a
 * smaller set of tables because it is slow (reported per table).
 *
 *   npx tsx bench/release.ts [--tables 1000] [--baseline-tables 100] [--latency 20] [--rate 20]
 */
import os from 'node:os';
import type { Context } from 'aws-lambda';
import { createLogger } from '../src/observability/logger';
import { createMetrics } from '../src/observability/metrics';
import { createTableFilter } from '../src/table-filter';
import { loadReconcilerConfig } from '../src/config/reconciler';
import { createOperator } from '../reconciler/operator';
import { readAll } from '../reconciler/observe';
import { ReleaseReason } from '../reconciler/release/model';
import { createReleaser } from '../reconciler/release/releaser';
import { createTeardownHandler } from '../teardown/handler';
import { FakeAws } from '../test/unit/reconciler/fake-aws';
import { numberArg } from './args';

const TABLES = numberArg('tables', 1000);
const BASELINE_TABLES = numberArg('baseline-tables', 100);
const LATENCY = numberArg('latency', 20);
const RATE = numberArg('rate', 20);
const FORWARDER = 'arn:aws:lambda:eu-west-1:123456789012:function:forwarder';
const quiet = { logger: createLogger({ service: 'bench', level: 'ERROR', write: () => undefined }), metrics: createMetrics({ service: 'bench', write: () => undefined }) };

async function convergedWorld(tables: number): Promise<FakeAws> {
  const aws = new FakeAws();
  for (let i = 0; i < tables; i++) aws.addTable(`dms_table_${String(i).padStart(5, '0')}`, i % 10 === 0 ? { indexes: [{ name: 'by_customer', status: 'ACTIVE' }] } : {});
  const config = loadReconcilerConfig({ FORWARDER_FUNCTION_ARN: FORWARDER, BACKFILL_ENABLED: 'false', LOG_LEVEL: 'ERROR' });
  await createOperator({
    config, filter: createTableFilter({ include: config.include, exclude: config.exclude }),
    tables: aws.tablePort, streams: aws.streamPort, mappings: aws.mappingPort, scaling: aws.scalingPort, announcer: aws.announcer, ...quiet,
  }).sweep({ deadline: Date.now() + 3_600_000 });
  Object.assign(aws.options, { latencyMs: LATENCY, maxCallsPerSecond: RATE });
  aws.calls = {};
  return aws;
}

const left = (aws: FakeAws) => aws.mappings.size + aws.targets.size + aws.policies.size + [...aws.tables.values()].filter((t) => Object.keys(t.tags).length > 0).length;
const total = (calls: Record<string, number>) => Object.entries(calls).filter(([op]) => op !== 'Throttled').reduce((n, [, c]) => n + c, 0);

/** The custom resource's Delete, delivered like CloudFormation, continuations run in turn (Lambda's 900 s each). */
async function teardown(aws: FakeAws): Promise<{ ms: number; invocations: number; answer: Record<string, unknown> }> {
  const continuations: unknown[] = [];
  let answer: Record<string, unknown> = {};
  const handler = createTeardownHandler({
    portsFor: () => ({ tables: aws.tablePort, mappings: aws.mappingPort, scaling: aws.scalingPort, announcer: aws.announcer, control: { stop: async () => 'stopped' } }),
    continuer: { continueLater: async (payload) => { continuations.push(payload); } },
    respond: async (_url, body) => { answer = JSON.parse(body); },
    ...quiet,
  });
  const started = Date.now();
  const lambdaStarted = () => { const at = Date.now(); return { getRemainingTimeInMillis: () => 900_000 - (Date.now() - at) } as unknown as Context; };
  let invocations = 1;
  await handler({
    RequestType: 'Delete', RequestId: 'bench', ResponseURL: 'https://example.invalid/response', ResourceType: 'Custom::DmsEventBusTeardown', LogicalResourceId: 'Teardown',
    StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/bench/1', PhysicalResourceId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/bench/1/Teardown',
    ResourceProperties: { ForwarderFunctionArn: FORWARDER, ReconcilerFunctionName: 'reconciler', ReconcilerTimeoutSeconds: '0', DisableStreams: 'false' },
  }, lambdaStarted());
  while (continuations.length > 0) {
    invocations += 1;
    await handler(continuations.shift(), lambdaStarted());
  }
  return { ms: Date.now() - started, invocations, answer };
}

/** Baseline: every table released with its own observation (no snapshot). */
async function perTable(aws: FakeAws): Promise<number> {
  const started = Date.now();
  const releaser = createReleaser({ tables: aws.tablePort, mappings: aws.mappingPort, scaling: aws.scalingPort, announcer: aws.announcer, ...quiet });
  for (const name of await readAll((next) => aws.tablePort.listTables(next))) await releaser.release(name, { reason: ReleaseReason.Uninstall, deadline: Date.now() + 600_000 });
  return Date.now() - started;
}

function rows(calls: Record<string, number>): string {
  return Object.entries(calls).sort(([a], [b]) => a.localeCompare(b)).map(([op, n]) => `| ${op} | ${n} |`).join('\n');
}

async function main() {
  const world = await convergedWorld(TABLES);
  const result = await teardown(world);
  const calls = { ...world.calls };
  const baselineWorld = await convergedWorld(BASELINE_TABLES);
  const baselineMs = await perTable(baselineWorld);
  const baselineCalls = { ...baselineWorld.calls };
  const perTableTeardown = total(calls) / TABLES;
  const perTableBaseline = total(baselineCalls) / BASELINE_TABLES;
  console.log(`## Release benchmark (stack deletion)

Machine: ${os.cpus()[0]?.model ?? 'unknown'}, ${os.cpus().length} cores, Node ${process.version}. Fake AWS: in-memory, ${LATENCY} ms per call,
throttled above ${RATE} calls/s (all APIs together), AWS page sizes. ${TABLES} converged tables (1 in 10 with a GSI: 2 or 4 scalable targets each,
one policy per target, one mapping, two tags), released by the teardown custom resource's Delete (both passes; the wait for reconciler runs in flight set to 0).

| | Teardown (one snapshot per pass) | Baseline: per-table observation (${BASELINE_TABLES} tables) |
|---|---|---|
| Tables | ${TABLES} | ${BASELINE_TABLES} |
| API calls (excluding throttled) | ${total(calls)} | ${total(baselineCalls)} |
| Calls per table | ${perTableTeardown.toFixed(2)} | ${perTableBaseline.toFixed(2)} |
| Throttled calls (retried) | ${calls.Throttled ?? 0} | ${baselineCalls.Throttled ?? 0} |
| Duration | ${(result.ms / 1000).toFixed(1)} s | ${(baselineMs / 1000).toFixed(1)} s |
| Seconds per table | ${(result.ms / 1000 / TABLES).toFixed(3)} | ${(baselineMs / 1000 / BASELINE_TABLES).toFixed(3)} |
| Lambda invocations (900 s each) | ${result.invocations} | |
| Answer | ${String(result.answer.Status)} (${JSON.stringify(result.answer.Data)}) | |
| Left behind (mappings + targets + policies + tagged tables) | ${left(world)} | ${left(baselineWorld)} |

Floor at ${RATE} calls/s: ${(total(calls) / RATE).toFixed(0)} s for the teardown. Calls per table, per-table observation / snapshot: ${(perTableBaseline / perTableTeardown).toFixed(2)}.

Teardown calls by operation:

| Operation | Calls |
|---|---|
${rows(calls)}`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
