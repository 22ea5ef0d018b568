/**
 * Forwarder benchmark (`npx tsx bench/forwarder.ts`, or `npm run bench`): a measurement, not a test.
 *
 * 1. Transform + serialise throughput on a realistic ~20-column DMS row (MODIFY: keys, old and
 *    new image), batches of 1,000, against a baseline measured in the same run:
 *    `unmarshall` (from @aws-sdk/util-dynamodb, numbers kept as strings so 38 digits survive)
 *    + `JSON.stringify` + UTF-8 encoding.
 * 2. PutRecords requests per 1,000 small records with distinct keys.
 * 3. Size of the minified forwarder bundle (built with template.yaml's esbuild options) and the
 *    time to load it in a fresh Node process minus a bare Node start (median of several runs).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { changeFieldsFromStreamRecord, encodeChangeEvent, type AttributeMap, type DynamoDbStreamRecord } from '../src/change-event';
import { createPublisher, type PublishRecord } from '../src/publisher';
import { dmsRow, streamRecord } from '../test/fixtures/forwarder/stream-records';

const root = resolve(__dirname, '..');
const BATCH = 1_000;

type Unmarshall = (item: AttributeMap, options?: { wrapNumbers?: boolean | ((text: string) => unknown) }) => Record<string, unknown>;

/** The baseline library is not a project dependency; look for it where a developer would put it. */
function loadUnmarshall(): { unmarshall: Unmarshall; from: string } | undefined {
  const candidates = [root, process.env.UTIL_DYNAMODB_DIR, '/tmp/bench-deps'].filter((dir): dir is string => Boolean(dir));
  for (const dir of candidates) {
    try {
      const path = createRequire(join(dir, 'noop.js')).resolve('@aws-sdk/util-dynamodb');
      return { unmarshall: (require(path) as { unmarshall: Unmarshall }).unmarshall, from: path };
    } catch {
      /* try the next place */
    }
  }
  return undefined;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** CPU time of this thread in seconds: unlike wall-clock time, it does not count the time other
 * processes on a shared machine take the core away, so the figures stay comparable under load. */
const cpuSeconds = () => {
  const usage = process.threadCpuUsage();
  return (usage.user + usage.system) / 1e6;
};

/** Median records per CPU-second over `rounds` timed batches, after warm-up. */
function throughput(run: (records: readonly DynamoDbStreamRecord[]) => number, records: readonly DynamoDbStreamRecord[], rounds = 30): number {
  for (let i = 0; i < 10; i++) run(records);
  const rates: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const start = cpuSeconds();
    run(records);
    rates.push(records.length / (cpuSeconds() - start));
  }
  return median(rates);
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function main() {
  const lines: string[] = ['## forwarder', ''];
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  lines.push(`Machine: ${cpu}, ${cpus().length} cores, Node ${process.version}.`, '');

  // 1. transform + serialise
  const records = Array.from({ length: BATCH }, (_, i) => {
    const row = dmsRow(i);
    const next = { ...row, status: { S: 'DELIVERED' }, updated_at: { S: '2026-11-26T14:00:00.000000' } };
    return streamRecord({ table: 'dms_orders', eventName: 'MODIFY', keys: { order_id: row.order_id as AttributeMap[string] }, oldImage: row, newImage: next });
  });
  const ours = (batch: readonly DynamoDbStreamRecord[]) => {
    let bytes = 0;
    for (const record of batch) bytes += encodeChangeEvent(changeFieldsFromStreamRecord(record)).bytes;
    return bytes;
  };
  const baselineLib = loadUnmarshall();
  const keepText = { wrapNumbers: (text: string) => text };
  const baseline = baselineLib
    ? (batch: readonly DynamoDbStreamRecord[]) => {
        let bytes = 0;
        for (const record of batch) {
          const d = record.dynamodb ?? {};
          const text = JSON.stringify({
            schemaVersion: 1, id: record.eventID, operation: 'modify', table: 'dms_orders', sequenceNumber: d.SequenceNumber,
            approximateCreationTime: new Date((d.ApproximateCreationDateTime as number) * 1000).toISOString(), readAt: null, ttlDeletion: false,
            source: { eventSource: 'aws:dynamodb', region: record.awsRegion, tableArn: 'arn', streamArn: record.eventSourceARN }, truncated: [],
            keys: baselineLib.unmarshall(d.Keys as AttributeMap, keepText),
            old: baselineLib.unmarshall(d.OldImage as AttributeMap, keepText),
            new: baselineLib.unmarshall(d.NewImage as AttributeMap, keepText),
          });
          bytes += Buffer.from(text, 'utf8').length; // the SDK needs bytes, as the forwarder's encoder produces
        }
        return bytes;
      }
    : undefined;
  // Alternate the two so neither benefits from running second.
  const oursRates: number[] = [];
  const baseRates: number[] = [];
  for (let round = 0; round < 7; round++) {
    oursRates.push(throughput(ours, records));
    if (baseline) baseRates.push(throughput(baseline, records));
  }
  const oursRate = median(oursRates);
  lines.push('### Transform + serialise (MODIFY of a 20-column DMS row, keys + old + new, batches of 1,000)', '');
  lines.push('Records per second of main-thread CPU time (median of 7 alternating rounds × 30 batches).', '');
  lines.push('| implementation | records/s | µs/record |', '|---|---:|---:|');
  lines.push(`| forwarder: encodeChangeEvent (JSON text, partition key, UTF-8 bytes, size check) | ${fmt(oursRate)} | ${fmt(1e6 / oursRate, 2)} |`);
  if (baseline) {
    const baseRate = median(baseRates);
    lines.push(`| baseline: unmarshall (wrapNumbers keeps digits) + JSON.stringify + UTF-8 bytes | ${fmt(baseRate)} | ${fmt(1e6 / baseRate, 2)} |`);
    lines.push('', `**Ratio: ${fmt(oursRate / baseRate, 2)}x the baseline** (target >= 2x). Event size: ${fmt(ours(records.slice(0, 1)))} bytes.`);
    let plain = 'works';
    try {
      JSON.stringify(baselineLib?.unmarshall(dmsRow(1)));
    } catch (error) {
      plain = `throws (${error instanceof Error ? error.message : String(error)})`;
    }
    lines.push('', `Note: without wrapNumbers, \`JSON.stringify(unmarshall(row))\` on this row ${plain}: the 30-digit number becomes a BigInt. unmarshall also turns SS/NS/BS into JS Sets, which JSON.stringify writes as {}.`);
  } else {
    lines.push('', 'Baseline not measured: @aws-sdk/util-dynamodb is not installed (it is not a project dependency). Install it outside the project, e.g. `npm install --prefix /tmp/bench-deps @aws-sdk/util-dynamodb`, or set UTIL_DYNAMODB_DIR.');
  }

  // 2. PutRecords requests per 1,000 small distinct-key records
  let requests = 0;
  const publisher = createPublisher({ port: { putRecords: async (entries) => { requests++; return entries.map(() => ({ ok: true as const })); } } });
  const small: PublishRecord[] = Array.from({ length: BATCH }, (_, i) => encodeChangeEvent(changeFieldsFromStreamRecord(streamRecord({ keys: { id: { N: String(i) } } }))));
  const result = await publisher.publish(small);
  lines.push('', '### Publishing', '', `PutRecords requests for 1,000 small records with distinct keys: **${requests}** (the 500-entry limit allows 2; ${result.written} written, outcome ${result.outcome}).`);

  // 3. bundle size and load time
  const optionsModule = (await import(pathToFileURL(join(root, 'scripts/esbuild-options.mjs')).href)) as {
    functionBuilds(path: string): Array<{ logicalId: string; options: Record<string, unknown> }>;
  };
  const forwarder = optionsModule.functionBuilds(join(root, 'template.yaml')).find((fn) => fn.logicalId === 'ForwarderFunction');
  if (!forwarder) throw new Error('template.yaml has no ForwarderFunction');
  const out = mkdtempSync(join(tmpdir(), 'forwarder-bench-'));
  try {
    const { build } = await import('esbuild');
    const built = await build({ ...forwarder.options, outdir: out, metafile: true, logLevel: 'error' } as Parameters<typeof build>[0]);
    const bundle = join(out, 'index.js');
    const size = statSync(bundle).size;
    const output = Object.values(built.metafile?.outputs ?? {})[0];
    const inputs = Object.entries(output?.inputs ?? {}).filter(([, info]) => info.bytesInOutput > 0).map(([path]) => path);
    const unusedClients = ['client-dynamodb/', 'client-dynamodb-streams', 'client-lambda', 'client-application-auto-scaling', 'client-eventbridge', 'client-sqs']
      .filter((client) => inputs.some((input) => input.includes(`@aws-sdk/${client}`)));
    const node = process.execPath;
    const time = (args: string[]) => {
      const start = process.hrtime.bigint();
      const run = spawnSync(node, args, { stdio: 'ignore', env: { PATH: process.env.PATH ?? '' } });
      if (run.status !== 0) throw new Error(`node ${args.join(' ')} exited with ${run.status}`);
      return Number(process.hrtime.bigint() - start) / 1e6;
    };
    const loadScript = `require(${JSON.stringify(bundle)})`;
    const cpuOf = (script: string) => {
      const run = spawnSync(node, ['-e', `${script};const u=process.cpuUsage();process.stdout.write(String((u.user+u.system)/1e3))`], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
      return Number(run.stdout);
    };
    for (let i = 0; i < 3; i++) { time(['-e', '0']); time(['-e', loadScript]); }
    const bare: number[] = [];
    const loaded: number[] = [];
    for (let i = 0; i < 21; i++) {
      bare.push(time(['-e', '0']));
      loaded.push(time(['-e', loadScript]));
    }
    const loadMs = median(loaded) - median(bare);
    const bareCpu: number[] = [];
    const loadedCpu: number[] = [];
    for (let i = 0; i < 21; i++) {
      bareCpu.push(cpuOf('0'));
      loadedCpu.push(cpuOf(loadScript));
    }
    const loadCpuMs = median(loadedCpu) - median(bareCpu);
    const load = loadavg()[0] ?? 0;
    lines.push('', '### Bundle', '');
    lines.push('| measure | value | target |', '|---|---:|---:|');
    lines.push(`| minified dist/forwarder/index.js | ${fmt(size / 1024, 1)} KiB | < 500 KB |`);
    lines.push(`| load in a fresh Node process minus bare Node start, wall clock (median of 21) | ${fmt(loadMs, 1)} ms (${fmt(median(loaded), 1)} - ${fmt(median(bare), 1)}) | < 80 ms |`);
    lines.push(`| the same in process CPU time (all threads; robust to other load) | ${fmt(loadCpuMs, 1)} ms (${fmt(median(loadedCpu), 1)} - ${fmt(median(bareCpu), 1)}) | |`);
    lines.push('', `1-minute load average during the run: ${fmt(load, 1)} on ${cpus().length} cores${load > cpus().length ? ' (the machine was busy: wall-clock figures are inflated)' : ''}.`);
    lines.push('', unusedClients.length === 0
      ? 'Tree-shaking: none of the other SDK clients of src/aws/clients.ts is in the bundle.'
      : `Tree-shaking: the bundle still contains ${unusedClients.join(', ')}.`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  console.log(`${lines.join('\n')}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
