/**
 * The stand-in's objects on (local) S3: the bucket is created if it is missing, each object
 * is one PutObject, as Firehose writes an object whole.
 *
 * Development tooling only: never bundled into a Lambda function.
 */
import { CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ObjectSink } from './writer';

export async function ensureBucket(s3: S3Client, bucket: string): Promise<void> {
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw error;
  }
}

export function createS3Sink(s3: S3Client, bucket: string): ObjectSink {
  return {
    async put(key, body) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    },
  };
}
