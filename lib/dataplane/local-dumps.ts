// The local DumpStore (ports.ts) behind `memq serve`: dumps stream to <store>/_uploads, a child process
// runs the same `addDumpToStore` as `memq add` (a hostile dump can crash or stall only that child, which
// is killed after a deadline), one analysis at a time, and deletion removes the snapshot's partition.
// Partition values are platform ids (project/machine/snapshot), unique and path-safe.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { LocalStore, SnapshotRef } from '../store/store';
import { removeSnapshot, removeStaleStaging } from '../store/add';
import { cachedCopyPath } from '../image/open';
import { removeStalePartials } from '../image/decompress';
import { PlatformError } from '../platform/errors';
import type { Snapshot } from '../platform/model';
import type { DumpStore } from './ports';
import { API_PREFIX, type EvidenceExport, type EvidenceRequest, type MultipartUpload, type UploadTarget } from './types';

/** Limits that keep one server healthy on hostile input. */
const LIMITS = {
  maxUploadBytes: 64 * 2 ** 30,
  analysisTimeoutMs: 30 * 60_000,
  exportTimeoutMs: 10 * 60_000,
  /** one export file per response at most (larger ones: `memq dump` on the server) */
  maxExportFileBytes: 256 * 2 ** 20,
};

/** Waits for a write stream to drain; rejects if it fails instead (a full disk must not hang the request). */
function drained(out: fs.WriteStream): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const done = (e?: Error) => {
      out.off('drain', done);
      out.off('error', done);
      if (e) reject(e);
      else resolve();
    };
    out.once('drain', done);
    out.once('error', done);
  });
}

export const refOf = (s: Snapshot): SnapshotRef => ({ project: s.project_id, machine: s.machine_id, snapshot: s.id });

export interface LocalDumpsOptions {
  /** extra environment for the analysis child (tests set MEMQ_CACHE) */
  env?: NodeJS.ProcessEnv;
}

export class LocalDumps implements DumpStore {
  private readonly uploads: string;
  private readonly children = new Set<ChildProcess>();
  /** the running analysis of each snapshot, so deleting the snapshot stops it */
  private readonly running = new Map<string, { child: ChildProcess; closed: Promise<void> }>();
  /** snapshots deleted while their analysis was queued or running: it must not start or report */
  private readonly cancelled = new Set<string>();
  /**
   * Snapshots whose upload is being received or was received by this process: one upload per
   * snapshot wins, any other (concurrent or later) is refused with 409. A failed upload releases it.
   */
  private readonly claimed = new Set<string>();
  private queue: Promise<void> = Promise.resolve();

  constructor(
    readonly store: LocalStore,
    private readonly opts: LocalDumpsOptions = {},
  ) {
    this.uploads = path.join(store.dir, '_uploads');
    fs.mkdirSync(this.uploads, { recursive: true });
  }

  private uploadFile(snap: Snapshot): string {
    return path.join(this.uploads, `${snap.id}.dump`);
  }

  async uploadTarget(snap: Snapshot): Promise<UploadTarget> {
    return { method: 'PUT', url: `${API_PREFIX}/snapshots/${encodeURIComponent(snap.id)}/content`, headers: { 'content-type': 'application/octet-stream' }, via_api: true };
  }

  async receiveUpload(snap: Snapshot, body: AsyncIterable<Uint8Array>, onBytes: (n: number) => void): Promise<number> {
    if (this.claimed.has(snap.id)) throw new PlatformError('conflict', 'another upload to this snapshot is in progress or finished');
    this.claimed.add(snap.id);
    const file = this.uploadFile(snap);
    // one temp file per request: a second writer can never interleave with this one's bytes
    const tmp = `${file}.part-${randomUUID()}`;
    const out = fs.createWriteStream(tmp, { flags: 'wx' });
    let n = 0;
    try {
      for await (const chunk of body) {
        n += chunk.length;
        if (n > LIMITS.maxUploadBytes) throw new PlatformError('too_large', `upload over ${LIMITS.maxUploadBytes} bytes`);
        if (!out.write(chunk)) await drained(out);
        onBytes(n);
      }
      await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
      if (n === 0) throw new PlatformError('invalid', 'the upload was empty');
      fs.renameSync(tmp, file);
    } catch (e) {
      out.destroy();
      fs.rmSync(tmp, { force: true });
      this.claimed.delete(snap.id);
      throw e;
    }
    return n;
  }

  async startAnalysis(snap: Snapshot, report: (patch: Partial<Snapshot>) => Promise<void>): Promise<void> {
    // analyses run one at a time (2 cores); the request returns at once
    this.queue = this.queue.then(() => this.analyze(snap, report)).catch(() => undefined);
  }

  /** where the analysis child decompresses .gz/.xz uploads (fixed here so this process can clean up after it) */
  private cacheDir(): string {
    const env = { ...process.env, ...this.opts.env };
    return env.MEMQ_CACHE || path.join(os.tmpdir(), 'memq-cache');
  }

  private async analyze(snap: Snapshot, report: (patch: Partial<Snapshot>) => Promise<void>): Promise<void> {
    if (this.cancelled.has(snap.id)) return;
    const dump = this.uploadFile(snap);
    const cache = this.cacheDir();
    let copy: string | null = null;
    try {
      copy = cachedCopyPath(dump, { cacheDir: cache });
    } catch {
      /* no upload: the child reports it */
    }
    await report({ status: 'analyzing', stage: 'opening dump', progress: 0.05 });
    // the built CLI (dist/cli) ships the worker as JavaScript beside this code; the sources run it through tsx
    const built = path.join(__dirname, 'analyze-worker.js');
    const worker = fs.existsSync(built) ? [built] : ['--require', require.resolve('tsx/cjs'), path.resolve(__dirname, '../api/analyze-worker.ts')];
    const args = [...worker, this.store.dir, dump, snap.project_id, snap.machine_id, snap.id];
    // the snapshot's YARA rules (≤ 64 KiB, checked at POST /snapshots) go to the child in its environment
    const rules = snap.yara_rules ? { MEMQ_YARA_RULES: snap.yara_rules } : {};
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...this.opts.env, MEMQ_CACHE: cache, MEMQ_PROGRESS: '0', ...rules } });
    this.children.add(child);
    const closed = new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    this.running.set(snap.id, { child, closed: closed.then(() => undefined) });
    let stderr = '';
    let lastReport = 0;
    let manifest: { os?: string; kernel?: string | null; counts?: Record<string, number> } | null = null;
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      if (buf.length > 1 << 20) buf = buf.slice(-4096);
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        try {
          const msg = JSON.parse(line) as { progress?: { stage: string; done: number; total: number }; manifest?: typeof manifest };
          if (msg.manifest) manifest = msg.manifest;
          if (msg.progress && Date.now() - lastReport > 250) {
            lastReport = Date.now();
            const p = msg.progress.total > 0 ? msg.progress.done / msg.progress.total : 0;
            void report({ stage: msg.progress.stage, progress: Math.min(0.99, 0.1 + 0.9 * p) });
          }
        } catch {
          /* not a protocol line */
        }
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), LIMITS.analysisTimeoutMs);
    const code = await closed;
    clearTimeout(timer);
    this.children.delete(child);
    // the decompressed copy of a .gz/.xz upload is not needed once the tables are written, and a
    // child killed mid-decompression (deadline, deletion, SIGKILL) leaves a partial file behind
    if (child.pid !== undefined) removeStalePartials(cache, child.pid);
    if (copy) fs.rmSync(copy, { force: true });
    removeStaleStaging(this.store.dir); // a killed child's unpublished tables (never visible)
    this.running.delete(snap.id);
    if (this.cancelled.has(snap.id)) return; // deleted meanwhile: nothing to report
    if (code === 0 && manifest) {
      const m = manifest as { os?: string; kernel?: string | null; captured_at?: string | null; counts?: Record<string, number> };
      await report({ status: 'ready', progress: 1, stage: 'analyzed', os: m.os ?? null, kernel: m.kernel ?? null, captured_at: m.captured_at ?? null, counts: m.counts ?? {}, error: null });
    } else {
      const lastLine = stderr.trim().split('\n').filter(Boolean).pop() ?? `analysis exited with code ${code}`;
      await report({ status: 'failed', stage: 'analysis failed', error: lastLine.replace(/^memq:\s*/, '').slice(0, 1000) });
    }
  }

  // Dumps reach this server as one stream (no 5 GiB single-PUT limit), so there is no multipart upload.
  private noMultipart(snap: Snapshot): never {
    throw new PlatformError('conflict', `multipart uploads are for cloud storage; here stream the dump with PUT ${API_PREFIX}/snapshots/${snap.id}/content`);
  }
  async createMultipart(snap: Snapshot): Promise<MultipartUpload> {
    this.noMultipart(snap);
  }
  async multipartParts(snap: Snapshot): Promise<MultipartUpload> {
    this.noMultipart(snap);
  }
  async completeMultipart(snap: Snapshot): Promise<void> {
    this.noMultipart(snap);
  }
  async abortMultipart(snap: Snapshot): Promise<void> {
    this.noMultipart(snap);
  }

  async deleteData(snap: Snapshot): Promise<void> {
    // a queued analysis never starts; a running one is stopped (SIGTERM: the child removes its partial
    // output; SIGKILL after a grace period) and awaited, so nothing writes after this returns
    this.cancelled.add(snap.id);
    const run = this.running.get(snap.id);
    if (run) {
      run.child.kill('SIGTERM');
      const grace = setTimeout(() => run.child.kill('SIGKILL'), 5000);
      await run.closed;
      clearTimeout(grace);
      // analyze() cleans the cache after the child; wait for that too
      while (this.running.has(snap.id)) await new Promise((r) => setImmediate(r));
    }
    removeSnapshot(this.store.dir, refOf(snap));
    fs.rmSync(this.uploadFile(snap), { force: true });
    fs.rmSync(this.exportsDir(snap), { recursive: true, force: true });
    this.claimed.delete(snap.id);
  }

  private exportsDir(snap: Snapshot): string {
    return path.join(this.store.dir, '_exports', snap.id);
  }

  /**
   * `memq dump` of the uploaded dump into <store>/_exports/<snapshot>/<export id>/, run as a child
   * process like the analysis (a hostile dump can only crash or stall the child, killed at a deadline).
   */
  async exportEvidence(snap: Snapshot, req: EvidenceRequest): Promise<EvidenceExport> {
    const dump = this.uploadFile(snap);
    if (snap.status !== 'ready' || !fs.existsSync(dump)) throw new PlatformError('conflict', `snapshot is ${snap.status}: exports need an analyzed upload`);
    const id = randomUUID();
    const out = path.join(this.exportsDir(snap), id);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    const args = [path.resolve(__dirname, '../../bin/memq.js'), 'dump', dump, '--out', out];
    if (req.pids.length) args.push('--pid', ...req.pids.map(String));
    if (req.files.length) args.push('--file', ...req.files);
    if (!req.regions) args.push('--no-regions');
    if (!req.images) args.push('--no-images');
    if (req.open_files) args.push('--open-files');
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...this.opts.env, MEMQ_CACHE: this.cacheDir(), MEMQ_PROGRESS: '0' } });
    this.children.add(child);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), LIMITS.exportTimeoutMs);
    const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    clearTimeout(timer);
    this.children.delete(child);
    if (code !== 0) {
      fs.rmSync(out, { recursive: true, force: true });
      const last = (stderr.trim().split('\n').filter((l) => !l.startsWith('warning:')).pop() ?? `export exited with code ${code}`).replace(/^memq:\s*/, '');
      // exit 1: the request cannot be served from this dump (no such pid, path not cached …); else a failure
      throw new PlatformError(code === 1 ? 'invalid' : 'internal', last.slice(0, 1000));
    }
    return { export_id: id, manifest: JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8')) as Record<string, unknown> };
  }

  async exportFile(snap: Snapshot, exportId: string, file: string): Promise<Uint8Array> {
    if (!/^[0-9a-f-]{36}$/.test(exportId)) throw new PlatformError('not_found', 'export not found');
    const dir = path.join(this.exportsDir(snap), exportId);
    let manifest: { items: { path: string }[] };
    try {
      manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    } catch {
      throw new PlatformError('not_found', 'export not found');
    }
    // only what the manifest lists: never a path a request makes up
    if (file !== 'manifest.json' && !manifest.items.some((i) => i.path === file)) throw new PlatformError('not_found', `${file} is not in export ${exportId}`);
    const full = path.join(dir, file);
    if (fs.statSync(full).size > LIMITS.maxExportFileBytes) throw new PlatformError('too_large', `${file} is larger than ${LIMITS.maxExportFileBytes} bytes: export it with memq dump on the server`);
    return fs.readFileSync(full);
  }

  async close(): Promise<void> {
    for (const c of this.children) c.kill('SIGKILL');
    await this.queue;
    this.store.close();
  }
}
