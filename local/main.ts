/**
 * `npm start` / `dms-event-bus local`: the whole pipeline on local emulators, a DMS-like
 * scenario played against it with the change events shown live, a summary, and then the
 * pipeline keeps running (with scheduled sweeps) until Ctrl-C.
 *
 * Development tooling only: never bundled into a Lambda function.
 */
import './esm-interop'; // first: lets the handlers' @middy/core (ESM-only) load under tsx
import { mkdirSync, writeFileSync, createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { createAutoScalingClient, createDynamoDbClient, createKinesisClient } from '../src/aws/clients';
import { createS3Client } from '../src/archive/s3-client';
import { startLocalFirehose, type LocalFirehose } from './archive/firehose';
import { LOCAL_ARCHIVE_BUCKET, LOCAL_ARCHIVE_STREAM } from './archive/names';
import { formatArchiveSummary, settleArchive } from './archive/summary';
import { checkArchiveTable, formatArchiveChecks } from './archive/verify';
import { loadOriginOptions } from '../src/config/origin';
import { createRateLimiter, formatEventLine, formatSummary } from './display';
import { EmulatorMissingError } from './emulators';
import { HEARTBEAT_TABLE } from './heartbeat';
import { inspectTable } from './inspect';
import { formatLagSummary } from './lag';
import { followKinesis } from './kinesis-reader';
import { startLocalRuntime, type LocalRuntime } from './runtime';
import { parseChangeEvent, playSession } from './session';

export const LOCAL_USAGE = `Usage: npm start -- [options]     (or: npx dms-event-bus local [options])

Runs moto + kinesis-mock, the forwarder and reconciler handlers in-process, a local event
source mapping poller, and plays a DMS-like scenario whose change events are shown live.

Options:
  --tables <n>           data tables in the scenario (default 3)
  --rows <n>             full-load rows per table (default 200)
  --changes <n>          CDC changes per table after the load (default 150)
  --pre-stream <share>   share of the load written before the reconciler hears of the table (default 0.25)
  --delay <ms>           pause after each write, per writer, to watch it slowly (default 0)
  --concurrency <n>      writers per table (default 4)
  --heartbeat <s>        also update a heartbeat table (dms_heartbeat) every <s> seconds and show its lag (default 0 = none)
  --no-scenario          only run the pipeline (create tables yourself)
  --no-archive           no Firehose stand-in archiving the change stream to local S3
  --sweep-interval <s>   seconds between scheduled sweeps (default 15)
  --events-per-second <n> event lines shown per second during the load (default 25; 0 = none)
  --exit                 stop after the summary (exit code 1 if anything is missing)
  --log-file <path>      JSON logs of the functions and the poller (default .local-aws/local.log)
  --region <region>      default us-east-1
  -h, --help`;

export interface LocalIo {
  readonly out: (text: string) => void;
  readonly isTty: boolean;
}

function num(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0) throw new Error(`--${name} must be a non-negative number, got "${value}"`);
  return parsed;
}

/**
 * The shell lines that point the aws CLI and `dms-event-bus` at this local run: dummy
 * credentials, region, every endpoint, and the functions' configuration (so `plan` compares
 * with the same desired state the local reconciler uses).
 */
export function envExports(runtime: LocalRuntime): string {
  const quote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;
  return Object.entries(runtime.env)
    .filter(([key]) => /^[A-Z0-9_]+$/.test(key))
    .map(([key, value]) => `export ${key}=${quote(value)}`)
    .join('\n');
}

/** Runs the local pipeline until `signal` aborts (or, with --exit, until the summary). Returns the exit code. */
export async function runLocal(argv: readonly string[], io: LocalIo, signal: AbortSignal): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      tables: { type: 'string' },
      rows: { type: 'string' },
      changes: { type: 'string' },
      'pre-stream': { type: 'string' },
      delay: { type: 'string' },
      concurrency: { type: 'string' },
      heartbeat: { type: 'string' },
      'no-scenario': { type: 'boolean', default: false },
      'no-archive': { type: 'boolean', default: false },
      'sweep-interval': { type: 'string' },
      'events-per-second': { type: 'string' },
      exit: { type: 'boolean', default: false },
      'log-file': { type: 'string' },
      region: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: false,
    strict: true,
  });
  if (values.help) {
    io.out(LOCAL_USAGE);
    return 0;
  }
  const scenario = {
    tables: num(values.tables, 'tables', 3),
    rows: num(values.rows, 'rows', 200),
    changes: num(values.changes, 'changes', 150),
    preStreamShare: num(values['pre-stream'], 'pre-stream', 0.25),
    writeDelayMs: num(values.delay, 'delay', 0),
    concurrency: Math.max(1, num(values.concurrency, 'concurrency', 4)),
    heartbeatIntervalMs: num(values.heartbeat, 'heartbeat', 0) * 1000,
  };
  const perSecond = num(values['events-per-second'], 'events-per-second', 25);
  const logPath = values['log-file'] ?? join('.local-aws', 'local.log');
  mkdirSync(join(logPath, '..'), { recursive: true });
  const logStream = createWriteStream(logPath, { flags: 'a' });

  io.out('Starting the local AWS (moto server, kinesis-mock) and the pipeline…');
  const started = Date.now();
  const runtime = await startLocalRuntime({
    region: values.region,
    log: (line) => logStream.write(`${line}\n`),
    sweepIntervalMs: num(values['sweep-interval'], 'sweep-interval', 15) * 1000,
    ...(scenario.heartbeatIntervalMs > 0 ? { env: { HEARTBEAT_TABLE_PATTERNS: HEARTBEAT_TABLE } } : {}),
  });
  const clients = { dynamodb: createDynamoDbClient(), lambda: runtime.lambda, autoscaling: createAutoScalingClient() as ApplicationAutoScalingClient };
  let liveFollower: Awaited<ReturnType<typeof followKinesis>> | undefined;
  let archive: LocalFirehose | undefined;
  try {
    if (!values['no-archive']) {
      archive = await startLocalFirehose({
        kinesis: createKinesisClient(), s3: createS3Client(), streamName: runtime.stack.streamName, bucket: LOCAL_ARCHIVE_BUCKET, deliveryStreamName: LOCAL_ARCHIVE_STREAM,
        onError: (error) => logStream.write(`${JSON.stringify({ component: 'archive', level: 'ERROR', message: error instanceof Error ? error.message : String(error) })}\n`),
      });
    }
    const envFile = join('.local-aws', 'env');
    mkdirSync('.local-aws', { recursive: true });
    writeFileSync(envFile, `${envExports(runtime)}\n`);
    io.out(`Ready in ${((Date.now() - started) / 1000).toFixed(1)} s.
  moto (DynamoDB, Streams, App Auto Scaling, SQS, IAM, EventBridge)  ${runtime.aws.motoUrl}
  Lambda API (functions via moto; mappings + in-process invocations)   ${runtime.front.url}
  Kinesis (kinesis-mock)                                              ${runtime.aws.kinesisUrl}
  change stream ${runtime.stack.streamName}, forwarder DLQ ${runtime.stack.forwarderDlqArn.split(':').pop()}, logs in ${logPath}

Join in from another terminal (credentials and endpoints are in ${envFile}):
  source ${envFile}
  aws --endpoint-url ${runtime.aws.motoUrl} dynamodb list-tables
  aws --endpoint-url ${runtime.aws.motoUrl} dynamodb create-table --table-name dms_mine \\
      --attribute-definitions AttributeName=id,AttributeType=S --key-schema AttributeName=id,KeyType=HASH \\
      --provisioned-throughput ReadCapacityUnits=200,WriteCapacityUnits=200
  aws --endpoint-url ${runtime.aws.motoUrl} dynamodb put-item --table-name dms_mine --item '{"id":{"S":"1"},"v":{"N":"1"}}'
  aws --endpoint-url ${runtime.front.url} lambda list-event-source-mappings
  npx dms-event-bus status        npx dms-event-bus tail
`);

    const lines = createRateLimiter(perSecond, io.out);
    const show = (event: Parameters<typeof formatEventLine>[0], at: number) => {
      if (perSecond > 0) lines.line(formatEventLine(event, new Date(at)));
    };
    if (!values['no-scenario']) {
      io.out(`Scenario: ${scenario.tables} tables + ${'awsdms_apply_exceptions'}, ${scenario.rows} rows each (${Math.round(scenario.preStreamShare * 100)}% before the stream exists), then ${scenario.changes} changes each.\n`);
      const progress = new Map<string, string>();
      let lastProgress = 0;
      const session = await playSession(runtime, { ...scenario, drainTimeoutMs: 120_000 }, {
        onEvent: (event) => show(event, event.arrivedAt),
        onProgress: (p) => {
          progress.set(p.table, `${p.table} ${p.phase} ${p.written}/${p.planned}`);
          if (p.phase === 'stream-on' || p.phase === 'done' || Date.now() - lastProgress > 2_000) {
            lastProgress = Date.now();
            lines.flush();
            io.out(`  [progress] ${[...progress.values()].join(' | ')}`);
          }
        },
        onPhase: (phase) => {
          if (phase === 'draining') {
            lines.flush();
            io.out('  [progress] all writes done; waiting for the last events and the backfills…');
          }
        },
      });
      lines.flush();
      const inspections = await Promise.all(session.scenario.dataTables.map((t) => inspectTable(clients, t, runtime.stack.forwarderFunctionArn)));
      const control = await inspectTable(clients, session.scenario.controlTable, runtime.stack.forwarderFunctionArn);
      io.out(formatSummary({ verdict: session.verdict, inspections, control, convergeMs: session.scenario.convergeMs, scenarioMs: session.timings.scenarioMs }));
      io.out(formatLagSummary({ events: session.events, heartbeat: session.scenario.heartbeat, now: Date.now() }));
      if (archive) {
        await settleArchive(archive);
        io.out(formatArchiveSummary(archive, session.scenario.dataTables));
        const checks = await Promise.all(session.scenario.dataTables.map((table) => checkArchiveTable({ dynamodb: clients.dynamodb, s3: createS3Client() }, LOCAL_ARCHIVE_BUCKET, table, loadOriginOptions(runtime.env))));
        io.out(`${formatArchiveChecks(checks)}\n`);
      }
      const ok = session.verdict.totals.missing === 0 && session.verdict.totals.outOfOrder === 0 && session.verdict.totals.staleItems === 0;
      if (values.exit) return ok ? 0 : 1;
    } else if (values.exit) {
      return 0;
    }

    io.out(`\nThe pipeline keeps running: tables and writes you add are picked up (sweep every ${num(values['sweep-interval'], 'sweep-interval', 15)} s). Ctrl-C stops everything.\n`);
    const live = createRateLimiter(Math.max(perSecond, 1), io.out);
    liveFollower = await followKinesis({
      client: createKinesisClient(),
      streamName: runtime.stack.streamName,
      from: 'LATEST',
      onRecord: (record) => {
        const event = parseChangeEvent(record.data, record.arrivedAt);
        if (event) live.line(formatEventLine(event, new Date(record.arrivedAt)));
      },
    });
    await new Promise<void>((resolve) => {
      if (signal.aborted) return resolve();
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
    live.flush();
    return 0;
  } finally {
    io.out('Stopping…');
    await liveFollower?.stop();
    await archive?.stop();
    await runtime.stop();
    await new Promise<void>((resolve) => logStream.end(resolve));
    io.out('Stopped: emulators ended, nothing left running.');
  }
}

/** Entry point of `npm start`. */
async function main(): Promise<void> {
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = () => {
    interrupts += 1;
    if (interrupts > 1) process.exit(130); // a second Ctrl-C: leave now (the emulators' exit hook still kills them)
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const code = await runLocal(process.argv.slice(2), { out: (text) => process.stdout.write(`${text}\n`), isTty: Boolean(process.stdout.isTTY) }, controller.signal);
    process.exitCode = code;
  } catch (error) {
    const message = error instanceof EmulatorMissingError || (error instanceof Error && error.name === 'TypeError' && /parseArgs|Unknown option/i.test(error.message))
      ? error.message
      : error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    process.stderr.write(`dms-event-bus local: ${message}\n`);
    process.exitCode = 1;
  }
  // Open keep-alive sockets must not hold the process once everything is stopped.
  setTimeout(() => process.exit(process.exitCode ?? 0), 200).unref();
}

if (require.main === module) void main();
