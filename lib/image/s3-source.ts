// A synchronous ByteSource over S3 ranged GETs, so every format parser stays synchronous in the
// cloud pipeline too. The AWS SDK is async; it runs in a worker thread, and the caller blocks on
// Atomics.wait over a SharedArrayBuffer until the worker has copied the bytes in (bounded timeout,
// clear MemqError on failure). Wrap it in a BlockCache like every source (openS3 does, with 1 MiB
// blocks: fewer, larger GETs suit S3's per-request latency).
import { Worker } from 'node:worker_threads';
import { BlockCache, type ByteSource } from './byte-source';
import { openPhysical } from './detect';
import type { PhysicalMemory } from './physical';
import { MemqError } from '../util/errors';
import './formats';

export interface S3SourceOptions {
  bucket: string;
  key: string;
  region?: string;
  /** custom endpoint (S3-compatible servers, tests) */
  endpoint?: string;
  forcePathStyle?: boolean;
  /** explicit credentials; default is the SDK's provider chain (env, role, …) */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** per-request timeout in ms (default 60 s, includes worker start-up on the first request) */
  timeoutMs?: number;
  /** largest single GET in bytes (default 8 MiB); bigger reads are split */
  maxRequestBytes?: number;
}

// Worker side (CommonJS, evaluated): serves {op:'head'|'get'} messages, answering through shared memory.
// ctrl[0]: 0 pending, 1 done, 2 error; ctrl[1]: byte count or error-message length. num[0]: object size.
const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const { ctrl: ctrlSab, num: numSab, data: dataSab, err: errSab, sdkPath, cfg } = workerData;
const ctrl = new Int32Array(ctrlSab);
const num = new Float64Array(numSab);
const data = new Uint8Array(dataSab);
const errBuf = new Uint8Array(errSab);
let sdk, client, fatal;
try {
  sdk = require(sdkPath);
  client = new sdk.S3Client({
    region: cfg.region,
    endpoint: cfg.endpoint,
    forcePathStyle: cfg.forcePathStyle,
    credentials: cfg.credentials,
    maxAttempts: 3,
  });
} catch (e) {
  fatal = 'cannot load @aws-sdk/client-s3: ' + (e && e.message);
}
function fail(msg) {
  const b = Buffer.from(String(msg).slice(0, 900));
  errBuf.set(b);
  ctrl[1] = b.length;
  Atomics.store(ctrl, 0, 2);
  Atomics.notify(ctrl, 0);
}
parentPort.on('message', async (m) => {
  if (fatal) return fail(fatal);
  try {
    if (m.op === 'head') {
      const r = await client.send(new sdk.HeadObjectCommand({ Bucket: cfg.bucket, Key: cfg.key }));
      num[0] = Number(r.ContentLength);
      ctrl[1] = 0;
    } else {
      const r = await client.send(new sdk.GetObjectCommand({
        Bucket: cfg.bucket, Key: cfg.key, Range: 'bytes=' + m.offset + '-' + (m.offset + m.length - 1),
      }));
      const body = await r.Body.transformToByteArray();
      const n = Math.min(body.length, m.length);
      data.set(body.subarray(0, n));
      ctrl[1] = n;
    }
    Atomics.store(ctrl, 0, 1);
    Atomics.notify(ctrl, 0);
  } catch (e) {
    fail((e && (e.name || '') + ': ' + (e.message || '')) || String(e));
  }
});
`;

export class S3Source implements ByteSource {
  readonly size: number;
  readonly name: string;
  private readonly worker: Worker;
  private readonly ctrl: Int32Array;
  private readonly num: Float64Array;
  private readonly data: Uint8Array;
  private readonly err: Uint8Array;
  private readonly timeoutMs: number;
  private readonly maxReq: number;
  private closed = false;

  constructor(opts: S3SourceOptions) {
    this.name = `s3://${opts.bucket}/${opts.key}`;
    this.timeoutMs = opts.timeoutMs ?? 60_000;
    this.maxReq = opts.maxRequestBytes ?? 8 << 20;
    const ctrl = new SharedArrayBuffer(8);
    const num = new SharedArrayBuffer(8);
    const data = new SharedArrayBuffer(this.maxReq);
    const err = new SharedArrayBuffer(1024);
    this.ctrl = new Int32Array(ctrl);
    this.num = new Float64Array(num);
    this.data = new Uint8Array(data);
    this.err = new Uint8Array(err);
    const cfg = {
      bucket: opts.bucket,
      key: opts.key,
      region: opts.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
      endpoint: opts.endpoint,
      forcePathStyle: opts.forcePathStyle,
      credentials: opts.credentials,
    };
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { ctrl, num, data, err, sdkPath: require.resolve('@aws-sdk/client-s3'), cfg },
      // the SDK's "future versions need Node 22" notice would print once per source: keep it to the main thread
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    });
    this.worker.unref(); // never keeps the process alive on its own
    this.call({ op: 'head' }, 'HEAD');
    this.size = this.num[0];
    if (!Number.isSafeInteger(this.size) || this.size < 0) {
      this.close();
      throw new MemqError(`${this.name}: HEAD returned no usable ContentLength`, 'E_IO');
    }
  }

  /** Posts a request and blocks until the worker answers; returns the byte count. */
  private call(msg: { op: 'head' } | { op: 'get'; offset: number; length: number }, what: string): number {
    if (this.closed) throw new MemqError(`${this.name}: read after close`, 'E_IO');
    Atomics.store(this.ctrl, 0, 0);
    this.worker.postMessage(msg);
    const r = Atomics.wait(this.ctrl, 0, 0, this.timeoutMs);
    if (r === 'timed-out') {
      // the worker may still answer late and overwrite shared memory: never reuse it
      this.close();
      throw new MemqError(`${this.name}: S3 ${what} timed out after ${this.timeoutMs / 1000} s`, 'E_IO');
    }
    const state = Atomics.load(this.ctrl, 0);
    if (state === 2) {
      const m = Buffer.from(this.err.subarray(0, this.ctrl[1])).toString();
      throw new MemqError(`${this.name}: S3 ${what} failed — ${m}`, 'E_IO');
    }
    return this.ctrl[1];
  }

  readInto(offset: number, target: Uint8Array, targetOffset: number, length: number): number {
    if (offset >= this.size || length <= 0) return 0;
    const want = Math.min(length, this.size - offset);
    let done = 0;
    while (done < want) {
      const n = Math.min(this.maxReq, want - done);
      const got = this.call({ op: 'get', offset: offset + done, length: n }, `GET bytes ${offset + done}-${offset + done + n - 1}`);
      target.set(this.data.subarray(0, got), targetOffset + done);
      done += got;
      if (got < n) break;
    }
    return done;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    void this.worker.terminate();
  }
}

/** Parses s3://bucket/key. */
export function parseS3Url(url: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(url);
  if (!m) throw new MemqError(`not an S3 URL (expected s3://bucket/key): ${url}`, 'E_USAGE');
  return { bucket: m[1], key: m[2] };
}

/** Opens an S3 object as physical memory: S3Source → BlockCache (1 MiB blocks) → format detection. */
export function openS3(opts: S3SourceOptions, cacheBytes = 64 << 20): PhysicalMemory {
  return openPhysical(new BlockCache(new S3Source(opts), 1 << 20, cacheBytes));
}
