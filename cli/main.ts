/**
 * `dms-event-bus`: the operator's CLI. Talks to real AWS with the SDK's standard
 * credential/region resolution, or to local endpoints (AWS_ENDPOINT_URL_* or --local).
 *
 *   status [table...]     tables in scope: stream, mapping, capacity, drift, conflicts, backfill
 *   plan [table...]       what the reconciler would change (changes nothing)
 *   reconcile [table...]  converge now (in-process, or --invoke the deployed reconciler)
 *   sweep                 reconcile every table in scope now (same)
 *   tail                  follow the change stream
 *   backfill <table>      start a backfill by hand
 *   release <table...>    take back what the reconciler created on tables (cli/commands/release.ts)
 *   uninstall             release every managed table (cli/commands/uninstall.ts)
 *   redrive               redrive the forwarder's dead-letter queue by hand
 *   local                 the local pipeline (= npm start)
 */
import '../local/esm-interop'; // first: lets the handlers' @middy/core (ESM-only) load under tsx
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { GetFunctionCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { createKinesisClient, createLambdaClient } from '../src/aws/clients';
import { loadBackfillStarterConfig } from '../src/config/backfill-starter';
import { loadReconcilerConfig, type ReconcilerConfig } from '../src/config/reconciler';
import { ConfigurationError } from '../src/errors';
import { createLogger } from '../src/observability/logger';
import { createMetrics } from '../src/observability/metrics';
import { createAwsDeps } from '../reconciler/aws-deps';
import { createBackfillStarter, createReconcilerBackfillDeps, handleBackfillRequest } from '../reconciler/backfill/index';
import { createOperator, type RunSummary } from '../reconciler/operator';
import { applyEnv } from '../local/emulators';
import { createSyncInvokeClient, INVOKE_RETRY, invokeWithRetry } from './invoke';
import { formatStatusLag, statusLag } from './commands/lag';
import type { CommandContext } from './commands/context';
import { runRelease } from './commands/release';
import { statusRows } from './commands/status';
import { runTail } from './commands/tail';
import { runUninstall } from './commands/uninstall';
import { describeForUser, UsageError, UserFacingError } from './errors';
import { formatPlan, formatStatusTable } from './format';
import { REPLAY_USAGE, replayCommand } from './commands/replay';

export const USAGE = `dms-event-bus <command> [options]

Commands:
  status [table...]      tables in scope: stream, mapping (state, last result), capacity, drift, conflicts, backfill
  plan [table...]        what the reconciler would change, changing nothing
  reconcile [table...]   converge the tables now (all in scope if none given)
  sweep                  reconcile every table in scope now
  tail                   follow the Kinesis change stream and print the events
  backfill <table>       start a backfill of the table's rows (snapshot events)
  release <table...>     take back what the reconciler created on tables out of scope (mappings, scaling, tags)
  uninstall              release every managed table, as deleting the stack does (stops the deployed reconciler)
  redrive                redrive every range on the forwarder's dead-letter queue to Kinesis (--dry-run: change nothing)
  local                  run the whole pipeline on local emulators (same as npm start; see local --help)
${REPLAY_USAGE}

Options:
  --json                 machine-readable output (status, plan, reconcile, sweep, tail)
  --local                use the local pipeline: reuse a running npm start (.local-aws/env) or start emulators
  --region <region>      AWS region (default: the SDK's resolution: AWS_REGION, profile)
  --forwarder <name|arn> the forwarder function (default: FORWARDER_FUNCTION_ARN)
  --invoke               reconcile/sweep/backfill by invoking the deployed reconciler instead of in-process
  --function-name <name> the reconciler function for --invoke (default: RECONCILER_FUNCTION_NAME)
  --stream-name <name>   the change stream for tail and status's lag (default: KINESIS_STREAM_NAME)
  --lag-window <s>       status: read the change stream's last <s> seconds for the lag per table (default 60)
  --from-start           tail from the oldest record kept instead of from now
  --force                backfill again even if one finished; release a table still in scope
  --disable-stream       release/uninstall: also disable the streams the reconciler enabled (never others)
  --dry-run              release/uninstall: show what would be released; redrive: read and convert the ranges, publish, announce and delete nothing
  --yes                  uninstall: really do it (without it, uninstall only shows what it would do)
  --queue-url <url>      the forwarder's dead-letter queue for redrive (default: FORWARDER_DLQ_URL)
  -h, --help

Configuration: the reconciler's environment variables (FORWARDER_FUNCTION_ARN, TABLE_INCLUDE_PATTERNS,
TABLE_EXCLUDE_PATTERNS, CAPACITY_MODE, ESM_*, BACKFILL_STATE_TABLE, KINESIS_STREAM_NAME, ...) apply here too;
redrive reads FORWARDER_DLQ_URL (the stack output ForwarderDeadLetterQueueUrl), KINESIS_STREAM_NAME and EVENT_BUS_NAME.`;

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Aborted on Ctrl-C (tail, local). */
  readonly signal: AbortSignal;
}

type Values = {
  json?: boolean; local?: boolean; region?: string; forwarder?: string; invoke?: boolean; 'function-name'?: string;
  'stream-name'?: string; 'lag-window'?: string; 'from-start'?: boolean; force?: boolean; help?: boolean; verbose?: boolean;
  'disable-stream'?: boolean; 'dry-run'?: boolean; yes?: boolean; 'queue-url'?: string;
  from?: string; table?: string; since?: string; until?: string; 'to-stream'?: string;
};

const OPTIONS = {
  json: { type: 'boolean' },
  local: { type: 'boolean' },
  region: { type: 'string' },
  forwarder: { type: 'string' },
  invoke: { type: 'boolean' },
  'function-name': { type: 'string' },
  'stream-name': { type: 'string' },
  'lag-window': { type: 'string' },
  'from-start': { type: 'boolean' },
  force: { type: 'boolean' },
  'disable-stream': { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  yes: { type: 'boolean' },
  'queue-url': { type: 'string' },
  verbose: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  from: { type: 'string' },
  table: { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
  'to-stream': { type: 'string' },
} as const;

/** Reads `export KEY=VALUE` lines (the file npm start writes). */
export function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^export ([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (match) env[match[1]!] = match[2]!.replace(/^'(.*)'$/, '$1').replace(/'\\''/g, "'");
  }
  return env;
}

async function answers(url: string | undefined): Promise<boolean> {
  if (!url) return false;
  try {
    const response = await fetch(`${url}/moto-api/`, { signal: AbortSignal.timeout(2_000) });
    await response.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

/** --local: the running npm start's endpoints, or emulators started for this command. */
async function useLocal(io: CliIo): Promise<() => Promise<void>> {
  const file = join('.local-aws', 'env');
  if (existsSync(file)) {
    const env = parseEnvFile(readFileSync(file, 'utf8'));
    if (await answers(env.AWS_ENDPOINT_URL_DYNAMODB)) {
      const restore = applyEnv(env);
      return async () => restore();
    }
  }
  io.err('No running local pipeline found (npm start); starting local emulators for this command…');
  const { startLocalRuntime } = await import('../local/runtime');
  const runtime = await startLocalRuntime({ sweepIntervalMs: 0 });
  const restore = applyEnv(runtime.env);
  return async () => {
    restore();
    await runtime.stop();
  };
}

/** The reconciler configuration, with --forwarder resolved to an ARN. */
async function reconcilerConfig(values: Values, lambda: LambdaClient): Promise<ReconcilerConfig> {
  const env: Record<string, string | undefined> = { ...process.env };
  if (values.forwarder) {
    if (values.forwarder.startsWith('arn:')) env.FORWARDER_FUNCTION_ARN = values.forwarder;
    else {
      try {
        const fn = await lambda.send(new GetFunctionCommand({ FunctionName: values.forwarder }));
        env.FORWARDER_FUNCTION_ARN = fn.Configuration?.FunctionArn;
      } catch (error) {
        if ((error as Error).name === 'ResourceNotFoundException') throw new UserFacingError(`Forwarder function ${values.forwarder} not found.`);
        throw error;
      }
    }
  }
  if (!env.FORWARDER_FUNCTION_ARN) {
    throw new UserFacingError('Which forwarder? Set FORWARDER_FUNCTION_ARN or pass --forwarder <name|arn> (the stack output ForwarderFunctionArn).');
  }
  return loadReconcilerConfig(env);
}

function quietDeps(values: Values) {
  const write = values.verbose ? (line: string) => process.stderr.write(`${line}\n`) : () => undefined;
  return { logger: createLogger({ service: 'cli', write }), metrics: createMetrics({ service: 'cli', write: () => undefined }) };
}

/** The backfill starter's dependencies if it is configured (BACKFILL_STATE_TABLE, SNAPSHOT_FUNCTION_NAME), else undefined. */
function backfillDepsIfConfigured(values: Values) {
  try {
    return createReconcilerBackfillDeps(loadBackfillStarterConfig(process.env), { logger: quietDeps(values).logger });
  } catch (error) {
    if (error instanceof ConfigurationError) return undefined;
    throw error;
  }
}

function statusWiring(values: Values) {
  return { config: (lambda: LambdaClient) => reconcilerConfig(values, lambda), quiet: quietDeps(values) };
}

function printSummary(io: CliIo, summary: RunSummary | Record<string, unknown>, json: boolean): number {
  if (json) {
    io.out(JSON.stringify(summary, null, 2));
  } else {
    const s = summary as RunSummary;
    const counts = s.counts;
    if (counts) io.out(`seen ${counts.seen}, converged ${counts.converged}, changed ${counts.changed}, conflicts ${counts.conflicts}, requeued ${counts.requeued}, removed ${counts.removed}, errors ${counts.errors}`);
    for (const table of s.tables ?? []) {
      io.out(`  ${table.table}: ${table.outcome}${table.actions.length > 0 ? ` (${table.actions.map((a) => a.type).join(', ')})` : ''}${table.reason ? ` - ${table.reason}` : ''}${table.error ? ` - ${table.error.message}` : ''}`);
    }
  }
  const errors = (summary as RunSummary).counts?.errors ?? 0;
  return errors > 0 ? 1 : 0;
}

async function invokeReconciler(values: Values, payload: Record<string, unknown>, io: CliIo): Promise<Record<string, unknown>> {
  const name = values['function-name'] ?? process.env.RECONCILER_FUNCTION_NAME;
  if (!name) throw new UserFacingError('Which reconciler? Pass --function-name <name> or set RECONCILER_FUNCTION_NAME.');
  let response;
  try {
    const retry = { ...INVOKE_RETRY, sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)), random: Math.random, onRetry: io.err };
    response = await invokeWithRetry(createSyncInvokeClient(), { functionName: name, payload }, retry);
  } catch (error) {
    if ((error as Error).name === 'ResourceNotFoundException') throw new UserFacingError(`Reconciler function ${name} not found.`);
    throw error;
  }
  const body = JSON.parse(Buffer.from(response.Payload ?? new Uint8Array()).toString('utf8') || 'null') as Record<string, unknown>;
  if (response.FunctionError) throw new UserFacingError(`The reconciler failed: ${String(body?.errorType ?? 'error')}: ${String(body?.errorMessage ?? '')}`);
  return body;
}

function commandContext(values: Values, io: CliIo): CommandContext {
  return { io, config: () => reconcilerConfig(values, createLambdaClient()), ...quietDeps(values), json: Boolean(values.json), dryRun: Boolean(values['dry-run']) };
}

function functionNameOf(values: Values): { reconcilerFunction?: string } {
  const name = values['function-name'] ?? process.env.RECONCILER_FUNCTION_NAME;
  return name ? { reconcilerFunction: name } : {};
}

async function command(name: string, args: string[], values: Values, io: CliIo): Promise<number> {
  switch (name) {
    case 'status': {
      const { rows } = await statusRows(args, statusWiring(values));
      const streamName = values['stream-name'] ?? process.env.KINESIS_STREAM_NAME ?? process.env.DMS_EVENT_BUS_STREAM_NAME;
      const lag = await statusLag({ client: createKinesisClient(), streamName, only: args, windowSeconds: values['lag-window'] });
      io.out(values.json ? JSON.stringify({ tables: rows, ...(lag ? { lag } : {}) }, null, 2) : `${formatStatusTable(rows)}${lag ? formatStatusLag(lag, Date.now()) : ''}`);
      return 0;
    }
    case 'plan': {
      const { rows } = await statusRows(args, statusWiring(values));
      io.out(values.json ? JSON.stringify({ tables: rows.map((r) => ({ table: r.table, converged: r.converged, actions: r.drift, conflicts: r.conflicts })) }, null, 2) : formatPlan(rows));
      return 0;
    }
    case 'reconcile':
    case 'sweep': {
      if (name === 'sweep' && args.length > 0) throw new UsageError('sweep takes no table names (use reconcile <table...>)');
      if (values.invoke) {
        const payload = name === 'sweep' ? { action: 'sweep' } : { action: 'reconcile', tables: args.length > 0 ? args : undefined };
        if (name === 'reconcile' && args.length === 0) return printSummary(io, await invokeReconciler(values, { action: 'sweep' }, io), Boolean(values.json));
        return printSummary(io, await invokeReconciler(values, payload, io), Boolean(values.json));
      }
      const lambda = createLambdaClient();
      const config = await reconcilerConfig(values, lambda);
      const backfillDeps = config.backfillEnabled ? backfillDepsIfConfigured(values) : undefined;
      const backfill = backfillDeps ? createBackfillStarter(backfillDeps) : undefined;
      if (config.backfillEnabled && !backfill) io.err('note: backfills are not started in-process without BACKFILL_STATE_TABLE and SNAPSHOT_FUNCTION_NAME (or use --invoke).');
      const operator = createOperator(createAwsDeps(config, { ...quietDeps(values), ...(backfill ? { backfill } : {}) }));
      io.err(name === 'sweep' || args.length === 0 ? 'Reconciling every table in scope…' : `Reconciling ${args.join(', ')}…`);
      const summary = name === 'sweep' || args.length === 0 ? await operator.sweep({ trigger: 'cli' }) : await operator.reconcileTables(args, { trigger: 'cli' });
      const view = { ...summary, tables: summary.tables.map(({ observed: _observed, ...rest }) => rest) };
      return printSummary(io, view, Boolean(values.json));
    }
    case 'tail':
      return runTail({ streamName: values['stream-name'] ?? process.env.KINESIS_STREAM_NAME ?? process.env.DMS_EVENT_BUS_STREAM_NAME, fromStart: Boolean(values['from-start']), json: Boolean(values.json) }, io);
    case 'backfill': {
      if (args.length !== 1) throw new UsageError('backfill needs exactly one table name');
      const payload = { action: 'backfill', tableName: args[0]!, ...(values.force ? { force: true } : {}) };
      if (values.invoke) {
        const response = await invokeReconciler(values, payload, io);
        io.out(values.json ? JSON.stringify(response, null, 2) : `backfill of ${args[0]}: ${String(response.result ?? response.status ?? JSON.stringify(response))}`);
        return 0;
      }
      const deps = backfillDepsIfConfigured(values);
      if (!deps) throw new UserFacingError('The backfill needs BACKFILL_STATE_TABLE and SNAPSHOT_FUNCTION_NAME (or use --invoke --function-name <reconciler>).');
      try {
        const response = await handleBackfillRequest(payload, deps);
        io.out(values.json ? JSON.stringify(response, null, 2) : `backfill of ${args[0]}: ${'result' in response ? response.result : response.kind}`);
      } catch (error) {
        if ((error as Error).name === 'ResourceNotFoundException' || /not found/i.test((error as Error).message)) throw new UserFacingError(`Table ${args[0]} not found.`);
        throw error;
      }
      return 0;
    }
    case 'release':
      return runRelease(args, { disableStream: Boolean(values['disable-stream']), force: Boolean(values.force) }, commandContext(values, io));
    case 'uninstall':
      return runUninstall(args, { yes: Boolean(values.yes), disableStream: Boolean(values['disable-stream']), ...functionNameOf(values) }, commandContext(values, io));
    case 'redrive': {
      if (args.length > 0) throw new UsageError('redrive takes no arguments (the queue comes from --queue-url or FORWARDER_DLQ_URL)');
      const { runRedriveCommand } = await import('./commands/redrive');
      return runRedriveCommand({ queueUrl: values['queue-url'], streamName: values['stream-name'], dryRun: Boolean(values['dry-run']), json: Boolean(values.json), verbose: Boolean(values.verbose), env: process.env, out: io.out, err: io.err });
    }
    case 'replay':
      return replayCommand(args, values, io);
    default:
      throw new UsageError(`unknown command "${name}"`);
  }
}

/** Runs the CLI; returns the exit code. Never throws: every failure is printed as one line. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [first, ...rest] = argv;
  if (first === 'local') {
    const { runLocal } = await import('../local/main');
    try {
      return await runLocal(rest, { out: io.out, isTty: false }, io.signal);
    } catch (error) {
      io.err(`dms-event-bus local: ${describeForUser(error)}`);
      return 1;
    }
  }
  let cleanup: (() => Promise<void>) | undefined;
  let restoreRegion: (() => void) | undefined;
  try {
    let parsed;
    try {
      parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    const values = parsed.values as Values;
    const [name, ...args] = parsed.positionals;
    if (values.help || !name || name === 'help') {
      io.out(USAGE);
      return name || values.help ? 0 : 2;
    }
    if (values.local) cleanup = await useLocal(io);
    if (values.region) restoreRegion = applyEnv({ AWS_REGION: values.region, AWS_DEFAULT_REGION: values.region });
    return await command(name, args, values, io);
  } catch (error) {
    io.err(`dms-event-bus: ${describeForUser(error, { region: process.env.AWS_REGION })}`);
    return error instanceof UsageError ? 2 : 1;
  } finally {
    restoreRegion?.();
    await cleanup?.();
  }
}

async function main(): Promise<void> {
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = () => {
    interrupts += 1;
    if (interrupts > 1) process.exit(130);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // `dms-event-bus tail | head`: a closed pipe ends the command quietly.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') controller.abort();
  });
  const code = await runCli(process.argv.slice(2), {
    out: (text) => {
      if (!process.stdout.destroyed) process.stdout.write(`${text}\n`);
    },
    err: (text) => process.stderr.write(`${text}\n`),
    signal: controller.signal,
  });
  process.exitCode = code;
  // Keep-alive sockets of the SDK must not hold the process open.
  setTimeout(() => process.exit(code), 100).unref();
}

if (require.main === module) void main();
