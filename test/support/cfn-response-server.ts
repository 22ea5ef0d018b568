/**
 * A stand-in for the presigned S3 URL CloudFormation gives a custom resource: a local HTTP
 * server that accepts PUTs, checks them the way S3 and CloudFormation would (PUT, no
 * content type, JSON body within 4096 bytes) and records each body.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedResponse {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
  bytes: number;
}

export async function startResponseServer(): Promise<{ url(path: string): string; responses: RecordedResponse[]; stop(): Promise<void> }> {
  const responses: RecordedResponse[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        body = { unparsable: raw.toString('utf8') };
      }
      responses.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, bytes: raw.length });
      // S3 refuses a PUT whose headers do not match the signature (the URL is signed without a content type).
      const ok = req.method === 'PUT' && (req.headers['content-type'] ?? '') === '' && raw.length <= 4096;
      res.writeHead(ok ? 200 : 403).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    responses,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
