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

export async function startMultipart(s3: S3Client, bucket: string, key: string, size: number, expiresIn = 6 * 3600): Promise<MultipartPlan> {
  if (!Number.isSafeInteger(size) || size <= 0) throw new MemqError(`upload size must be a positive integer, got ${size}`, 'E_UPLOAD');
  const partSize = partSizeFor(size);
  const r = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: 'application/octet-stream' }));
  if (!r.UploadId) throw new MemqError('S3 returned no multipart upload id', 'E_UPLOAD');
  const parts: MultipartPlan['parts'] = [];
  for (let i = 0, off = 0; off < size; i++, off += partSize) {
    const length = Math.min(partSize, size - off);
    const url = await getSignedUrl(s3, new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: r.UploadId, PartNumber: i + 1, ContentLength: length }), { expiresIn });
    parts.push({ partNumber: i + 1, url, offset: off, length });
  }
  return { uploadId: r.UploadId, partSize, parts };
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
