/**
 * A local front for the Lambda API. moto serves the control plane (functions, event source
 * mappings) but runs no code, so this small HTTP server sits in front of it: Invoke calls
 * for the functions the local run hosts in-process are executed here (RequestResponse,
 * Event, DryRun, as Lambda does); every other request is passed to moto unchanged.
 * Product code keeps its ordinary LambdaClient; only AWS_ENDPOINT_URL_LAMBDA points here.
 *
 * Development tooling only: never bundled into a Lambda function.
 */
import { randomUUID } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../src/observability/logger';
import { EsmApiError, type EsmApi } from './esm-api';
import { functionNameOf } from './poller/mapping-config';
import { localContext } from './poller/lambda-context';
import type { LocalFunction } from './poller/poller';

export { localContext };

export interface LambdaFrontOptions {
  /** moto's base URL, where everything that is not a local invocation goes. */
  readonly upstreamUrl: string;
  /** In-process functions by function name. */
  readonly functions: Readonly<Record<string, LocalFunction>>;
  readonly region: string;
  readonly accountId: string;
  readonly logger?: Logger;
  /** Serves the event source mapping API (instead of moto, see esm-api.ts). */
  readonly esm?: EsmApi;
  /** Attempts of an asynchronous (Event) invocation: Lambda makes 1 + 2 retries. */
  readonly asyncAttempts?: number;
  /** Delay between asynchronous retries (Lambda waits about a minute, then two). */
  readonly asyncRetryDelayMs?: number;
}

export interface LambdaFront {
  readonly url: string;
  /** Asynchronous invocations accepted and not finished yet. */
  inFlight(): number;
  /** Resolves when no asynchronous invocation is running or queued. */
  idle(): Promise<void>;
  /** Counts by function name of invocations run here. */
  invocations(): Record<string, number>;
  stop(): Promise<void>;
}

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;
const ESM_PATH = /^\/2015-03-31\/event-source-mappings\/?([^/]*)$/;

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-requestid': randomUUID(), ...headers });
  res.end(JSON.stringify(body));
}

async function handleEsm(esm: EsmApi, method: string, uuid: string, url: URL, body: Buffer, res: ServerResponse): Promise<void> {
  try {
    const json = body.length === 0 ? {} : (JSON.parse(body.toString('utf8')) as Record<string, unknown>);
    if (method === 'POST' && !uuid) return sendJson(res, 202, await esm.create(json));
    if (method === 'GET' && !uuid) {
      const maxItems = url.searchParams.get('MaxItems');
      return sendJson(res, 200, await esm.list({
        eventSourceArn: url.searchParams.get('EventSourceArn') ?? undefined,
        functionName: url.searchParams.get('FunctionName') ?? undefined,
        marker: url.searchParams.get('Marker') ?? undefined,
        maxItems: maxItems ? Number(maxItems) : undefined,
      }));
    }
    if (method === 'GET') return sendJson(res, 200, esm.get(uuid));
    if (method === 'PUT') return sendJson(res, 202, await esm.update(uuid, json));
    if (method === 'DELETE') return sendJson(res, 202, esm.delete(uuid));
    return sendJson(res, 405, { message: `${method} is not supported here` });
  } catch (error) {
    if (error instanceof EsmApiError) return sendJson(res, error.status, { Type: 'User', message: error.message }, { 'x-amzn-errortype': error.type });
    if (error instanceof SyntaxError) return sendJson(res, 400, { Type: 'User', message: 'Could not parse request body into json' }, { 'x-amzn-errortype': 'InvalidRequestContentException' });
    throw error;
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts the front on a free loopback port. */
export async function startLambdaFront(options: LambdaFrontOptions): Promise<LambdaFront> {
  const upstream = new URL(options.upstreamUrl);
  const pending = new Set<Promise<void>>();
  const counts: Record<string, number> = {};
  const attempts = options.asyncAttempts ?? 3;
  const retryDelayMs = options.asyncRetryDelayMs ?? 1_000;
  let waiters: (() => void)[] = [];

  const run = async (name: string, payload: unknown): Promise<unknown> => {
    counts[name] = (counts[name] ?? 0) + 1;
    const arn = `arn:aws:lambda:${options.region}:${options.accountId}:function:${name}`;
    return options.functions[name]!(payload, localContext(name, arn));
  };

  const proxy = (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const forward = httpRequest(
      { hostname: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (upstreamRes) => {
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        upstreamRes.pipe(res);
      },
    );
    forward.on('error', (error) => {
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: `moto unreachable: ${error.message}` }));
    });
    forward.end(body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://local');
    const path = url.pathname;
    const esmMatch = ESM_PATH.exec(path);
    if (esmMatch && options.esm) return handleEsm(options.esm, req.method ?? 'GET', decodeURIComponent(esmMatch[1] ?? ''), url, body, res);
    const match = INVOKE_PATH.exec(path);
    const name = match ? functionNameOf(decodeURIComponent(match[1]!)) : undefined;
    if (req.method !== 'POST' || !name || !options.functions[name]) return proxy(req, res, body);

    let payload: unknown;
    try {
      payload = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
    } catch {
      res.writeHead(400, { 'content-type': 'application/json', 'x-amzn-errortype': 'InvalidRequestContentException' });
      res.end(JSON.stringify({ Type: 'User', message: 'Could not parse request body into json' }));
      return;
    }
    const type = String(req.headers['x-amz-invocation-type'] ?? 'RequestResponse');
    const requestId = randomUUID();
    if (type === 'DryRun') {
      res.writeHead(204, { 'x-amzn-requestid': requestId });
      res.end();
      return;
    }
    if (type === 'Event') {
      res.writeHead(202, { 'x-amzn-requestid': requestId });
      res.end();
      const job = (async () => {
        for (let attempt = 1; attempt <= attempts; attempt += 1) {
          try {
            await run(name, payload);
            return;
          } catch (error) {
            options.logger?.warn('asynchronous invocation failed', { function: name, attempt, error });
            if (attempt < attempts) await sleep(retryDelayMs);
          }
        }
      })();
      pending.add(job);
      void job.finally(() => {
        pending.delete(job);
        if (pending.size === 0) {
          const ready = waiters;
          waiters = [];
          for (const resolve of ready) resolve();
        }
      });
      return;
    }
    try {
      const result = await run(name, payload);
      res.writeHead(200, { 'content-type': 'application/json', 'x-amzn-requestid': requestId, 'x-amz-executed-version': '$LATEST' });
      res.end(result === undefined ? 'null' : JSON.stringify(result));
    } catch (error) {
      const err = error instanceof Error ? error : new Error(String(error));
      res.writeHead(200, { 'content-type': 'application/json', 'x-amzn-requestid': requestId, 'x-amz-function-error': 'Unhandled' });
      res.end(JSON.stringify({ errorType: err.name, errorMessage: err.message }));
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      options.logger?.error('lambda front failure', { error });
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    inFlight: () => pending.size,
    idle: () => (pending.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve))),
    invocations: () => ({ ...counts }),
    async stop() {
      await Promise.allSettled([...pending]);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
