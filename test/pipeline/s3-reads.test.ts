// S3 reads as the cloud pipeline does them (lib/image/s3-source.ts under lib/pipeline/s3-dump.ts),
// against s3rver with a fault-injecting proxy in front (test/pipeline/fault-proxy.ts):
//  - transient faults (503 SlowDown, 500, connection reset, body cut short) are retried inside the
//    worker and the bytes are identical to the file;
//  - a persistent transient fault ends in TransientError (name checked) after exactly the configured
//    attempts; a missing key or access denied is a MemqError at once (one request, no retries);
//  - the read-ahead source returns byte-identical data for random and sequential reads of the real
//    dev dump, streams a sequential scan in 8 MiB GETs with several in flight, and does not read
//    ahead for scattered 4 KiB pages.
import * as fs from 'node:fs';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { FileSource } from '../../lib/image/byte-source';
import { S3Source, type S3SourceOptions } from '../../lib/image/s3-source';
import { s3DumpOpener } from '../../lib/pipeline/s3-dump';
import { MemqError, TransientError } from '../../lib/util/errors';
import { credentials, startS3, type LocalS3 } from './local-aws';
import { startFaultProxy, type FaultProxy } from './fault-proxy';
import { IMAGES } from '../support/dumps';
import { prng } from '../image/gen/bytes';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const KDUMP = `${IMAGES}/linux-dev/memory.kdump`;
let s3: LocalS3;
let proxy: FaultProxy;
let file: FileSource;

beforeAll(async () => {
  s3 = await startS3(['dumps']);
  await s3.client.send(new PutObjectCommand({ Bucket: 'dumps', Key: 'dev/memory.kdump', Body: fs.readFileSync(KDUMP) }));
  proxy = await startFaultProxy(s3.endpoint);
  file = new FileSource(KDUMP);
}, 60000);

afterAll(() => {
  file?.close();
  proxy?.stop();
  s3?.stop();
});

// fast backoff so the tests do not sleep; the policy (capped exponential, full jitter) is the same
const fast = { attempts: 5, baseMs: 5, capMs: 40 };
const viaProxy = (o: Partial<S3SourceOptions> = {}): S3SourceOptions => ({
  bucket: 'dumps', key: 'dev/memory.kdump', endpoint: proxy.endpoint, forcePathStyle: true, credentials, region: 'us-east-1', retry: fast, ...o,
});

function expectSame(src: { readInto: FileSource['readInto'] }, off: number, len: number): void {
  const a = Buffer.alloc(len);
  const b = Buffer.alloc(len);
  const na = src.readInto(off, a, 0, len);
  const nb = file.readInto(off, b, 0, len);
  expect([off, na]).toEqual([off, nb]);
  if (!a.equals(b)) throw new Error(`bytes differ at 0x${off.toString(16)} (+${len})`);
}

test('transient faults (503 SlowDown, 500, reset, cut body) are retried in the worker: identical bytes', async () => {
  await proxy.setRules([
    { method: 'HEAD', action: '503', count: 2 },
    { method: 'GET', action: '503', count: 2 },
    { method: 'GET', action: 'reset', count: 2 },
    { method: 'GET', action: '500', count: 1 },
    { method: 'GET', action: 'cut', count: 1 },
    { method: 'GET', action: '503', skip: 3, count: 2 },
    { method: 'GET', action: 'reset', skip: 5, count: 1 },
  ]);
  // up to 6 faults in a row reach one request here (and read-ahead GETs run concurrently): 8 attempts
  const src = new S3Source(viaProxy({ retry: { ...fast, attempts: 8 } }));
  try {
    const rnd = prng(7);
    for (let i = 0; i < 40; i++) expectSame(src, Math.floor(rnd() * file.size), [1, 4096, 65536, 300000][i % 4]);
    // and a sequential pass (read-ahead chunks fetched concurrently, faults among them)
    for (let p = 0; p < file.size; p += 1 << 20) expectSame(src, p, Math.min(1 << 20, file.size - p));
    const log = await proxy.log();
    const faults = log.filter((r) => r.action !== 'pass');
    expect(faults.map((f) => f.action).sort()).toEqual(['500', '503', '503', '503', '503', '503', '503', 'cut', 'reset', 'reset', 'reset'].sort());
    expect(src.stats.retries).toBe(faults.length); // every fault (2 on HEAD, 9 on GETs) cost one retry, none leaked
    expect(src.stats.heads).toBe(3);
  } finally {
    src.close();
  }
});

test('a persistent transient fault ends in TransientError after the configured attempts', async () => {
  await proxy.setRules([{ method: 'GET', action: '503', count: -1 }]);
  const src = new S3Source(viaProxy());
  let err: unknown;
  try {
    src.readInto(4096, Buffer.alloc(4096), 0, 4096);
  } catch (e) {
    err = e;
  } finally {
    src.close();
  }
  expect(err).toBeInstanceOf(TransientError);
  expect(err).not.toBeInstanceOf(MemqError);
  expect((err as Error).name).toBe('TransientError');
  expect((err as TransientError).code).toBe('E_S3_THROTTLED');
  expect((err as Error).message).toMatch(/after 5 attempts — SlowDown \(HTTP 503\)/);
  const gets = (await proxy.log()).filter((r) => r.method === 'GET');
  expect(gets).toHaveLength(5);
  expect(gets.every((g) => g.action === '503')).toBe(true);

  // connection resets forever: TransientError too (network), through the pipeline's opener
  await proxy.setRules([{ method: 'GET', action: 'reset', count: -1 }]);
  const viaOpener = s3DumpOpener({ endpoint: proxy.endpoint, forcePathStyle: true, credentials, region: 'us-east-1', retry: fast })('dumps', 'dev/memory.kdump', file.size);
  try {
    expect(() => viaOpener.readInto(0, Buffer.alloc(16), 0, 16)).toThrow(expect.objectContaining({ name: 'TransientError', code: 'E_NETWORK' }));
  } finally {
    viaOpener.close();
  }
});

test('a missing key and access denied are MemqErrors at once (no retries)', async () => {
  await proxy.setRules([]);
  let err: unknown;
  try {
    new S3Source(viaProxy({ key: 'dev/nope.kdump' }));
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(MemqError);
  expect((err as MemqError).code).toBe('E_S3_NOT_FOUND');
  expect((err as Error).message).toMatch(/s3:\/\/dumps\/dev\/nope.kdump: S3 HEAD failed — /);
  expect((await proxy.log()).filter((r) => r.url.includes('nope'))).toHaveLength(1);

  await proxy.setRules([{ method: 'GET', action: '403', count: -1 }]);
  const src = new S3Source(viaProxy());
  try {
    expect(() => src.readInto(0, Buffer.alloc(8), 0, 8)).toThrow(expect.objectContaining({ name: 'MemqError', code: 'E_S3_ACCESS' }));
  } finally {
    src.close();
  }
  expect((await proxy.log()).filter((r) => r.method === 'GET')).toHaveLength(1);
});

test('read-ahead source: byte-identical to the file for random and sequential reads (real dev dump)', async () => {
  await proxy.setRules([]);
  const direct = { bucket: 'dumps', key: 'dev/memory.kdump', endpoint: s3.endpoint, forcePathStyle: true, credentials, region: 'us-east-1' };
  // sequential: the whole object in 256 KiB reads (what the block cache asks for) → 8 MiB GETs, several in flight
  const seq = new S3Source(direct);
  try {
    for (let p = 0; p < file.size; p += 256 << 10) expectSame(seq, p, Math.min(256 << 10, file.size - p));
    const st = seq.stats;
    const chunks = Math.ceil(file.size / (8 << 20));
    expect(st.gets).toBeLessThanOrEqual(chunks + 2); // the first reads before the stream is recognised, then one GET per chunk
    expect(st.bytes).toBeLessThanOrEqual(file.size + (1 << 20));
    expect(st.maxInFlight).toBeGreaterThan(1);
    expect(st.chunkReads).toBeGreaterThan(st.reads - 4);
  } finally {
    seq.close();
  }
  // random 4 KiB pages (and odd sizes across chunk boundaries): no read-ahead, one GET per read
  const rnd = new S3Source(direct);
  try {
    const r = prng(99);
    const n = 200;
    for (let i = 0; i < n; i++) expectSame(rnd, Math.floor(r() * (file.size - 4096)) & ~0xfff, 4096);
    expect(rnd.stats.gets).toBe(n);
    expect(rnd.stats.bytes).toBe(n * 4096);
    expect(rnd.stats.chunkReads).toBe(0);
    for (const off of [(8 << 20) - 3, (16 << 20) - 4096, file.size - 5]) expectSame(rnd, off, 10000);
  } finally {
    rnd.close();
  }
  // mixed: a scan interleaved with pointer chasing, through the pipeline's opener (block cache on top)
  const mixed = s3DumpOpener({ endpoint: s3.endpoint, forcePathStyle: true, credentials, region: 'us-east-1' })('dumps', 'dev/memory.kdump', file.size);
  try {
    const r = prng(5);
    for (let p = 0, i = 0; p < file.size; p += 100000, i++) {
      expectSame(mixed, p, Math.min(100000, file.size - p));
      if (i % 3 === 0) expectSame(mixed, Math.floor(r() * file.size), 4096);
    }
    // a read larger than the shared transfer buffer is split and reassembled
    expectSame(mixed, 12345, 9 << 20);
  } finally {
    mixed.close();
  }
});
