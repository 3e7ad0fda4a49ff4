// The CLI as it ships: `memq` runs the JavaScript bundles bin/build.js makes at install time
// (dist/cli/), not the TypeScript sources. Every run here sets MEMQ_DIST_ONLY=1 (a missing or stale
// build is an error, never a silent fallback) and preloads trace-modules.js into the CLI and its child
// processes (requiring tsx throws; each process lists the files it loaded). Checked: --help loads the
// start-up bundle alone; ps, syscalls (iced-x86's WebAssembly), add + hunt (bundled playbooks), query,
// a Windows ISF .json.xz (xz child process), serve (web/dist) and the serve analyze worker all work
// from dist/ with no .ts file loaded; a build older than its sources is not run.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { dumpPath, groundTruth, IMAGES } from '../support/dumps';

const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'bin', 'memq.js');
const TRACE = path.join(__dirname, 'trace-modules.js');
let tmp: string;

function build(): void {
  // what `npm ci` (prepare) and `npm test` (pretest) run; idempotent and atomic per file
  const b = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'build.js'), '--quiet'], { cwd: ROOT, encoding: 'utf8' });
  if (b.status !== 0) throw new Error(`bin/build.js failed: ${b.stderr}${b.stdout}`);
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-built-'));
  build();
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function env(traceDir: string): NodeJS.ProcessEnv {
  return { ...process.env, MEMQ_PROGRESS: '0', MEMQ_DIST_ONLY: '1', MEMQ_TRACE_DIR: traceDir, NODE_OPTIONS: `--require ${TRACE}` };
}

/** Runs bin/memq.js; returns its output and the files every process of the run loaded. */
function memq(args: string[], bin = BIN, attempt = 0): { code: number | null; out: string; err: string; loaded: string[] } {
  const traceDir = fs.mkdtempSync(path.join(tmp, 'trace-'));
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: env(traceDir), maxBuffer: 64 << 20 });
  // a source edited after beforeAll's build (a working tree others edit): build again, once
  if (bin === BIN && attempt === 0 && r.status === 2 && /built CLI not usable .* changed since the build/.test(r.stderr)) {
    build();
    return memq(args, bin, 1);
  }
  const loaded = fs.readdirSync(traceDir).flatMap((f) => JSON.parse(fs.readFileSync(path.join(traceDir, f), 'utf8')) as string[]);
  return { code: r.status, out: r.stdout, err: r.stderr, loaded: loaded.map((f) => path.relative(ROOT, f)) };
}

/** no TypeScript and nothing from lib/ (the sources): only bin/, dist/cli/ and packages */
function expectBuiltOnly(loaded: string[]) {
  expect(loaded.filter((f) => f.endsWith('.ts') || f.startsWith('lib/') || f.includes('node_modules/tsx/'))).toEqual([]);
}

test('memq --help loads bin/memq.js and the start-up bundle, nothing else', () => {
  const r = memq(['--help']);
  expect(r.code).toBe(0);
  for (const c of ['info', 'ps', 'analyze', 'add', 'query', 'repl', 'hunt', 'ioc', 'diff', 'serve']) expect(r.out).toMatch(new RegExp(`^  ${c}\\b`, 'm'));
  expect(r.loaded.sort()).toEqual(['bin/memq.js', 'dist/cli/memq.js', path.relative(ROOT, TRACE)].sort());
  expect(memq(['--version']).out.trim()).toBe(JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version);
});

test('ps and syscalls on the dev kdump from dist/ (iced-x86 WebAssembly resolves)', async () => {
  const dump = await dumpPath('6.1', 'memory.kdump');
  const ps = memq(['ps', dump, '--format', 'json']);
  expect(ps.code).toBe(0);
  const rows = JSON.parse(ps.out) as { process_id: number; parent_process_id: number; name: string }[];
  expect(rows.map((p) => [p.process_id, p.parent_process_id, p.name])).toEqual(groundTruth('6.1').processes.map((p) => [p.pid, p.ppid, p.task_comm]));
  expectBuiltOnly(ps.loaded);
  expect(ps.loaded).toContain('dist/cli/inspect-run.js');
  const sc = memq(['syscalls', dump, '--format', 'json']);
  expect(sc.code).toBe(0);
  const calls = JSON.parse(sc.out) as { table_name: string; symbol: string | null }[];
  // the x64_sys_call rows come from decoding the dispatcher with iced-x86
  expect(calls.filter((c) => c.table_name === 'x64_sys_call' && c.symbol?.startsWith('__x64_sys_')).length).toBeGreaterThan(100);
  expectBuiltOnly(sc.loaded);
  expect(sc.loaded.some((f) => f.startsWith('node_modules/iced-x86/'))).toBe(true);
});

test('add, query and hunt from dist/ (bundled playbooks found)', async () => {
  const dump = await dumpPath('6.1', 'memory.kdump');
  const store = path.join(tmp, 'store');
  const add = memq(['add', dump, '--project', 'p', '--machine', 'm', '--snapshot', 's', '--store', store]);
  expect(add.err).toBe('');
  expect(add.code).toBe(0);
  expectBuiltOnly(add.loaded);
  const gt = groundTruth('6.1');
  const q = memq(['query', 'process.process_object.parent_process_id == 1 && process.vad_object.file_name == "/usr/sbin/agetty"', '--store', store, '--format', 'json']);
  expect(q.code).toBe(0);
  expect((JSON.parse(q.out) as { process_id: number }[]).map((r) => r.process_id)).toEqual([gt.roles.agetty]);
  expectBuiltOnly(q.loaded);
  const h = memq(['hunt', '--store', store, '--format', 'json']);
  expect(h.err).toBe('');
  expect(h.code).toBe(1); // something fired
  const rep = JSON.parse(h.out) as { playbooks_run: number; skipped: unknown[]; results: { id: string; count: number }[] };
  expect(rep.playbooks_run + rep.skipped.length).toBe(fs.readdirSync(path.join(ROOT, 'playbooks'), { recursive: true }).filter((f) => /\.ya?ml$/.test(String(f))).length);
  expect(rep.results.find((r) => r.id === 'linux-deleted-executable')!.count).toBeGreaterThan(0);
  expectBuiltOnly(h.loaded);
});

test('a Windows ISF .json.xz is decoded by the xz child process of the built CLI', () => {
  const isfDir = path.join(IMAGES, 'windows-triage', 'isf');
  const isf = path.join(isfDir, fs.readdirSync(isfDir).find((f) => f.endsWith('.json.xz'))!);
  const r = memq(['info', path.join(IMAGES, 'windows-triage', 'triage_x64.dmp'), '--isf', isf, '--format', 'json']);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  const kv = Object.fromEntries((JSON.parse(r.out) as { key: string; value: unknown }[]).map((x) => [x.key, x.value]));
  expect(kv.format).toBe('windows-triage');
  expectBuiltOnly(r.loaded);
});

test('the serve analyze worker ships as dist/cli/analyze-worker.js and runs without tsx', async () => {
  const dump = await dumpPath('6.1', 'memory.kdump');
  const traceDir = fs.mkdtempSync(path.join(tmp, 'trace-'));
  const w = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'cli', 'analyze-worker.js'), path.join(tmp, 'wstore'), dump, 'p', 'm', 's'], { encoding: 'utf8', env: env(traceDir) });
  expect(w.stderr).toBe('');
  expect(w.status).toBe(0);
  const manifest = w.stdout.trim().split('\n').map((l) => JSON.parse(l) as { manifest?: { os: string; counts: Record<string, number> } }).find((m) => m.manifest)!.manifest!;
  expect(manifest.os).toBe('linux');
  expect(manifest.counts.process).toBe(groundTruth('6.1').processes.length);
});

/** Starts `memq serve` from dist/; resolves with its URL, or rejects with its stderr if it exits first. */
function startServe(traceDir: string): { child: ChildProcess; url: Promise<string>; err: () => string } {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--store', path.join(tmp, 'serve-store')], { env: env(traceDir), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const url = new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /memq serve: (http:\/\/\S+?)\/ /.exec(out);
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`memq serve exited ${code}: ${err}`)));
  });
  return { child, url, err: () => err };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

test('memq serve from dist/ serves the web UI from web/dist', async () => {
  const traceDir = fs.mkdtempSync(path.join(tmp, 'trace-'));
  let s = startServe(traceDir);
  try {
    let url: string;
    try {
      url = await s.url;
    } catch (e) {
      // a source edited after beforeAll's build (a working tree others edit): build again, once
      if (!/built CLI not usable .* changed since the build/.test(s.err())) throw e;
      build();
      s = startServe(traceDir);
      url = await s.url;
    }
    const res = await fetch(url + '/');
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<div id="root">');
    expect(s.err()).not.toMatch(/serving the API only/);
  } finally {
    await stop(s.child);
  }
  const loaded = fs.readdirSync(traceDir).flatMap((f) => JSON.parse(fs.readFileSync(path.join(traceDir, f), 'utf8')) as string[]).map((f) => path.relative(ROOT, f));
  expectBuiltOnly(loaded);
}, 300_000);

test('a build older than its sources is never run: an error under MEMQ_DIST_ONLY, else the sources run', () => {
  // a copy of the install whose dist/cli/build.json says a source changed after the build
  const inst = path.join(tmp, 'install');
  fs.mkdirSync(path.join(inst, 'dist', 'cli'), { recursive: true });
  fs.mkdirSync(path.join(inst, 'bin'));
  fs.copyFileSync(BIN, path.join(inst, 'bin', 'memq.js'));
  fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(inst, 'package.json'));
  for (const d of ['lib', 'node_modules']) fs.symlinkSync(path.join(ROOT, d), path.join(inst, d));
  fs.copyFileSync(path.join(ROOT, 'dist', 'cli', 'memq.js'), path.join(inst, 'dist', 'cli', 'memq.js'));
  const info = JSON.parse(fs.readFileSync(path.join(ROOT, 'dist', 'cli', 'build.json'), 'utf8')) as { bundles: Record<string, [string, number, number][]> };
  const main = info.bundles['memq.js']!;
  const first = main.find(([f]) => f.startsWith('lib/cli/'))!;
  info.bundles['memq.js'] = main.map((e) => (e === first ? [e[0], e[1], e[2] - 1000] : e));
  fs.writeFileSync(path.join(inst, 'dist', 'cli', 'build.json'), JSON.stringify(info));
  const bin = path.join(inst, 'bin', 'memq.js');
  const strict = memq(['--help'], bin);
  expect(strict.code).toBe(2);
  expect(strict.err).toBe(`memq: built CLI not usable for main (${first[0]} changed since the build); run \`npm run build\`\n`);
  // without MEMQ_DIST_ONLY (and without the tsx guard) the sources run
  const r = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8', env: { ...process.env, MEMQ_DIST_ONLY: '' } });
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^  ps\b/m);
});
