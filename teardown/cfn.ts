/**
 * The CloudFormation custom resource protocol, as the CloudFormation User Guide documents it:
 * - requests: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-requests.html
 *   and the Delete request https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-requesttypes-delete.html
 *   (RequestType, RequestId, ResponseURL, ResourceType, LogicalResourceId, StackId,
 *   PhysicalResourceId on Update/Delete, ResourceProperties);
 * - responses: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-responses.html
 *   (Status SUCCESS|FAILED, Reason required when FAILED, PhysicalResourceId non-empty, up to
 *   1 KB and identical in every response for the resource, StackId/RequestId/LogicalResourceId
 *   copied verbatim, NoEcho, Data; the whole body at most 4096 bytes), uploaded with an HTTP
 *   PUT to the presigned S3 ResponseURL. The URL is signed without a content type, so the
 *   request sends an empty Content-Type (as AWS's own cfn-response module does).
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { MalformedInputError } from '../src/errors';

export const RequestType = { Create: 'Create', Update: 'Update', Delete: 'Delete' } as const;
export type RequestType = (typeof RequestType)[keyof typeof RequestType];

export interface CustomResourceRequest {
  RequestType: RequestType;
  RequestId: string;
  ResponseURL: string;
  ResourceType: string;
  LogicalResourceId: string;
  StackId: string;
  /** Absent on Create. */
  PhysicalResourceId?: string;
  ResourceProperties: Record<string, unknown>;
  OldResourceProperties?: Record<string, unknown>;
  ServiceToken?: string;
}

export interface CustomResourceResponse {
  Status: 'SUCCESS' | 'FAILED';
  Reason?: string;
  PhysicalResourceId: string;
  StackId: string;
  RequestId: string;
  LogicalResourceId: string;
  NoEcho: boolean;
  Data: Record<string, string>;
}

/** The documented response body limit. */
export const MAX_RESPONSE_BYTES = 4096;

const REQUIRED = ['RequestId', 'ResponseURL', 'ResourceType', 'LogicalResourceId', 'StackId'] as const;

/** True when `event` has the shape of a CloudFormation custom resource request (it may still be malformed). */
export function looksLikeCustomResourceRequest(event: unknown): boolean {
  return typeof event === 'object' && event !== null && 'RequestType' in event && 'ResponseURL' in event;
}

/** Validates a request; throws {@link MalformedInputError} naming the first bad field. */
export function parseCustomResourceRequest(event: unknown): CustomResourceRequest {
  if (!looksLikeCustomResourceRequest(event)) throw new MalformedInputError('not a CloudFormation custom resource request (no RequestType/ResponseURL)');
  const e = event as Record<string, unknown>;
  if (!Object.values(RequestType).includes(e.RequestType as RequestType)) throw new MalformedInputError(`RequestType must be Create, Update or Delete, got ${JSON.stringify(e.RequestType)}`);
  for (const field of REQUIRED) {
    if (typeof e[field] !== 'string' || e[field] === '') throw new MalformedInputError(`${field} must be a non-empty string`);
  }
  if (e.RequestType !== RequestType.Create && (typeof e.PhysicalResourceId !== 'string' || e.PhysicalResourceId === '')) {
    throw new MalformedInputError(`PhysicalResourceId must be a non-empty string on ${String(e.RequestType)}`);
  }
  let url: URL;
  try {
    url = new URL(e.ResponseURL as string);
  } catch {
    throw new MalformedInputError('ResponseURL is not a URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new MalformedInputError('ResponseURL must be an http(s) URL');
  const properties = e.ResourceProperties ?? {};
  if (typeof properties !== 'object' || properties === null || Array.isArray(properties)) throw new MalformedInputError('ResourceProperties must be an object');
  return e as unknown as CustomResourceRequest;
}

/** The resource's physical id: the one CloudFormation sent (Update/Delete), else a stable one derived from the stack and logical id. */
export function physicalResourceIdOf(request: Pick<CustomResourceRequest, 'PhysicalResourceId' | 'StackId' | 'LogicalResourceId'>): string {
  return request.PhysicalResourceId ?? `${request.StackId}/${request.LogicalResourceId}`.slice(-1024);
}

/**
 * The response body for `request`, at most {@link MAX_RESPONSE_BYTES}: a long Reason is
 * shortened (ending in "…") rather than making CloudFormation reject the whole response.
 */
export function responseBody(request: CustomResourceRequest, status: 'SUCCESS' | 'FAILED', reason?: string, data: Record<string, string> = {}): string {
  const response: CustomResourceResponse = {
    Status: status,
    ...(reason !== undefined ? { Reason: reason } : status === 'FAILED' ? { Reason: 'failed (no reason given)' } : {}),
    PhysicalResourceId: physicalResourceIdOf(request),
    StackId: request.StackId,
    RequestId: request.RequestId,
    LogicalResourceId: request.LogicalResourceId,
    NoEcho: false,
    Data: data,
  };
  let body = JSON.stringify(response);
  while (Buffer.byteLength(body) > MAX_RESPONSE_BYTES && response.Reason !== undefined && response.Reason.length > 1) {
    const excess = Buffer.byteLength(body) - MAX_RESPONSE_BYTES;
    response.Reason = `${response.Reason.slice(0, Math.max(1, response.Reason.length - excess - 2))}…`;
    body = JSON.stringify(response);
  }
  return body;
}

/** Sends the response: one PUT to the presigned URL; throws if S3 does not answer 2xx. */
export async function sendResponse(responseUrl: string, body: string, timeoutMs = 10_000): Promise<void> {
  const url = new URL(responseUrl);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  await new Promise<void>((resolve, reject) => {
    const req = send(url, { method: 'PUT', headers: { 'content-type': '', 'content-length': Buffer.byteLength(body) }, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => ((res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300 ? resolve() : reject(new Error(`response PUT answered HTTP ${res.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error('response PUT timed out')));
    req.on('error', reject);
    req.end(body);
  });
}
