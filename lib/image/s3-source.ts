// A synchronous ByteSource over S3 ranged GETs, so every format parser stays synchronous in the
// cloud pipeline too. The AWS SDK is async; it runs in a worker thread with its own event loop, and
// the caller blocks on Atomics.wait over a SharedArrayBuffer until the worker has copied the bytes in.
//
// Read policy (what the worker fetches for a read of [offset, offset+length)):
//  - Random reads (pointer chasing: page tables, task_structs, scattered 4 KiB user pages) are fetched
//    as exactly the range asked for — the block the BlockCache above asks for (lib/pipeline/s3-dump.ts:
//    256 KiB), one GET, no read-ahead. A stray page costs one round-trip, never 16 MiB of transfer.
//  - Sequential reads are detected per stream: the worker remembers the last few read cursors (up to
//    4 interleaved streams, e.g. a kdump's descriptor table and its page data). A read that starts
//    where a stream ended (or re-reads into its last request) continues it; once a stream has
//    continued SEQUENTIAL_AFTER times in a row it is served from aligned `chunkBytes` chunks (8 MiB by
//    default: the S3 guidance's 8–16 MiB range size), and the worker keeps the next `readAheadChunks`
//    chunks of that stream in flight concurrently while the caller is busy with the current one. So a
//    scan (VMCOREINFO/BTF/kallsyms discovery, a hash shard, a kdump's page data) costs one GET per
//    8 MiB with several in flight, not one round-trip per block.
//  - Bounded: at most `maxInFlight` GETs at once (demand reads jump the queue ahead of read-ahead),
//    and at most `maxBufferedBytes` of chunks held in the worker (least recently used dropped; no
//    read-ahead is started when the budget is full of chunks still in flight).
//
// Failures ("bad dump" vs "try again"):
//  - every GET/HEAD attempt has its own timeout; 5xx, SlowDown/throttling (503, 429), connection
//    reset/refused, socket errors, a body cut short and attempt timeouts are retried inside the worker
//    with capped exponential backoff and full jitter; only when `retry.attempts` are spent does the
//    read throw TransientError (lib/util/errors.ts; name 'TransientError'), which the state machine
//    retries as a whole state;
//  - missing object/bucket (404), access denied (403), an object replaced since the HEAD (412: every
//    GET carries If-Match with the HEAD's ETag) and a range beyond the object (416) are MemqError at
//    once — retrying cannot help;
//  - the caller's wait is bounded too (`timeoutMs`): a worker that does not answer is a TransientError
//    and the source is closed (a late answer must never overwrite shared memory that was reused).
import { Worker } from 'node:worker_threads';
import { BlockCache, type ByteSource } from './byte-source';
import { openPhysical } from './detect';
import type { PhysicalMemory } from './physical';
import { MemqError, TransientError } from '../util/errors';
import './formats';

export interface S3RetryOptions {
  /** attempts per request, first one included (default 6) */
  attempts?: number;
  /** first backoff step in ms (default 100); step n is min(capMs, baseMs·2^n), jittered in [0, step] */
  baseMs?: number;
  /** largest backoff step in ms (default 4000) */
  capMs?: number;
}

export interface S3SourceOptions {
  bucket: string;
  key: string;
  region?: string;
  /** custom endpoint (S3-compatible servers, tests) */
  endpoint?: string;
  forcePathStyle?: boolean;
  /** explicit credentials; default is the SDK's provider chain (env, role, …) */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** longest the caller waits for one answer, retries included (default: enough for every attempt to time out, plus backoff) */
  timeoutMs?: number;
  /** timeout of one HTTP attempt in ms (default 5 s + 1 s per MiB requested) */
  attemptTimeoutMs?: number;
  /** largest answer the worker hands over at once (shared buffer size, default 8 MiB); bigger reads are split */
  maxRequestBytes?: number;
  /** sequential read-ahead unit in bytes (default 8 MiB) */
  chunkBytes?: number;
  /** chunks kept in flight ahead of a sequential reader (default 4; 0 disables read-ahead) */
  readAheadChunks?: number;
  /** concurrent GETs per source (default 8) */
  maxInFlight?: number;
  /** bytes of chunks the worker may hold (default 64 MiB) */
  maxBufferedBytes?: number;
  retry?: S3RetryOptions;
}

/** Counters kept by the worker (shared memory; read them any time). */
export interface S3SourceStats {
  /** HTTP GET attempts (retries included) */
  gets: number;
  /** bytes received in GET bodies */
  bytes: number;
  /** attempts that failed transiently and were retried */
  retries: number;
  /** reads answered (one per call into the worker) */
  reads: number;
  /** reads answered from read-ahead chunks */
  chunkReads: number;
  /** most GETs in flight at once */
  maxInFlight: number;
  /** HEAD attempts */
  heads: number;
}

const STAT_FIELDS: (keyof S3SourceStats)[] = ['gets', 'bytes', 'retries', 'reads', 'chunkReads', 'maxInFlight', 'heads'];

// Worker side (CommonJS, evaluated): serves {op:'head'|'read'} messages, answering through shared memory.
// ctrl[0]: 0 pending, 1 done, 2 error; ctrl[1]: byte count or error-JSON length; ctrl[2]: request seq.
// num[0]: object size; stats: see STAT_FIELDS (same order).
const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const { ctrl: ctrlSab, num: numSab, stats: statsSab, data: dataSab, err: errSab, sdkPath, cfg } = workerData;
const ctrl = new Int32Array(ctrlSab);
const num = new Float64Array(numSab);
const stats = new Float64Array(statsSab);
const data = new Uint8Array(dataSab);
const errBuf = new Uint8Array(errSab);
const S_GETS = 0, S_BYTES = 1, S_RETRIES = 2, S_READS = 3, S_CHUNK = 4, S_MAXFLIGHT = 5, S_HEADS = 6;
const SEQUENTIAL_AFTER = 2;
const MAX_STREAMS = 4;
let sdk, client, fatal, etag, size = 0;
try {
  sdk = require(sdkPath);
  client = new sdk.S3Client({
    region: cfg.region,
    endpoint: cfg.endpoint,
    forcePathStyle: cfg.forcePathStyle,
    credentials: cfg.credentials,
    maxAttempts: 1, // retries are ours: classified and counted in one place
    requestHandler: { connectionTimeout: 5000, httpAgent: { keepAlive: true, maxSockets: cfg.maxInFlight + 2 }, httpsAgent: { keepAlive: true, maxSockets: cfg.maxInFlight + 2 } },
  });
} catch (e) {
  fatal = { transient: false, code: 'E_IO', message: 'cannot load @aws-sdk/client-s3: ' + (e && e.message) };
}

const THROTTLE = new Set(['SlowDown', 'Throttling', 'ThrottlingException', 'TooManyRequests', 'TooManyRequestsException', 'RequestLimitExceeded', 'RequestThrottled', 'RequestThrottledException']);
const SERVER = new Set(['InternalError', 'ServiceUnavailable', 'ServiceUnavailableException', 'RequestTimeout', 'RequestTimeoutException', 'TimeoutError', 'IncompleteBody']);
const NET = new Set(['ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'EAI_AGAIN', 'ERR_STREAM_PREMATURE_CLOSE', 'UND_ERR_SOCKET']);
const NOT_FOUND = new Set(['NoSuchKey', 'NotFound', 'NoSuchBucket', 'NoSuchVersion']);
const DENIED = new Set(['AccessDenied', 'Forbidden', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AllAccessDisabled', 'ExpiredToken', 'InvalidToken']);

/** {transient, code} for an error from one attempt. */
function classify(e) {
  if (e && e.memq) return e.memq;
  const status = (e && e.$metadata && e.$metadata.httpStatusCode) || (e && e.$response && e.$response.statusCode) || 0;
  const name = (e && (e.name || e.Code)) || '';
  const code = (e && (e.code || (e.cause && e.cause.code))) || '';
  const msg = String((e && e.message) || e);
  if (THROTTLE.has(name) || status === 429 || (status === 503 && /slow ?down/i.test(msg + name))) return { transient: true, code: 'E_S3_THROTTLED' };
  // before the names: the SDK reports a reset socket as a 'TimeoutError' named "socket hang up"
  if (!status && (NET.has(code) || /socket hang up|ECONNRESET|ECONNREFUSED|EPIPE|premature close|aborted/i.test(msg))) return { transient: true, code: 'E_NETWORK' };
  if (SERVER.has(name) || status >= 500) return { transient: true, code: name === 'TimeoutError' || name === 'RequestTimeout' ? 'E_TIMEOUT' : 'E_S3_5XX' };
  if (NOT_FOUND.has(name) || status === 404) return { transient: false, code: 'E_S3_NOT_FOUND' };
  if (DENIED.has(name) || status === 403) return { transient: false, code: 'E_S3_ACCESS' };
  if (name === 'PreconditionFailed' || status === 412) return { transient: false, code: 'E_S3_CHANGED' };
  if (name === 'InvalidRange' || status === 416) return { transient: false, code: 'E_TRUNCATED' };
  if (status >= 400) return { transient: false, code: 'E_IO' };
  // no HTTP answer at all and nothing recognisably permanent: the network, most likely
  return { transient: true, code: 'E_NETWORK' };
}

function describe(e) {
  const status = e && e.$metadata && e.$metadata.httpStatusCode;
  return ((e && (e.name || '')) + (status ? ' (HTTP ' + status + ')' : '') + ': ' + ((e && e.message) || String(e))).slice(0, 600);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Runs one attempt of fn under its own timeout (aborting the request). */
async function attempt(fn, timeoutMs) {
  const ac = new AbortController();
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => {
      const e = new Error('no answer within ' + timeoutMs + ' ms');
      e.name = 'TimeoutError';
      e.memq = { transient: true, code: 'E_TIMEOUT' };
      ac.abort();
      reject(e);
    }, timeoutMs);
  });
  try {
    return await Promise.race([fn(ac.signal), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** fn under the retry policy; throws {transient, code, message, attempts} when it gives up. */
async function withRetry(what, fn, timeoutMs) {
  const { attempts, baseMs, capMs } = cfg.retry;
  for (let i = 0; ; i++) {
    try {
      return await attempt(fn, timeoutMs);
    } catch (e) {
      const c = classify(e);
      if (!c.transient || i + 1 >= attempts) {
        throw { transient: c.transient, code: c.code, message: what + ' failed' + (c.transient ? ' after ' + (i + 1) + ' attempts' : '') + ' — ' + describe(e) };
      }
      stats[S_RETRIES]++;
      const step = Math.min(capMs, baseMs * Math.pow(2, i));
      await sleep(Math.random() * step); // full jitter
    }
  }
}

// ---- bounded concurrency: demand GETs are queued ahead of read-ahead
let inFlight = 0;
const waitHi = [], waitLo = [];
function acquire(demand) {
  if (inFlight < cfg.maxInFlight) {
    inFlight++;
    stats[S_MAXFLIGHT] = Math.max(stats[S_MAXFLIGHT], inFlight);
    return Promise.resolve();
  }
  return new Promise((r) => (demand ? waitHi : waitLo).push(r));
}
function release() {
  const next = waitHi.shift() || waitLo.shift();
  if (next) next(); // the slot passes on
  else inFlight--;
}

/** One ranged GET of [start, start+len) with retries; resolves to exactly len bytes (len already clamped to the object). */
async function getRange(start, len, demand) {
  await acquire(demand);
  try {
    const what = 'GET bytes ' + start + '-' + (start + len - 1);
    return await withRetry(what, async (signal) => {
      stats[S_GETS]++;
      const r = await client.send(new sdk.GetObjectCommand({
        Bucket: cfg.bucket, Key: cfg.key, Range: 'bytes=' + start + '-' + (start + len - 1), IfMatch: etag,
      }), { abortSignal: signal });
      const body = await r.Body.transformToByteArray();
      stats[S_BYTES] += body.length;
      if (body.length < len) {
        const e = new Error('body cut short: ' + body.length + ' of ' + len + ' bytes');
        e.memq = { transient: true, code: 'E_NETWORK' };
        throw e;
      }
      return body.length === len ? body : body.subarray(0, len);
    }, cfg.attemptTimeoutMs > 0 ? cfg.attemptTimeoutMs : 5000 + Math.ceil(len / 1048576) * 1000);
  } finally {
    release();
  }
}

// ---- read-ahead chunks: index -> { p: Promise<Uint8Array>, buf, failed }; Map order = LRU
const chunks = new Map();
const maxChunks = Math.max(2, Math.floor(cfg.maxBufferedBytes / cfg.chunkBytes));
function chunkRange(i) {
  const start = i * cfg.chunkBytes;
  return [start, Math.min(cfg.chunkBytes, size - start)];
}
function touch(i) {
  const c = chunks.get(i);
  if (c) { chunks.delete(i); chunks.set(i, c); }
  return c;
}
/** Drops least recently used settled chunks until there is room; false if everything left is in flight or pinned. */
function makeRoom(pinned) {
  while (chunks.size >= maxChunks) {
    let victim = -1;
    for (const [i, c] of chunks) if ((c.buf || c.failed) && !pinned.has(i)) { victim = i; break; }
    if (victim < 0) return false;
    chunks.delete(victim);
  }
  return true;
}
function startChunk(i, demand, pinned) {
  const have = touch(i);
  if (have && !have.failed) return have;
  if (have) chunks.delete(i);
  if (!makeRoom(pinned) && !demand) return null;
  const [start, len] = chunkRange(i);
  const c = { p: null, buf: null, failed: false };
  c.p = getRange(start, len, demand).then((b) => (c.buf = b), (e) => { c.failed = true; throw e; });
  c.p.catch(() => {}); // read-ahead failures surface only if someone asks for that chunk
  chunks.set(i, c);
  return c;
}

// ---- sequential detection: a few read cursors
const streams = []; // { lastStart, next, run }
function followStream(offset, end) {
  let s = streams.find((x) => offset >= x.lastStart && offset <= x.next);
  if (s) {
    streams.splice(streams.indexOf(s), 1);
    s.run++;
  } else {
    s = { lastStart: offset, next: end, run: 0 };
    if (streams.length >= MAX_STREAMS) streams.pop();
  }
  s.lastStart = offset;
  s.next = Math.max(s.next, end);
  streams.unshift(s);
  return s.run >= SEQUENTIAL_AFTER;
}

async function read(offset, length) {
  const end = offset + length;
  const sequential = cfg.readAheadChunks > 0 && followStream(offset, end);
  const first = Math.floor(offset / cfg.chunkBytes);
  const last = Math.floor((end - 1) / cfg.chunkBytes);
  let covered = true;
  for (let i = first; i <= last && covered; i++) { const c = chunks.get(i); covered = !!c && !c.failed; }
  if (!sequential && !covered) {
    const body = await getRange(offset, length, true);
    data.set(body, 0);
    return length;
  }
  stats[S_CHUNK]++;
  const pinned = new Set();
  for (let i = first; i <= last; i++) pinned.add(i);
  const need = [];
  for (let i = first; i <= last; i++) need.push(startChunk(i, true, pinned));
  if (sequential) {
    const lastChunk = Math.floor((size - 1) / cfg.chunkBytes);
    for (let i = last + 1; i <= Math.min(lastChunk, last + cfg.readAheadChunks); i++) {
      if (!startChunk(i, false, pinned)) break;
      pinned.add(i);
    }
  }
  let out = 0;
  for (let k = 0; k < need.length; k++) {
    const i = first + k;
    const buf = await need[k].p;
    const cStart = i * cfg.chunkBytes;
    const from = Math.max(offset, cStart) - cStart;
    const to = Math.min(end, cStart + buf.length) - cStart;
    data.set(buf.subarray(from, to), out);
    out += to - from;
  }
  return out;
}

function answer(seq, state, n) {
  if (Atomics.load(ctrl, 2) !== seq) return; // the caller gave up on this request
  ctrl[1] = n;
  Atomics.store(ctrl, 0, state);
  Atomics.notify(ctrl, 0);
}
function fail(seq, e) {
  const b = Buffer.from(JSON.stringify(e && e.code ? e : { transient: false, code: 'E_IO', message: String((e && e.stack) || e) }).slice(0, 1000));
  errBuf.set(b);
  answer(seq, 2, b.length);
}

parentPort.on('message', async (m) => {
  if (fatal) return fail(m.seq, fatal);
  try {
    if (m.op === 'head') {
      const r = await withRetry('HEAD', async (signal) => {
        stats[S_HEADS]++;
        return client.send(new sdk.HeadObjectCommand({ Bucket: cfg.bucket, Key: cfg.key }), { abortSignal: signal });
      }, cfg.attemptTimeoutMs > 0 ? cfg.attemptTimeoutMs : 5000);
      size = Number(r.ContentLength);
      etag = r.ETag || undefined;
      num[0] = size;
      answer(m.seq, 1, 0);
    } else {
      stats[S_READS]++;
      const n = await read(m.offset, m.length);
      answer(m.seq, 1, n);
    }
  } catch (e) {
    fail(m.seq, e);
  }
});
`;

export class S3Source implements ByteSource {
  readonly size: number;
  readonly name: string;
  private readonly worker: Worker;
  private readonly ctrl: Int32Array;
  private readonly num: Float64Array;
  private readonly statsArr: Float64Array;
  private readonly data: Uint8Array;
  private readonly err: Uint8Array;
  private readonly timeoutMs: number;
  private readonly maxReq: number;
  private seq = 0;
  private closed = false;

  constructor(opts: S3SourceOptions) {
    this.name = `s3://${opts.bucket}/${opts.key}`;
    this.maxReq = opts.maxRequestBytes ?? 8 << 20;
    const chunkBytes = opts.chunkBytes ?? 8 << 20;
    const retry = { attempts: Math.max(1, opts.retry?.attempts ?? 6), baseMs: opts.retry?.baseMs ?? 100, capMs: opts.retry?.capMs ?? 4000 };
    const attemptMs = opts.attemptTimeoutMs ?? 5000 + Math.ceil(Math.max(this.maxReq, chunkBytes) / 2 ** 20) * 1000;
    // every attempt may time out and every backoff be at its cap; a queued read may wait behind read-ahead too
    this.timeoutMs = opts.timeoutMs ?? retry.attempts * (attemptMs + retry.capMs) + 30_000;
    const ctrl = new SharedArrayBuffer(12);
    const num = new SharedArrayBuffer(8);
    const stats = new SharedArrayBuffer(8 * STAT_FIELDS.length);
    const data = new SharedArrayBuffer(this.maxReq);
    const err = new SharedArrayBuffer(1024);
    this.ctrl = new Int32Array(ctrl);
    this.num = new Float64Array(num);
    this.statsArr = new Float64Array(stats);
    this.data = new Uint8Array(data);
    this.err = new Uint8Array(err);
    const cfg = {
      bucket: opts.bucket,
      key: opts.key,
      region: opts.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
      endpoint: opts.endpoint,
      forcePathStyle: opts.forcePathStyle,
      credentials: opts.credentials,
      attemptTimeoutMs: opts.attemptTimeoutMs ?? 0,
      chunkBytes,
      readAheadChunks: Math.max(0, opts.readAheadChunks ?? 4),
      maxInFlight: Math.max(1, opts.maxInFlight ?? 8),
      maxBufferedBytes: opts.maxBufferedBytes ?? 64 << 20,
      retry,
    };
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { ctrl, num, stats, data, err, sdkPath: require.resolve('@aws-sdk/client-s3'), cfg },
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

  /** GET/byte counters of this source (S3 request accounting for benches and tests). */
  get stats(): S3SourceStats {
    const out = {} as S3SourceStats;
    STAT_FIELDS.forEach((f, i) => (out[f] = this.statsArr[i]));
    return out;
  }

  /** Posts a request and blocks until the worker answers; returns the byte count. */
  private call(msg: { op: 'head' } | { op: 'read'; offset: number; length: number }, what: string): number {
    if (this.closed) throw new MemqError(`${this.name}: read after close`, 'E_IO');
    const seq = (this.seq = (this.seq + 1) | 0);
    Atomics.store(this.ctrl, 0, 0);
    Atomics.store(this.ctrl, 2, seq);
    this.worker.postMessage({ ...msg, seq });
    const r = Atomics.wait(this.ctrl, 0, 0, this.timeoutMs);
    if (r === 'timed-out') {
      // the worker may still answer late and overwrite shared memory: never reuse it
      this.close();
      throw new TransientError(`${this.name}: S3 ${what} got no answer within ${this.timeoutMs / 1000} s`, 'E_TIMEOUT');
    }
    if (Atomics.load(this.ctrl, 0) === 2) {
      const text = Buffer.from(this.err.subarray(0, this.ctrl[1])).toString();
      let e: { transient?: boolean; code?: string; message?: string };
      try {
        e = JSON.parse(text);
      } catch {
        e = { transient: false, code: 'E_IO', message: text };
      }
      const message = `${this.name}: S3 ${e.message ?? what + ' failed'}`;
      if (e.transient) throw new TransientError(message, e.code ?? 'E_TRANSIENT');
      throw new MemqError(message, e.code ?? 'E_IO');
    }
    return this.ctrl[1];
  }

  readInto(offset: number, target: Uint8Array, targetOffset: number, length: number): number {
    if (offset >= this.size || length <= 0) return 0;
    const want = Math.min(length, this.size - offset);
    let done = 0;
    while (done < want) {
      const n = Math.min(this.maxReq, want - done);
      const got = this.call({ op: 'read', offset: offset + done, length: n }, `GET bytes ${offset + done}-${offset + done + n - 1}`);
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

/** Block size of the cache over an S3Source: the GET size of a random read (see the header). */
export const S3_BLOCK_BYTES = 256 << 10;

/** Opens an S3 object as physical memory: S3Source → BlockCache (256 KiB blocks) → format detection. */
export function openS3(opts: S3SourceOptions, cacheBytes = 64 << 20): PhysicalMemory {
  return openPhysical(new BlockCache(new S3Source(opts), S3_BLOCK_BYTES, cacheBytes));
}
