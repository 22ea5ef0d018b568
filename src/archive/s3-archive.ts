/**
 * The archive as a replay reads it: the keys under a prefix (in S3's order, all pages) and the
 * bytes of one object. S3 errors become ArchiveSourceError sentences at this boundary.
 */
import { GetObjectCommand, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import { DmsEventBusError } from '../errors';

/** What a replay needs from S3 (tests give fakes). */
export interface ArchiveSource {
  listKeys(bucket: string, prefix: string): Promise<string[]>;
  getObject(bucket: string, key: string): Promise<Uint8Array>;
}

/** The archive cannot be read; the message says what to fix. */
export class ArchiveSourceError extends DmsEventBusError {
  override readonly name: string = 'ArchiveSourceError';
}

const nameOf = (error: unknown) => (error as { name?: string; Code?: string } | null)?.name ?? '';

function translate(error: unknown, what: string, bucket: string): ArchiveSourceError {
  const name = nameOf(error);
  const message = error instanceof Error ? error.message : String(error);
  switch (name) {
    case 'NoSuchBucket':
      return new ArchiveSourceError(`S3 bucket ${bucket} does not exist (or is not in this region).`, { cause: error });
    case 'NoSuchKey':
      return new ArchiveSourceError(`${what}: the object is gone (deleted or expired by a lifecycle rule since it was listed).`, { cause: error });
    case 'InvalidObjectState':
      return new ArchiveSourceError(`${what}: the object is in an archive storage class (Glacier); restore it before replaying.`, { cause: error });
    case 'AccessDenied':
    case 'Forbidden':
      return new ArchiveSourceError(`${what}: access denied (${message}).`, { cause: error });
    default:
      return new ArchiveSourceError(`${what}: ${name || 'error'}: ${message}`, { cause: error });
  }
}

export function createS3ArchiveSource(s3: S3Client): ArchiveSource {
  return {
    async listKeys(bucket, prefix) {
      const keys: string[] = [];
      try {
        for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: prefix })) {
          for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
        }
      } catch (error) {
        throw translate(error, `listing s3://${bucket}/${prefix}`, bucket);
      }
      return keys;
    },
    async getObject(bucket, key) {
      try {
        const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        if (!response.Body) throw new ArchiveSourceError(`s3://${bucket}/${key}: empty response body`);
        return await response.Body.transformToByteArray();
      } catch (error) {
        if (error instanceof ArchiveSourceError) throw error;
        throw translate(error, `reading s3://${bucket}/${key}`, bucket);
      }
    },
  };
}
