/**
 * Reconciler benchmark: AWS API calls by operation for one newly created table, and for a
 * sweep over N already-converged tables (target <= 1.5 calls per table), plus the sweep's
 * duration against a fake AWS with 20 ms latency per call and throttling above 20 calls/s,
 * side by side with a naive sweep that lists mappings, targets and policies per table.
 * Every table's backfill is done (the backfill is part of the desired state): the operator
 * reads all runs with one paginated Scan of the state table, the naive sweep one GetItem per table.
 *
 *   npx tsx bench/reconciler.ts [--tables 1000] [--latency 20] [--rate 20] [--concurrency 4]
 */
import os from 'node:os';
import { createLogger } from '../src/observability/logger';
import { createMetrics } from '../src/observability/metrics';
import { createTableFilter } from '../src/table-filter';
import { loadReconcilerConfig } from '../src/config/reconciler';
import { createOperator, desiredFromConfig, type OperatorDeps } from '../reconciler/operator';
import { backfillObservable, observeBackfill, readAll, streamEnabledByReconciler } from '../reconciler/observe';
import { plan } from '../reconciler/plan';
import { indexResourceId, tableResourceId } from '../reconciler/model';
import { isThrottling, retryThrottled } from '../reconciler/throttle';
import { systemClock } from '../reconciler/ports';
import { FakeAws } from '../test/unit/reconciler/fake-aws';
import { numberArg } from './args';

const TABLES = numberArg('tables', 1000);
const LATENCY = numberArg('latency', 20);
const RATE = numberArg('rate', 20);
const CONCURRENCY = numberArg('concurrency', 4);

const config = loadReconcilerConfig({
  FORWARDER_FUNCTION_ARN: 'arn:aws:lambda:eu-west-1:123456789012:function:forwarder',
  FORWARDER_DLQ_ARN: 'arn:aws:sqs:eu-west-1:123456789012:dlq',
  SWEEP_CONCURRENCY: String(CONCURRENCY),
  POWERTOOLS_LOG_LEVEL: 'ERROR',
});

function operatorFor(aws: FakeAws) {
  const deps: OperatorDeps = {
    config,
    filter: createTableFilter({ include: config.include, exclude: config.exclude }),
    tables: aws.tablePort, streams: aws.streamPort, mappings: aws.mappingPort, scaling: aws.scalingPort, announcer: aws.announcer, backfill: aws.backfill,
    logger: createLogger({ service: 'bench', level: 'ERROR' }),
    metrics: createMetrics({ service: 'bench', write: () => undefined }),
  };
  return createOperator(deps);
}

/** The naive alternative: per table, DescribeTable + list its stream's mappings + its targets + its policies. */
async function naiveSweep(aws: FakeAws): Promise<number> {
  const tables = retryThrottled(aws.tablePort, systemClock);
  const mappings = retryThrottled(aws.mappingPort, systemClock);
  const scaling = retryThrottled(aws.scalingPort, systemClock);
  const backfill = retryThrottled(aws.backfill, systemClock);
  const desired = desiredFromConfig(config, aws.backfill);
  const names = await readAll((next) => tables.listTables(next));
  let converged = 0;
  let index = 0;
  const worker = async () => {
    while (index < names.length) {
      const name = names[index++]!;
      // Like the operator, a table whose calls stayed throttled past the per-call retries is tried again.
      for (let attempt = 0; ; attempt++) {
        try {
          if (await naiveTable(name)) converged++;
          break;
        } catch (error) {
          if (!isThrottling(error) || attempt >= 5) throw error;
        }
      }
    }
  };
  const naiveTable = async (name: string): Promise<boolean> => {
    const table = await tables.describeTable(name);
    const onStream = table?.stream.latestArn ? await readAll((next) => mappings.list({ eventSourceArn: table.stream.latestArn! }, next)) : [];
    const ids = [tableResourceId(name), ...(table?.indexes ?? []).map((i) => indexResourceId(name, i.name))];
    const targets = await readAll((next) => scaling.listTargets({ resourceIds: ids }, next));
    const policies = (await Promise.all(ids.map((id) => readAll((next) => scaling.listPolicies({ resourceId: id }, next))))).flat();
    const observedBackfill = backfillObservable(table)
      ? await observeBackfill(table, await backfill.getRun(name), aws.clock.now(), backfill.stallAfterMs, async (t, arn) => streamEnabledByReconciler(await tables.listTags(t.arn), arn))
      : undefined;
    return plan({ tableName: name, table, mappings: onStream, targets, policies, ...(observedBackfill ? { backfill: observedBackfill } : {}) }, desired).actions.length === 0;
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return converged;
}

function table(calls: Record<string, number>): string {
  const rows = Object.entries(calls).sort(([a], [b]) => a.localeCompare(b)).map(([op, n]) => `| ${op} | ${n} |`);
  return ['| Operation | Calls |', '|---|---|', ...rows].join('\n');
}

async function main() {
  // 1. One newly created DMS table (one GSI), no latency.
  const single = new FakeAws();
  single.addTable('orders', { indexes: [{ name: 'customer_id-index', status: 'ACTIVE' }] });
  await operatorFor(single).reconcileTables(['orders'], { expectExists: true });
  const singleCalls = { ...single.calls };

  // 2. N converged tables (converged without latency, then latency and throttling switched on).
  const world = new FakeAws();
  for (let i = 0; i < TABLES; i++) world.addTable(`dms_table_${String(i).padStart(5, '0')}`);
  await operatorFor(world).sweep({ deadline: Date.now() + 3_600_000 });
  world.finishBackfills(); // the backfill invocations ran: every run is done
  const slow = (aws: FakeAws) => Object.assign(aws.options, { latencyMs: LATENCY, maxCallsPerSecond: RATE });
  slow(world);
  world.calls = {};
  let started = Date.now();
  const summary = await operatorFor(world).sweep({ deadline: Date.now() + 3_600_000 });
  const sweepMs = Date.now() - started;
  const sweepCalls = { ...world.calls };
  const throttled = sweepCalls.Throttled ?? 0;
  delete sweepCalls.Throttled;
  const sweepTotal = Object.values(sweepCalls).reduce((a, b) => a + b, 0);

  world.calls = {};
  started = Date.now();
  const naiveConverged = await naiveSweep(world);
  const naiveMs = Date.now() - started;
  const naiveCalls = { ...world.calls };
  const naiveThrottled = naiveCalls.Throttled ?? 0;
  delete naiveCalls.Throttled;
  const naiveTotal = Object.values(naiveCalls).reduce((a, b) => a + b, 0);

  const cpu = os.cpus()[0]?.model ?? 'unknown';
  console.log(`## Reconciler benchmark

Machine: ${cpu}, ${os.cpus().length} cores, Node ${process.version}. Fake AWS: in-memory, AWS page sizes
(ListTables 100, ListEventSourceMappings 100, DescribeScalableTargets 50, DescribeScalingPolicies 10),
backfill state table in memory behind the real starter (Scan page 100 runs here; DynamoDB's 1 MB page holds thousands of the projected summaries).

### One newly created table (1 GSI, autoscale, backfill on: GetItem + PutItem + Invoke are the starter's)

${table(singleCalls)}
| **total** | **${Object.values(singleCalls).reduce((a, b) => a + b, 0)}** |

### Sweep over ${TABLES} converged tables (${LATENCY} ms per call, throttled above ${RATE} calls/s, concurrency ${CONCURRENCY})

| | Operator sweep (snapshot, one Scan of the backfill states) | Naive sweep (per-table lists, GetItem per table) | Ratio naive / operator |
|---|---|---|---|
| API calls (excluding throttled) | ${sweepTotal} | ${naiveTotal} | ${(naiveTotal / sweepTotal).toFixed(2)} |
| Calls per table | ${(sweepTotal / TABLES).toFixed(3)} | ${(naiveTotal / TABLES).toFixed(3)} | |
| Throttled calls (retried) | ${throttled} | ${naiveThrottled} | |
| Duration | ${(sweepMs / 1000).toFixed(1)} s | ${(naiveMs / 1000).toFixed(1)} s | ${(naiveMs / sweepMs).toFixed(2)} |
| Tables found converged | ${summary.counts.converged} / ${TABLES} | ${naiveConverged} / ${TABLES} | |

Operator sweep calls by operation:

${table(sweepCalls)}

Naive sweep calls by operation:

${table(naiveCalls)}

Floor at ${RATE} calls/s: ${(sweepTotal / RATE).toFixed(1)} s for the operator sweep, ${(naiveTotal / RATE).toFixed(1)} s for the naive one.
Target: <= 1.5 calls per converged table: ${sweepTotal / TABLES <= 1.5 ? 'met' : 'NOT met'}.`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
