// S3Source against a local S3 (s3rver on 127.0.0.1, data in a temp dir): bytes read through S3
// ranged GETs equal the bytes from FileSource at many offsets, and a full format open works over S3,
// using the real linux-dev memory.kdump. s3rver runs in a child process because S3Source blocks the
// calling thread while its worker waits for the server.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { BlockCache, FileSource } from '../../lib/image/byte-source';
import { openPhysical } from '../../lib/image/detect';
import { S3Source, openS3, parseS3Url } from '../../lib/image/s3-source';
import { MemqError, TransientError } from '../../lib/util/errors';
import { dumpPath } from '../support/dumps';
import { prng } from './gen/bytes';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
let server: ChildProcess;
let endpoint: string;
let dir: string;
let kdump: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-s3rver-'));
  const script = `
    const S3rver = require(${JSON.stringify(require.resolve('s3rver'))});
    new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: ${JSON.stringify(dir)} })
      .run().then((a) => console.log(JSON.stringify({ port: a.port })), (e) => { console.error(e); process.exit(1); });`;
  server = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let timer: NodeJS.Timeout | undefined;
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    server.stdout!.on('data', (d) => {
      out += d;
      const m = /\{"port":(\d+)\}/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    server.on('exit', (c) => reject(new Error(`s3rver exited with ${c}`)));
    timer = setTimeout(() => reject(new Error('s3rver did not start in 20 s')), 20000);
  }).finally(() => clearTimeout(timer));
  endpoint = `http://127.0.0.1:${port}`;
  kdump = await dumpPath('6.1', 'memory.kdump');
  // WHEN_REQUIRED: no aws-chunked upload encoding, which s3rver would store verbatim
  const client = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials, requestChecksumCalculation: 'WHEN_REQUIRED' });
  await client.send(new CreateBucketCommand({ Bucket: 'dumps' }));
  await client.send(
    new PutObjectCommand({ Bucket: 'dumps', Key: 'dev/memory.kdump', Body: fs.createReadStream(kdump), ContentLength: fs.statSync(kdump).size }),
  );
  client.destroy();
}, 60000);

afterAll(() => {
  if (server && server.exitCode === null) process.kill(server.pid!);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const s3opts = () => ({ bucket: 'dumps', key: 'dev/memory.kdump', endpoint, forcePathStyle: true, credentials, region: 'us-east-1' });

test('bytes through S3 ranged GETs equal FileSource bytes at many offsets', () => {
  const s3 = new S3Source({ ...s3opts(), maxRequestBytes: 1 << 20 });
  const file = new FileSource(kdump);
  try {
    expect(s3.size).toBe(file.size);
    expect(s3.name).toBe('s3://dumps/dev/memory.kdump');
    const rnd = prng(42);
    const offsets = [0, 1, 4095, 4096, file.size - 1, file.size - 4096, file.size - 10];
    for (let i = 0; i < 60; i++) offsets.push(Math.floor(rnd() * file.size));
    for (const off of offsets) {
      const len = [1, 24, 4096, 100000][offsets.indexOf(off) % 4];
      const a = Buffer.alloc(len);
      const b = Buffer.alloc(len);
      const na = s3.readInto(off, a, 0, len);
      const nb = file.readInto(off, b, 0, len);
      expect([off, na]).toEqual([off, nb]);
      expect(a.equals(b)).toBe(true);
    }
    // a read larger than one request is split and reassembled
    const big = Buffer.alloc(3 * (1 << 20) + 123);
    const bigRef = Buffer.alloc(big.length);
    expect(s3.readInto(777, big, 0, big.length)).toBe(file.readInto(777, bigRef, 0, bigRef.length));
    expect(big.equals(bigRef)).toBe(true);
    expect(s3.readInto(file.size, big, 0, 10)).toBe(0);
  } finally {
    s3.close();
    file.close();
  }
});

test('openPhysical over S3 decodes the kdump like the local file', () => {
  const viaS3 = openS3(s3opts());
  const local = openPhysical(new BlockCache(new FileSource(kdump)));
  try {
    expect(viaS3.format).toBe('kdump');
    expect(viaS3.ranges).toEqual(local.ranges);
    expect(viaS3.info).toEqual(local.info);
    const a = Buffer.alloc(1 << 20);
    const b = Buffer.alloc(1 << 20);
    // every byte of every range (RAM and device blocks), 1 MiB at a time
    let chunks = 0;
    for (const r of viaS3.ranges) {
      for (let p = r.start; p < r.end; p += a.length) {
        const n = Math.min(a.length, r.end - p);
        expect(viaS3.readPhys(p, a, 0, n)).toBe(true);
        expect(local.readPhys(p, b, 0, n)).toBe(true);
        if (!a.subarray(0, n).equals(b.subarray(0, n))) throw new Error(`differs in 1 MiB at 0x${p.toString(16)}`);
        chunks++;
      }
    }
    expect(chunks).toBeGreaterThanOrEqual(144);
  } finally {
    viaS3.close();
    local.close();
  }
});

test('failures: a missing object is a MemqError at once; an unreachable endpoint is a TransientError after retries', () => {
  expect(() => new S3Source({ ...s3opts(), key: 'nope' })).toThrow(/s3:\/\/dumps\/nope: S3 HEAD failed/);
  let err: unknown;
  try {
    new S3Source({ ...s3opts(), endpoint: 'http://127.0.0.1:9', timeoutMs: 15000, retry: { attempts: 3, baseMs: 10, capMs: 50 } });
  } catch (e) {
    err = e;
  }
  // connection refused is "try again" (the state machine retries it), not "bad dump"
  expect(err).toBeInstanceOf(TransientError);
  expect((err as Error).name).toBe('TransientError');
  expect((err as Error).message).toMatch(/S3 HEAD failed after 3 attempts/);
});

test('s3:// URLs parse; other strings are rejected', () => {
  expect(parseS3Url('s3://b/k/x.kdump')).toEqual({ bucket: 'b', key: 'k/x.kdump' });
  expect(() => parseS3Url('/tmp/x')).toThrow(MemqError);
});
