// Presigned multipart upload of a dump to s3rver: parts PUT with plain fetch to the presigned URLs,
// completed with their ETags; the object equals the bytes sent. Part sizing stays within S3's limits.
import * as crypto from 'node:crypto';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { startS3, type LocalS3 } from './local-aws';
import { completeMultipart, partSizeFor, startMultipart, MIN_PART, MAX_PARTS } from '../../lib/pipeline/uploads';

let s3: LocalS3;
beforeAll(async () => {
  s3 = await startS3(['dumps']);
}, 60000);
afterAll(() => s3?.stop());

test('part sizes: ≥ 64 MiB (S3 minimum 5 MiB), ≤ 10,000 parts up to 64 GiB and beyond', () => {
  for (const size of [1, 64 * 1024 ** 2 + 1, 64 * 1024 ** 3, 5 * 1024 ** 4]) {
    const p = partSizeFor(size);
    expect(p).toBeGreaterThanOrEqual(MIN_PART);
    expect(p).toBeGreaterThanOrEqual(64 * 1024 ** 2);
    expect(Math.ceil(size / p)).toBeLessThanOrEqual(MAX_PARTS);
  }
});

test('a 130 MiB dump goes up in three presigned parts and arrives intact', async () => {
  const size = 130 * 1024 ** 2;
  const data = crypto.randomBytes(1024 * 1024);
  const body = Buffer.concat(Array.from({ length: 130 }, (_, i) => (i % 2 ? data : data.subarray().reverse())));
  const key = 'dumps/org/prj/mch/snp_1/big.raw';
  const plan = await startMultipart(s3.client, 'dumps', key, size);
  expect(plan.parts.map((p) => p.length)).toEqual([64 * 1024 ** 2, 64 * 1024 ** 2, 2 * 1024 ** 2]);
  const etags = [];
  for (const p of plan.parts) {
    const r = await fetch(p.url, { method: 'PUT', body: body.subarray(p.offset, p.offset + p.length) });
    expect(r.status).toBe(200);
    etags.push({ partNumber: p.partNumber, etag: r.headers.get('etag')! });
  }
  await completeMultipart(s3.client, 'dumps', key, plan.uploadId, etags.reverse());
  const got = Buffer.from(await (await s3.client.send(new GetObjectCommand({ Bucket: 'dumps', Key: key }))).Body!.transformToByteArray());
  expect(got.length).toBe(size);
  expect(crypto.createHash('sha256').update(got).digest('hex')).toBe(crypto.createHash('sha256').update(body).digest('hex'));
}, 120000);
