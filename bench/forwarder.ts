/**
 * Forwarder benchmark (`npx tsx bench/forwarder.ts`, or `npm run bench`): a measurement, not a test.
 *
 * 1. Transform + serialise throughput on a realistic ~20-column DMS row (MODIFY: keys, old and
 *    new image), batches of 1,000, against a baseline measured in the same run:
 *    `unmarshall` (from @aws-sdk/util-dynamodb, numbers kept as strings so 38 digits survive)
 *    + `JSON.stringify` + UTF-8 encoding.
 *    Then the cost of `origin` (the DMS header columns), also in the same run: the same rows with the
 *    four header attributes, encoded without extraction (the headers are ordinary columns, as before
 *    `origin` existed) and with it (read, commit time normalised, removed from old/new, `origin` written).
 * 2. PutRecords requests per 1,000 small records with distinct keys.
 * 3. Size of the minified forwarder bundle (built with template.yaml's esbuild options) and the
 *    time to load it in a fresh Node process minus a bare Node start (median of several runs).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { applyOrigin, changeFieldsFromStreamRecord, compileOriginOptions, encodeChangeEvent, type AttributeMap, type DynamoDbStreamRecord } from '../src/change-event';
import { createPublisher, type PublishRecord } from '../src/publisher';
import { dmsRow, streamRecord } from '../test/fixtures/forwarder/stream-records';

const root = resolve(__dirname, '..');
/** The SDK's item type (its binary is bytes only; the rows here carry none that matter to the type). */
type SdkItem = Parameters<typeof unmarshall>[0];
const BATCH = 1_000;
/** Throughput: processes per implementation (alternating), and samples of 5 batches of 1,000 in each. */
const PROCESS_ROUNDS = 6;
const SAMPLES_PER_PROCESS = 8;
/** Fresh Node processes per load-time target. */
const LOAD_RUNS = 21;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/**
 * CPU time of the whole process in seconds: unlike wall-clock time, it does not count the time
 * other processes on a shared machine take the core away, and unlike the main thread's time it
 * includes the garbage collector's helper threads (an allocation-heavy implementation must not
 * look cheaper by pushing work onto them). process.cpuUsage() is also fine-grained, whereas
 * process.threadCpuUsage() advances in steps of milliseconds on Linux.
 */
const cpuSeconds = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
};
const wallSeconds = () => Number(process.hrtime.bigint()) / 1e9;

/** One sample = `batches` whole batches, timed together so timer granularity does not matter. */
function sample(run: (records: readonly DynamoDbStreamRecord[]) => number, records: readonly DynamoDbStreamRecord[], batches = 5): { cpu: number; wall: number } {
  const cpu = cpuSeconds();
  const wall = wallSeconds();
  for (let i = 0; i < batches; i++) run(records);
  const n = records.length * batches;
  return { cpu: n / (cpuSeconds() - cpu), wall: n / (wallSeconds() - wall) };
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** The four DMS header columns as the documented table mapping writes them (dms/table-mapping.json). */
function dmsHeaders(i: number): AttributeMap {
  return {
    dms_commit_timestamp: { S: `2026-11-26 14:00:${String(i % 60).padStart(2, '0')}.123456` },
    dms_change_seq: { S: `20261126140000120000000000000${String(100_000 + i)}` },
    dms_transaction_id: { S: `0000000000${String(40_000 + i)}` },
    dms_stream_position: { S: `0000002c:00000a50:${String(i).padStart(4, '0')}` },
  };
}

/** The 1,000 records of the throughput measurement (with the DMS header columns when `headers`). */
function throughputRecords(headers = false): DynamoDbStreamRecord[] {
  // Through JSON, as Lambda delivers a batch: every image is its own object tree (the fixture
  // shares AttributeValue objects between old and new, which no real event does).
  return JSON.parse(
    JSON.stringify(
      Array.from({ length: BATCH }, (_, i) => {
        const row = headers ? { ...dmsRow(i), ...dmsHeaders(i) } : dmsRow(i);
        const next = { ...row, status: { S: 'DELIVERED' }, updated_at: { S: '2026-11-26T14:00:00.000000' }, ...(headers ? dmsHeaders(i + 1) : {}) };
        return streamRecord({ table: 'dms_orders', eventName: 'MODIFY', keys: { order_id: row.order_id as AttributeMap[string] }, oldImage: row, newImage: next });
      }),
    ),
  ) as DynamoDbStreamRecord[];
}

const ORIGIN = compileOriginOptions();

/** The forwarder's per-record path: fields, origin (nothing found on these rows), encode. */
const ours = (batch: readonly DynamoDbStreamRecord[]) => {
  let bytes = 0;
  for (const record of batch) {
    const fields = changeFieldsFromStreamRecord(record);
    applyOrigin(fields, ORIGIN);
    bytes += encodeChangeEvent(fields).bytes;
  }
  return bytes;
};

/** Rows with header columns, encoded as before `origin` existed: the headers are ordinary columns. */
const withoutOrigin = (batch: readonly DynamoDbStreamRecord[]) => {
  let bytes = 0;
  for (const record of batch) bytes += encodeChangeEvent(changeFieldsFromStreamRecord(record)).bytes;
  return bytes;
};
/** The same rows through the forwarder's path: origin read and normalised, headers removed from old/new. */
const withOrigin = ours;

// Numbers as their text (wrapNumbers as a function), so 38 digits survive as they do in the forwarder.
const keepText = { wrapNumbers: (text: string) => text };
const tableArn = 'arn:aws:dynamodb:eu-west-1:123456789012:table/dms_orders';
const baseline = (batch: readonly DynamoDbStreamRecord[]) => {
  let bytes = 0;
  for (const record of batch) {
    const d = record.dynamodb ?? {};
    const text = JSON.stringify({
      schemaVersion: 1, id: record.eventID, operation: 'modify', table: 'dms_orders', sequenceNumber: d.SequenceNumber,
      approximateCreationTime: new Date((d.ApproximateCreationDateTime as number) * 1000).toISOString(), readAt: null, ttlDeletion: false,
      source: { eventSource: 'aws:dynamodb', region: record.awsRegion, tableArn, streamArn: record.eventSourceARN }, truncated: [],
      keys: unmarshall(d.Keys as SdkItem, keepText),
      old: unmarshall(d.OldImage as SdkItem, keepText),
      new: unmarshall(d.NewImage as SdkItem, keepText),
    });
    bytes += Buffer.from(text, 'utf8').length; // the SDK needs bytes, as the forwarder's encoder produces
  }
  return bytes;
};

const IMPLEMENTATIONS = { forwarder: ours, baseline, 'without-origin': withoutOrigin, 'with-origin': withOrigin } as const;
/** Which records each implementation runs on. */
const WITH_HEADERS: Readonly<Record<Implementation, boolean>> = { forwarder: false, baseline: false, 'without-origin': true, 'with-origin': true };
type Implementation = keyof typeof IMPLEMENTATIONS;
const WORKER_FLAG = '--throughput-worker';

/** Child process: warm one implementation up, then print its samples as JSON. */
function throughputWorker(implementation: Implementation): void {
  const run = IMPLEMENTATIONS[implementation];
  const records = throughputRecords(WITH_HEADERS[implementation]);
  for (let i = 0; i < 10; i++) run(records);
  const samples = Array.from({ length: SAMPLES_PER_PROCESS }, () => sample(run, records));
  process.stdout.write(JSON.stringify(samples));
}

/**
 * 1. Transform + serialise throughput against the baseline. Each implementation runs in
 * processes of its own: in one shared process the baseline's garbage-collector tuning
 * depends on what ran before it (it measured up to 35% slower after the low-garbage
 * forwarder encoder than after the old one), which would flatter the ratio. Processes
 * alternate, so a busy moment of the machine hits both alike.
 */
function throughputSection(lines: string[]): void {
  const names = Object.keys(IMPLEMENTATIONS) as Implementation[];
  const rates = Object.fromEntries(names.map((name) => [name, { cpu: [] as number[], wall: [] as number[] }])) as Record<Implementation, { cpu: number[]; wall: number[] }>;
  for (let round = 0; round < PROCESS_ROUNDS; round++) {
    const order: Implementation[] = round % 2 === 0 ? names : [...names].reverse();
    for (const implementation of order) {
      const child = spawnSync(process.execPath, [...process.execArgv, __filename, WORKER_FLAG, implementation], { encoding: 'utf8', env: process.env });
      if (child.status !== 0) throw new Error(`throughput worker ${implementation} exited with ${child.status}: ${child.stderr}`);
      for (const result of JSON.parse(child.stdout) as Array<{ cpu: number; wall: number }>) {
        rates[implementation].cpu.push(result.cpu);
        rates[implementation].wall.push(result.wall);
      }
    }
  }
  const records = throughputRecords();
  const oursRate = median(rates.forwarder.cpu);
  const baseRate = median(rates.baseline.cpu);
  const oursWall = median(rates.forwarder.wall);
  const baseWall = median(rates.baseline.wall);
  const samples = PROCESS_ROUNDS * SAMPLES_PER_PROCESS;
  lines.push('### Transform + serialise (MODIFY of a 20-column DMS row, keys + old + new, batches of 1,000)', '');
  lines.push(
    `Records per second of process CPU time and of wall-clock time: median of ${samples} samples of 5 batches per implementation, from ${PROCESS_ROUNDS} alternating processes each; records delivered as Lambda does (parsed from JSON).`,
    '',
  );
  lines.push('| implementation | records/s (CPU) | µs/record (CPU) | records/s (wall) |', '|---|---:|---:|---:|');
  lines.push(`| forwarder: encodeChangeEvent (JSON text, partition key, UTF-8 bytes, size check) | ${fmt(oursRate)} | ${fmt(1e6 / oursRate, 2)} | ${fmt(oursWall)} |`);
  lines.push(`| baseline: unmarshall (wrapNumbers keeps digits) + JSON.stringify + UTF-8 bytes | ${fmt(baseRate)} | ${fmt(1e6 / baseRate, 2)} | ${fmt(baseWall)} |`);
  lines.push('', `**Ratio: ${fmt(oursRate / baseRate, 2)}x the baseline** in CPU time, ${fmt(oursWall / baseWall, 2)}x in wall-clock time (target >= 2x). Event size: ${fmt(ours(records.slice(0, 1)))} bytes.`);
  const withHeaders = throughputRecords(true);
  const offRate = median(rates['without-origin'].cpu);
  const onRate = median(rates['with-origin'].cpu);
  lines.push('', '#### The cost of `origin` (same rows plus the four DMS header columns in old and new)', '');
  lines.push('| implementation | records/s (CPU) | µs/record (CPU) | records/s (wall) | event bytes |', '|---|---:|---:|---:|---:|');
  lines.push(`| without origin: the headers encoded as ordinary columns | ${fmt(offRate)} | ${fmt(1e6 / offRate, 2)} | ${fmt(median(rates['without-origin'].wall))} | ${fmt(withoutOrigin(withHeaders.slice(0, 1)))} |`);
  lines.push(`| with origin: read, commit time normalised, removed from old/new, origin written | ${fmt(onRate)} | ${fmt(1e6 / onRate, 2)} | ${fmt(median(rates['with-origin'].wall))} | ${fmt(withOrigin(withHeaders.slice(0, 1)))} |`);
  lines.push('', `**With origin: ${fmt(onRate / offRate, 2)}x the throughput without** (CPU time; ${fmt(median(rates['with-origin'].wall) / median(rates['without-origin'].wall), 2)}x wall-clock).`);
  let plain = 'works';
  try {
    JSON.stringify(unmarshall(dmsRow(1) as SdkItem));
  } catch (error) {
    plain = `throws (${error instanceof Error ? error.message : String(error)})`;
  }
  lines.push('', `Note: without wrapNumbers, \`JSON.stringify(unmarshall(row))\` on this row ${plain}: the 30-digit number becomes a BigInt. unmarshall also turns SS/NS/BS into JS Sets, which JSON.stringify writes as {}.`);
}

/** 2. PutRecords requests per 1,000 small records with distinct keys. */
async function publishingSection(lines: string[]): Promise<void> {
  let requests = 0;
  const publisher = createPublisher({ port: { putRecords: async (entries) => { requests++; return entries.map(() => ({ ok: true as const })); } } });
  const small: PublishRecord[] = Array.from({ length: BATCH }, (_, i) => encodeChangeEvent(changeFieldsFromStreamRecord(streamRecord({ keys: { id: { N: String(i) } } }))));
  const result = await publisher.publish(small);
  lines.push('', '### Publishing', '', `PutRecords requests for 1,000 small records with distinct keys: **${requests}** (the 500-entry limit allows 2; ${result.written} written, outcome ${result.outcome}).`);
}

/** 3. Size of the minified bundle and the time to load it in a fresh Node process. */
async function bundleSection(lines: string[]): Promise<void> {
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
    // Reference points built with the same options: the Kinesis client alone (the SDK's floor
    // for any function that calls PutRecords) and node:https + node:crypto alone (what any
    // AWS call over TLS needs, SDK or not).
    const reference = async (name: string, contents: string) => {
      const file = join(out, `${name}.js`);
      const { entryPoints: _entry, ...options } = forwarder.options;
      await build({ ...options, stdin: { contents, resolveDir: root, loader: 'ts' }, outfile: file, logLevel: 'error' } as Parameters<typeof build>[0]);
      return file;
    };
    const sdkOnly = await reference('sdk-only', "import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis'; export const used = [KinesisClient, PutRecordsCommand];");
    const tlsOnly = await reference('tls-only', "import * as https from 'node:https'; import * as crypto from 'node:crypto'; export const used = [https, crypto];");
    // What logging and metrics cost: Powertools Logger and Metrics, constructed as the functions do.
    const powertoolsOnly = await reference(
      'powertools-only',
      "import { Logger } from '@aws-lambda-powertools/logger'; import { Metrics } from '@aws-lambda-powertools/metrics'; export const used = [new Logger({ serviceName: 'x' }), new Metrics({ namespace: 'x', serviceName: 'x' })];",
    );
    const node = process.execPath;
    /** One fresh process: wall clock measured here, CPU time (all threads) reported by the child. */
    const run = (script: string) => {
      const start = process.hrtime.bigint();
      const child = spawnSync(node, ['-e', `${script};const u=process.cpuUsage();process.stdout.write(String((u.user+u.system)/1e3))`], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
      if (child.status !== 0) throw new Error(`node -e ${script} exited with ${child.status}: ${child.stderr}`);
      return { wall: Number(process.hrtime.bigint() - start) / 1e6, cpu: Number(child.stdout) };
    };
    const targets = [
      { name: 'bare', script: '0' },
      { name: 'forwarder', script: `require(${JSON.stringify(bundle)})` },
      { name: 'sdk', script: `require(${JSON.stringify(sdkOnly)})` },
      { name: 'tls', script: `require(${JSON.stringify(tlsOnly)})` },
      { name: 'powertools', script: `require(${JSON.stringify(powertoolsOnly)})` },
    ];
    const samples = new Map(targets.map((target) => [target.name, { wall: [] as number[], cpu: [] as number[] }]));
    for (let i = 0; i < 3; i++) for (const target of targets) run(target.script);
    // Interleaved, so a busy moment of the machine hits every target alike.
    for (let i = 0; i < LOAD_RUNS; i++) {
      for (const target of targets) {
        const result = run(target.script);
        samples.get(target.name)?.wall.push(result.wall);
        samples.get(target.name)?.cpu.push(result.cpu);
      }
    }
    const med = (name: string, kind: 'wall' | 'cpu') => median(samples.get(name)?.[kind] ?? []);
    const minus = (name: string, kind: 'wall' | 'cpu') => `${fmt(med(name, kind) - med('bare', kind), 1)} ms (${fmt(med(name, kind), 1)} - ${fmt(med('bare', kind), 1)})`;
    const load = loadavg()[0] ?? 0;
    lines.push('', '### Bundle', '');
    lines.push(`Load time = a fresh \`node -e "require(bundle)"\` minus a bare \`node -e 0\`, median of ${LOAD_RUNS} interleaved runs each.`, '');
    lines.push('| measure | wall clock | process CPU time | target |', '|---|---:|---:|---:|');
    lines.push(`| minified dist/forwarder/index.js: size | ${fmt(size / 1024, 1)} KiB | | < 500 KB |`);
    lines.push(`| load the forwarder bundle | ${minus('forwarder', 'wall')} | ${minus('forwarder', 'cpu')} | < 80 ms |`);
    lines.push(`| reference: load @aws-sdk/client-kinesis alone (KinesisClient + PutRecordsCommand, same options) | ${minus('sdk', 'wall')} | ${minus('sdk', 'cpu')} | |`);
    lines.push(`| reference: load node:https + node:crypto alone | ${minus('tls', 'wall')} | ${minus('tls', 'cpu')} | |`);
    lines.push(`| reference: load Powertools Logger + Metrics alone (constructed, same options; ${fmt(statSync(powertoolsOnly).size / 1024, 1)} KiB) | ${minus('powertools', 'wall')} | ${minus('powertools', 'cpu')} | |`);
    lines.push('', `1-minute load average during the run: ${fmt(load, 1)} on ${cpus().length} cores${load > cpus().length ? ' (the machine was busy: wall-clock figures are inflated; CPU time is the steadier measure)' : ''}.`);
    lines.push('', unusedClients.length === 0
      ? 'Tree-shaking: none of the other SDK clients of src/aws/clients.ts is in the bundle.'
      : `Tree-shaking: the bundle still contains ${unusedClients.join(', ')}.`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** `npx tsx bench/forwarder.ts [throughput|publishing|bundle ...]`: all sections unless some are named. */
async function main() {
  if (process.argv[2] === WORKER_FLAG) return throughputWorker(process.argv[3] as Implementation);
  const lines: string[] = ['## forwarder', ''];
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  lines.push(`Machine: ${cpu}, ${cpus().length} cores, Node ${process.version}.`, '');

  const only = process.argv.slice(2);
  const wanted = (section: string) => only.length === 0 || only.includes(section);
  if (wanted('throughput')) throughputSection(lines);
  if (wanted('publishing')) await publishingSection(lines);
  if (wanted('bundle')) await bundleSection(lines);
  console.log(`${lines.join('\n')}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
