/**
 * Local AWS for tests and for `npm start`: moto server (DynamoDB, DynamoDB Streams,
 * Lambda's mapping API, Application Auto Scaling, SQS, EventBridge, IAM) and kinesis-mock
 * (Kinesis over HTTP/1.1 and HTTP/2). Each runs on a free loopback port, is waited for
 * until it answers, and is stopped by `stop()`, also when the parent process exits.
 *
 * Development tooling only: never bundled into a Lambda function.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname } from 'node:path';

/** Raised when a prerequisite emulator is not installed; the message says what to install. */
export class EmulatorMissingError extends Error {
  override readonly name = 'EmulatorMissingError';
}

/** Raised when an emulator started but did not answer in time. */
export class EmulatorStartError extends Error {
  override readonly name = 'EmulatorStartError';
}

export interface LocalAws {
  /** Base URL of moto server, e.g. http://127.0.0.1:41234 */
  readonly motoUrl: string;
  /** Base URL of kinesis-mock's plain HTTP port */
  readonly kinesisUrl: string;
  readonly region: string;
  /**
   * The standard SDK variables that route every client to the emulators
   * (AWS_ENDPOINT_URL_<SERVICE>, region, dummy credentials).
   */
  readonly env: Readonly<Record<string, string>>;
  /** Wipes moto's state (all services) between tests. Kinesis is not reset. */
  resetMoto(): Promise<void>;
  stop(): Promise<void>;
}

export interface StartOptions {
  region?: string;
  /** Which emulators to start; both by default. */
  services?: { moto?: boolean; kinesis?: boolean };
  /** Milliseconds to wait for each emulator to answer. */
  startTimeoutMs?: number;
  /** Print emulator stderr (debugging). */
  verbose?: boolean;
}

const MOTO_INSTALL_HINT =
  'moto server is required for the local AWS emulators: install it with `pip install "moto[server]>=5,<6"` ' +
  '(it provides the `moto_server` command), or set MOTO_SERVER_COMMAND to its path.';

/** Asks the OS for a free loopback TCP port. */
export async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function motoCommand(): string {
  const command = process.env.MOTO_SERVER_COMMAND ?? 'moto_server';
  const probe = spawnSync(command, ['--help'], { stdio: 'ignore', timeout: 30_000 });
  if (probe.error || probe.status !== 0) throw new EmulatorMissingError(MOTO_INSTALL_HINT);
  return command;
}

function kinesisMockMain(): string {
  try {
    return require.resolve('kinesis-local/main.js');
  } catch {
    throw new EmulatorMissingError(
      'kinesis-mock is required for the local Kinesis: run `npm ci` (it is the dev dependency `kinesis-local`).',
    );
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitUntilAnswers(url: string, child: ChildProcess, name: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new EmulatorStartError(`${name} exited with code ${child.exitCode} before answering on ${url}`);
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await response.arrayBuffer();
      return;
    } catch (error) {
      lastError = error;
      await sleep(100);
    }
  }
  throw new EmulatorStartError(`${name} did not answer on ${url} within ${timeoutMs} ms: ${String(lastError)}`);
}

function startProcess(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; verbose?: boolean }) {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'ignore', options.verbose ? 'inherit' : 'ignore'],
    detached: true, // own process group, so stop() also ends grandchildren
  });
  child.unref();
  return child;
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    /* already gone */
  }
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  killGroup(child, 'SIGTERM');
  const timedOut = await Promise.race([exited.then(() => false), sleep(3_000).then(() => true)]);
  if (timedOut) {
    killGroup(child, 'SIGKILL');
    await Promise.race([exited, sleep(2_000)]);
  }
}

const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of liveChildren) killGroup(child, 'SIGKILL');
  });
}

/** Starts the requested emulators and returns their endpoints and a stop function. */
export async function startLocalAws(options: StartOptions = {}): Promise<LocalAws> {
  const region = options.region ?? 'us-east-1';
  const timeoutMs = options.startTimeoutMs ?? 60_000;
  const wantMoto = options.services?.moto ?? true;
  const wantKinesis = options.services?.kinesis ?? true;
  installExitHook();

  const children: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(children.map(async (child) => {
      await stopProcess(child);
      liveChildren.delete(child);
    }));
  };

  try {
    let motoUrl = '';
    let kinesisUrl = '';
    const starts: Promise<void>[] = [];
    if (wantMoto) {
      const command = motoCommand();
      const port = await findFreePort();
      motoUrl = `http://127.0.0.1:${port}`;
      const child = startProcess(command, ['-H', '127.0.0.1', '-p', String(port)], { verbose: options.verbose });
      children.push(child);
      liveChildren.add(child);
      starts.push(
        waitUntilAnswers(`${motoUrl}/moto-api/`, child, 'moto server', timeoutMs).then(() => configureMoto(motoUrl)),
      );
    }
    if (wantKinesis) {
      const main = kinesisMockMain();
      const [plainPort, tlsPort] = [await findFreePort(), await findFreePort()];
      kinesisUrl = `http://127.0.0.1:${plainPort}`;
      const child = startProcess(process.execPath, [main], {
        cwd: dirname(main), // kinesis-mock reads server.json from its working directory
        env: {
          KINESIS_MOCK_PLAIN_PORT: String(plainPort),
          KINESIS_MOCK_TLS_PORT: String(tlsPort),
          LOG_LEVEL: 'ERROR',
          AWS_REGION: region,
          AWS_ACCOUNT_ID: '000000000000',
          CREATE_STREAM_DURATION: '0ms',
          DELETE_STREAM_DURATION: '0ms',
          UPDATE_SHARD_COUNT_DURATION: '0ms',
          START_STREAM_ENCRYPTION_DURATION: '0ms',
          SHARD_LIMIT: '1000',
        },
        verbose: options.verbose,
      });
      children.push(child);
      liveChildren.add(child);
      starts.push(waitUntilAnswers(`${kinesisUrl}/healthcheck`, child, 'kinesis-mock', timeoutMs));
    }
    await Promise.all(starts);

    const env: Record<string, string> = {
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ACCOUNT_ID_ENDPOINT_MODE: 'disabled',
    };
    if (motoUrl) {
      for (const service of ['DYNAMODB', 'DYNAMODB_STREAMS', 'LAMBDA', 'APPLICATION_AUTO_SCALING', 'SQS', 'EVENTBRIDGE', 'IAM', 'STS', 'CLOUDWATCH', 'S3']) {
        env[`AWS_ENDPOINT_URL_${service}`] = motoUrl;
      }
    }
    if (kinesisUrl) env.AWS_ENDPOINT_URL_KINESIS = kinesisUrl;

    return {
      motoUrl,
      kinesisUrl,
      region,
      env,
      resetMoto: async () => {
        if (!motoUrl) return;
        await (await fetch(`${motoUrl}/moto-api/reset`, { method: 'POST' })).arrayBuffer();
        await configureMoto(motoUrl);
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function configureMoto(motoUrl: string): Promise<void> {
  // Lambda functions registered in moto must never be run in Docker (there is none here).
  const response = await fetch(`${motoUrl}/moto-api/config`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ lambda: { use_docker: false } }),
  });
  await response.arrayBuffer();
}

/**
 * Applies `env` to process.env and returns a function restoring the previous values,
 * so tests never leak endpoint variables into each other.
 */
export function applyEnv(env: Readonly<Record<string, string>>): () => void {
  const previous = new Map<string, string | undefined>();
  for (const [key, value] of Object.entries(env)) {
    previous.set(key, process.env[key]);
    process.env[key] = value;
  }
  return () => {
    for (const [key, value] of previous) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
}
