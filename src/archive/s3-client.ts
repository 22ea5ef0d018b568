/**
 * The S3 client of the archive tools (replay, the local stand-in). Not in src/aws/clients.ts:
 * no Lambda function reads the archive. Path-style addressing only when an endpoint is
 * configured (AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL: a local emulator on a loopback address
 * has no bucket subdomains); AWS itself gets virtual-hosted style.
 */
import { S3Client } from '@aws-sdk/client-s3';

export function createS3Client(env: Readonly<Record<string, string | undefined>> = process.env): S3Client {
  return new S3Client({ forcePathStyle: Boolean(env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL) });
}
