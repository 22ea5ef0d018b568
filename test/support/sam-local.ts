/**
 * What `sam local invoke <Function> -e <event> --env-vars events/env.json` does, minus Docker:
 * the function's environment is the template's Environment.Variables (parameters at their
 * defaults), overridden by env.json (its "Parameters" section for every function, then the
 * function's own section) for declared variables only; the code is the esbuild bundle built
 * with the template's Metadata; the handler is `<file>.<export>` inside it.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import type { Context } from 'aws-lambda';
import { loadTemplate } from '../../scripts/cfn-yaml.mjs';
import { functionBuilds, type FunctionBuild } from '../../scripts/esbuild-options.mjs';

export const ROOT = resolve(__dirname, '../..');
export const TEMPLATE_PATH = join(ROOT, 'template.yaml');
export const ENV_JSON_PATH = join(ROOT, 'events', 'env.json');

/** Values the pseudo parameters take locally (moto's account, the emulators' region). */
export const LOCAL_PSEUDO = { 'AWS::Region': 'us-east-1', 'AWS::AccountId': '123456789012', 'AWS::Partition': 'aws', 'AWS::StackName': 'dms-event-bus' } as const;

export type EnvJson = Record<string, Record<string, string>>;

export function readEnvJson(path = ENV_JSON_PATH): EnvJson {
  return JSON.parse(readFileSync(path, 'utf8')) as EnvJson;
}

/** A template value that cannot be known without a deployment (a resource's name or ARN). */
export class UnresolvedValueError extends Error {
  override readonly name = 'UnresolvedValueError';
}

/**
 * Resolves a template value to a string: literals, parameter `Ref`s (their Default),
 * pseudo parameters, `Fn::FindInMap` and `Fn::Sub` over those. A resource's `Ref`/`GetAtt`
 * throws UnresolvedValueError (locally it must come from env.json).
 */
export function resolveValue(template: Record<string, any>, value: unknown, where: string): string {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  const node = value as Record<string, any>;
  if (node && typeof node === 'object' && 'Ref' in node) {
    const name = node.Ref as string;
    if (name in LOCAL_PSEUDO) return LOCAL_PSEUDO[name as keyof typeof LOCAL_PSEUDO];
    const parameter = template.Parameters?.[name];
    if (parameter) return String(parameter.Default ?? '');
    throw new UnresolvedValueError(`${where}: Ref ${name} is a resource`);
  }
  if (node && typeof node === 'object' && 'Fn::GetAtt' in node) {
    throw new UnresolvedValueError(`${where}: GetAtt ${(node['Fn::GetAtt'] as string[]).join('.')} is a resource attribute`);
  }
  if (node && typeof node === 'object' && 'Fn::FindInMap' in node) {
    const [map, first, second] = (node['Fn::FindInMap'] as unknown[]).map((part) => resolveValue(template, part, where));
    const found = template.Mappings?.[map!]?.[first!]?.[second!];
    if (found === undefined) throw new UnresolvedValueError(`${where}: FindInMap ${map}.${first}.${second} not found`);
    return String(found);
  }
  if (node && typeof node === 'object' && 'Fn::Sub' in node && typeof node['Fn::Sub'] === 'string') {
    return (node['Fn::Sub'] as string).replace(/\$\{([^}]+)\}/g, (_m, name: string) => resolveValue(template, { Ref: name }, where));
  }
  throw new UnresolvedValueError(`${where}: unsupported value ${JSON.stringify(value)}`);
}

export interface LocalEnvironment {
  /** The environment the function sees. */
  readonly env: Record<string, string>;
  /** env.json entries for variables the template does not declare: SAM ignores them. */
  readonly ignored: string[];
  /** Declared variables whose template value names a resource and env.json does not set. */
  readonly unresolved: string[];
}

/** The function's environment under `sam local invoke --env-vars`, as SAM CLI builds it. */
export function localEnvironment(template: Record<string, any>, logicalId: string, envJson: EnvJson): LocalEnvironment {
  const resource = template.Resources?.[logicalId];
  if (!resource) throw new Error(`${logicalId} is not in the template`);
  const globals = template.Globals?.Function?.Environment?.Variables ?? {};
  const declared: Record<string, unknown> = { ...globals, ...(resource.Properties?.Environment?.Variables ?? {}) };
  const overrides = { ...(envJson.Parameters ?? {}), ...(envJson[logicalId] ?? {}) };
  const env: Record<string, string> = {};
  const unresolved: string[] = [];
  for (const [name, value] of Object.entries(declared)) {
    if (name in overrides) {
      env[name] = overrides[name]!;
      continue;
    }
    try {
      env[name] = resolveValue(template, value, `${logicalId}.${name}`);
    } catch (error) {
      if (!(error instanceof UnresolvedValueError)) throw error;
      unresolved.push(name);
    }
  }
  const ignored = Object.keys(envJson[logicalId] ?? {}).filter((name) => !(name in declared));
  return { env, ignored, unresolved };
}

export function loadProjectTemplate(): Record<string, any> {
  return loadTemplate(TEMPLATE_PATH);
}

export interface BuiltFunction {
  readonly logicalId: string;
  readonly build: FunctionBuild;
  /** Absolute path of the bundle file the Handler names. */
  readonly file: string;
  /** The exported name the Handler names. */
  readonly exportName: string;
}

/**
 * Bundles every function with the template's esbuild Metadata (the options `npm run build`
 * and `sam build` use) into a fresh temporary folder, so tests never race on dist/.
 */
export async function buildFunctions(): Promise<{ functions: Record<string, BuiltFunction>; cleanup: () => void }> {
  const root = mkdtempSync(join(tmpdir(), 'dms-event-bus-sam-'));
  const functions: Record<string, BuiltFunction> = {};
  for (const fn of functionBuilds(TEMPLATE_PATH)) {
    const outdir = join(root, fn.logicalId);
    await build({ ...fn.options, outdir, logLevel: 'silent' });
    const handler = fn.handler ?? '';
    const dot = handler.lastIndexOf('.');
    const exportName = handler.slice(dot + 1);
    functions[fn.logicalId] = { logicalId: fn.logicalId, build: fn, file: join(outdir, `${handler.slice(0, dot)}.js`), exportName };
  }
  return { functions, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/** Loads a built bundle in a fresh module instance (as a new Lambda container would). */
export function loadHandler(fn: BuiltFunction): unknown {
  delete require.cache[fn.file];
  const mod = require(fn.file) as Record<string, unknown>;
  return mod[fn.exportName];
}

/** A Lambda-like context: name, ARN, request id and a deadline that counts down. */
export function lambdaContext(functionName: string, timeoutSeconds: number, requestId = `local-${Date.now()}`): Context {
  const deadline = Date.now() + timeoutSeconds * 1000;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${LOCAL_PSEUDO['AWS::Region']}:${LOCAL_PSEUDO['AWS::AccountId']}:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `2026/11/26/[$LATEST]${requestId}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Runs one invocation in a fresh Node process, the way the Lambda runtime calls the handler. */
const RUNNER = `
const fs = require('node:fs');
const [file, exportName, eventPath, resultPath, functionName, timeoutSeconds] = process.argv.slice(1);
const deadline = Date.now() + Number(timeoutSeconds) * 1000;
const requestId = require('node:crypto').randomUUID();
const context = {
  callbackWaitsForEmptyEventLoop: true, functionName, functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:' + process.env.AWS_REGION + ':123456789012:function:' + functionName,
  memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE, awsRequestId: requestId,
  logGroupName: '/aws/lambda/' + functionName, logStreamName: 'local/[$LATEST]' + requestId,
  getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  done() {}, fail() {}, succeed() {},
};
(async () => {
  let outcome;
  try {
    const handler = require(file)[exportName];
    const result = await handler(JSON.parse(fs.readFileSync(eventPath, 'utf8')), context);
    outcome = { ok: true, result: result === undefined ? null : result };
  } catch (error) {
    outcome = { ok: false, error: { name: error && error.name, message: error && error.message } };
  }
  fs.writeFileSync(resultPath, JSON.stringify(outcome));
  process.exit(0);
})();
`;

export interface Invocation {
  /** The handler's return value (ok) or the error it threw. */
  readonly outcome: { ok: true; result: any } | { ok: false; error: { name?: string; message?: string } };
  /** Everything the function logged (JSON lines and EMF). */
  readonly stdout: string;
  readonly stderr: string;
  /** Metric totals from the EMF lines it wrote, by metric name. */
  readonly metrics: Record<string, number>;
}

/**
 * Invokes a built function with an event file in a fresh process whose environment is only the
 * function's environment plus what Lambda (and `sam local invoke`) add: region, credentials and
 * the AWS_LAMBDA_* variables.
 */
export async function invokeLocal(options: {
  fn: BuiltFunction;
  functionName: string;
  env: Record<string, string>;
  eventPath: string;
  timeoutSeconds: number;
  memoryMb?: number;
  runtimeEnv: { AWS_REGION: string; AWS_ACCESS_KEY_ID: string; AWS_SECRET_ACCESS_KEY: string };
}): Promise<Invocation> {
  const { spawn } = await import('node:child_process');
  const resultDir = mkdtempSync(join(tmpdir(), 'dms-event-bus-invoke-'));
  const resultPath = join(resultDir, 'result.json');
  try {
    const env = {
      ...options.env,
      ...options.runtimeEnv,
      AWS_DEFAULT_REGION: options.runtimeEnv.AWS_REGION,
      AWS_LAMBDA_FUNCTION_NAME: options.functionName,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(options.memoryMb ?? 512),
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
      LAMBDA_TASK_ROOT: resolve(options.fn.file, '..'),
      TZ: ':UTC',
      PATH: process.env.PATH ?? '',
    };
    const child = spawn(process.execPath, ['-e', RUNNER, options.fn.file, options.fn.exportName, options.eventPath, resultPath, options.functionName, String(options.timeoutSeconds)], {
      env,
      cwd: resolve(options.fn.file, '..'),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), (options.timeoutSeconds + 10) * 1000);
    const code = await new Promise<number | null>((done) => child.on('close', done));
    clearTimeout(timer);
    let outcome: Invocation['outcome'];
    try {
      outcome = JSON.parse(readFileSync(resultPath, 'utf8')) as Invocation['outcome'];
    } catch {
      throw new Error(`the function process ended (exit ${code}) without a result:\n${stderr}\n${stdout.slice(-4000)}`);
    }
    return { outcome, stdout, stderr, metrics: emfTotals(stdout) };
  } finally {
    rmSync(resultDir, { recursive: true, force: true });
  }
}

/** Sums the metrics of every EMF line in a log. */
export function emfTotals(log: string): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const line of log.split('\n')) {
    if (!line.startsWith('{') || !line.includes('"_aws"')) continue;
    const document = JSON.parse(line) as Record<string, any>;
    for (const directive of document._aws?.CloudWatchMetrics ?? []) {
      for (const metric of directive.Metrics ?? []) {
        const value = document[metric.Name];
        if (typeof value === 'number') totals[metric.Name] = (totals[metric.Name] ?? 0) + value;
      }
    }
  }
  return totals;
}
