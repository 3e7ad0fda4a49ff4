// Presigned multipart uploads of large dumps straight to the dumps bucket (a single presigned PUT is
// limited to 5 GiB): create the upload, presign each part (≤ 10,000 parts of ≥ 5 MiB), complete with
// the parts' ETags, or abort. The API's upload routes can hand these URLs to browsers and the CLI; the
// object lands at the same key as a single PUT, so the S3 event starts the same pipeline.
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { MemqError } from '../util/errors';

export const MIN_PART = 5 * 1024 ** 2;
export const MAX_PARTS = 10_000;

/** Part size for a dump of `size` bytes: ≥ 64 MiB, grown so the upload fits in 10,000 parts. */
export function partSizeFor(size: number): number {
  const p = Math.max(64 * 1024 ** 2, Math.ceil(size / MAX_PARTS / MIN_PART) * MIN_PART);
  if (Math.ceil(size / p) > MAX_PARTS) throw new MemqError(`dump of ${size} bytes is too large for one multipart upload`, 'E_UPLOAD');
  return p;
}

export interface MultipartPlan {
  uploadId: string;
  partSize: number;
  parts: { partNumber: number; url: string; offset: number; length: number }[];
}

/** Creates the multipart upload (no URLs yet): its id and the part size for a dump of `size` bytes. */
export async function createMultipartUpload(s3: S3Client, bucket: string, key: string, size: number): Promise<{ uploadId: string; partSize: number; partCount: number }> {
  if (!Number.isSafeInteger(size) || size <= 0) throw new MemqError(`upload size must be a positive integer, got ${size}`, 'E_UPLOAD');
  const partSize = partSizeFor(size);
  const r = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: 'application/octet-stream' }));
  if (!r.UploadId) throw new MemqError('S3 returned no multipart upload id', 'E_UPLOAD');
  return { uploadId: r.UploadId, partSize, partCount: Math.ceil(size / partSize) };
}

/**
 * Presigned PUT URLs for parts first…first+count-1 (clamped to the dump's parts): a 64 GiB dump has
 * ~1,000 parts and a 10,000-part answer would not fit an API Gateway response, so clients ask in ranges.
 */
export async function presignParts(
  s3: S3Client, bucket: string, key: string, uploadId: string, size: number, first: number, count: number, expiresIn = 6 * 3600,
): Promise<MultipartPlan['parts']> {
  const partSize = partSizeFor(size);
  const total = Math.ceil(size / partSize);
  if (!Number.isSafeInteger(first) || first < 1 || first > total) throw new MemqError(`part ${first} is outside 1…${total} for a dump of ${size} bytes`, 'E_UPLOAD');
  const parts: MultipartPlan['parts'] = [];
  for (let n = first; n < first + Math.max(0, Math.min(count, MAX_PARTS)) && n <= total; n++) {
    const offset = (n - 1) * partSize;
    const length = Math.min(partSize, size - offset);
    const url = await getSignedUrl(s3, new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: n, ContentLength: length }), { expiresIn });
    parts.push({ partNumber: n, url, offset, length });
  }
  return parts;
}

export async function startMultipart(s3: S3Client, bucket: string, key: string, size: number, expiresIn = 6 * 3600): Promise<MultipartPlan> {
  const { uploadId, partSize, partCount } = await createMultipartUpload(s3, bucket, key, size);
  return { uploadId, partSize, parts: await presignParts(s3, bucket, key, uploadId, size, 1, partCount, expiresIn) };
}

export async function completeMultipart(s3: S3Client, bucket: string, key: string, uploadId: string, etags: { partNumber: number; etag: string }[]): Promise<void> {
  const sorted = [...etags].sort((a, b) => a.partNumber - b.partNumber);
  await s3.send(
    new CompleteMultipartUploadCommand({
      Bucket: bucket,
      Key: key,
      UploadId: uploadId,
      MultipartUpload: { Parts: sorted.map((p) => ({ PartNumber: p.partNumber, ETag: p.etag })) },
    }),
  );
}

export async function abortMultipart(s3: S3Client, bucket: string, key: string, uploadId: string): Promise<void> {
  await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));
}
