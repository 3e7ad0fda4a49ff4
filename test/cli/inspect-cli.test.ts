// The memq CLI as a user runs it (a child process through bin/memq.js): JSON output of ps checked
// against ground truth, CSV/JSONL shapes, `analyze` Parquet read back with DuckDB, and one-line errors
// with a non-zero exit on bad input.
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { dumpPath, groundTruth } from '../support/dumps';

jest.setTimeout(180_000);
const BIN = path.resolve(__dirname, '../../bin/memq.js');
const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, MEMQ_PROGRESS: '0' } });

test('memq ps --format json matches ground truth; --pid filters; jsonl and csv have the same rows', async () => {
  const dump = await dumpPath('6.1', 'memory.kdump');
  const gt = groundTruth('6.1');
  const r = run('ps', dump, '--format', 'json');
  expect(r.status).toBe(0);
  const rows = JSON.parse(r.stdout) as { process_id: number; parent_process_id: number; name: string; argv: string[]; object_address: string }[];
  expect(rows.map((p) => [p.process_id, p.parent_process_id, p.name])).toEqual(gt.processes.map((p) => [p.pid, p.ppid, p.task_comm]));
  expect(rows[0].object_address).toMatch(/^0x[0-9a-f]+$/);
  const one = JSON.parse(run('ps', dump, '--format', 'json', '--pid', String(gt.roles.agetty)).stdout);
  expect(one.map((p: { argv: string[] }) => p.argv)).toEqual([gt.processes.find((p) => p.pid === gt.roles.agetty)!.cmdline]);
  const jsonl = run('ps', dump, '--format', 'jsonl').stdout.trim().split('\n').map((l) => JSON.parse(l));
  expect(jsonl).toEqual(rows);
  const csv = run('ps', dump, '--format', 'csv').stdout.trim().split('\n');
  expect(csv.length).toBe(rows.length + 1);
  expect(csv[0].split(',')).toContain('parent_process_id');
});

test('memq analyze writes one ZSTD Parquet per table + manifest, readable by DuckDB with hex addresses', async () => {
  const dump = await dumpPath('6.1', 'memory.raw.gz');
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-analyze-'));
  const r = run('analyze', dump, '--out', out);
  expect(r.status).toBe(0);
  const manifest = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8'));
  // the sha256 of the uncompressed raw image is published in the image README
  expect(manifest.dump.sha256).toBe('be825c519206c68aa3ce134bc39866578755149a0212a5ba986b866bf26b5b9c');
  expect(manifest.os).toBe('linux');
  expect(manifest.counts.process).toBe(groundTruth('6.1').processes.length);
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  const p = (await c.runAndReadAll(`SELECT name, object_address, argv FROM read_parquet('${out}/process.parquet') WHERE process_id = 101`)).getRowObjectsJson();
  expect(p[0].name).toBe('agetty');
  expect(String(p[0].object_address)).toMatch(/^0x[0-9a-f]{16}$/);
  expect(p[0].argv).toEqual(groundTruth('6.1').processes.find((x) => x.pid === 101)!.cmdline);
  const meta = (await c.runAndReadAll(`SELECT DISTINCT compression FROM parquet_metadata('${out}/vma.parquet')`)).getRowObjectsJson();
  expect(meta.map((m) => m.compression)).toEqual(['ZSTD']);
  for (const [t, n] of Object.entries(manifest.counts)) {
    const cnt = (await c.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM read_parquet('${out}/${t}.parquet')`)).getRowObjectsJson();
    expect([t, cnt[0].n]).toEqual([t, n]);
  }
  c.closeSync();
});

test('memq analyze --no-hash: same tables, the manifest says the hash was skipped and records the sampled identity', async () => {
  const dump = await dumpPath('6.1', 'memory.raw.gz');
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-analyze-nohash-'));
  const r = run('analyze', '--no-hash', dump, '--out', out);
  expect(r.status).toBe(0);
  const manifest = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8'));
  expect(manifest.dump.sha256).toBeNull();
  const st = fs.statSync(dump);
  expect(manifest.dump.identity).toEqual({ size: st.size, mtimeMs: st.mtimeMs, blocks: expect.stringMatching(/^[0-9a-f]{64}$/) });
  expect(manifest.counts.process).toBe(groundTruth('6.1').processes.length);
  expect(fs.existsSync(path.join(out, 'process.parquet'))).toBe(true);
});

test('a sparse dump is not hashed by default (said in the manifest and on stderr); --hash hashes it', async () => {
  // the dev raw padded with a hole to 1.5 GiB: 128 MiB allocated
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-sparse-'));
  try {
    const sparse = path.join(dir, 'sparse.raw');
    fs.copyFileSync(await dumpPath('6.1', 'memory.raw.gz'), sparse);
    fs.truncateSync(sparse, 1.5 * 2 ** 30);
    const r = run('analyze', sparse, '--out', path.join(dir, 'a'));
    expect(r.status).toBe(0);
    const m = JSON.parse(fs.readFileSync(path.join(dir, 'a', 'manifest.json'), 'utf8'));
    expect(m.dump.sha256).toBeNull();
    expect(m.dump.hash_skipped).toMatch(/^sparse file \(128 MiB allocated of 1\.5 GiB\).*--hash computes it$/);
    expect(r.stderr).toContain(`warning: dump SHA-256 not computed: ${m.dump.hash_skipped}`);
    expect(m.counts.process).toBe(groundTruth('6.1').processes.length);
    const h = run('analyze', '--hash', sparse, '--out', path.join(dir, 'b'));
    expect(h.status).toBe(0);
    const hashed = JSON.parse(fs.readFileSync(path.join(dir, 'b', 'manifest.json'), 'utf8'));
    const want = crypto.createHash('sha256');
    for await (const chunk of fs.createReadStream(sparse, { highWaterMark: 8 << 20 })) want.update(chunk as Buffer);
    expect(hashed.dump.sha256).toBe(want.digest('hex'));
    expect(hashed.dump.hash_skipped).toBeUndefined();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('bad input: one line naming the problem, exit code 1, no stack trace', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-bad-'));
  const f = path.join(dir, 'notes.txt');
  fs.writeFileSync(f, 'not a dump\n');
  for (const args of [['ps', f], ['info', path.join(dir, 'missing.raw')], ['ps', f, '--pid', 'abc'], ['analyze', path.join(dir, 'missing.raw'), '--out', path.join(dir, 'o')]]) {
    const r = run(...args);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^memq: /);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }
});
