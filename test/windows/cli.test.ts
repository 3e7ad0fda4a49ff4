// `memq info / ps / threads / modules` through the real CLI (bin/memq.js) on the real x64 triage dump,
// checked against its expected JSON, and a clear one-line error on a truncated copy.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { IMAGES } from '../support/dumps';

const MEMQ = path.resolve(__dirname, '../../bin/memq.js');
const DUMP = path.join(IMAGES, 'windows-triage', 'triage_x64.dmp');
const exp = JSON.parse(fs.readFileSync(path.join(IMAGES, 'windows-triage', 'triage_x64.expected.json'), 'utf8'));

function memq(...args: string[]): { out: string; err: string; code: number | null } {
  const r = spawnSync(process.execPath, [MEMQ, ...args], { encoding: 'utf8', timeout: 120000 });
  return { out: r.stdout, err: r.stderr, code: r.status };
}

test('memq info names the build and how it was identified', () => {
  const r = memq('info', DUMP, '--format', 'json');
  expect(r.code).toBe(0);
  const kv = Object.fromEntries((JSON.parse(r.out) as { key: string; value: unknown }[]).map((x) => [x.key, x.value]));
  expect(kv.format).toBe('windows-triage');
  expect(kv['windows.build']).toBe(exp.identified_build.ntoskrnl);
  expect(String(kv['windows.build_identified_by'])).toContain(exp.identified_build.guid);
  expect(kv['windows.kernel_base']).toBe(exp.kdbg.KernBase);
  expect(kv['windows.dtb']).toBe(exp.dump_header64.DirectoryTableBase);
}, 120000);

test('memq ps / threads / modules', () => {
  const ps = JSON.parse(memq('ps', DUMP, '--format', 'json').out);
  expect(ps.map((p: { process_id: number; name: string; object_address: string }) => [p.process_id, p.name, p.object_address])).toEqual([
    [exp.process.UniqueProcessId, exp.process.ImageFileName, '0x' + BigInt(exp.thread['Tcb.Process']).toString(16).padStart(16, '0')],
  ]);
  const th = JSON.parse(memq('threads', DUMP, '--format', 'json').out);
  expect(th.map((t: { process_id: number; thread_id: number }) => [t.process_id, t.thread_id])).toEqual([[exp.thread['Cid.UniqueProcess'], exp.thread['Cid.UniqueThread']]]);
  const mods = JSON.parse(memq('modules', DUMP, '--format', 'json').out);
  expect(mods.map((m: { path: string; base: string; size: number }) => [m.path, BigInt(m.base), m.size])).toEqual(
    exp.drivers.map((d: { name: string; DllBase: string; SizeOfImage: string }) => [d.name, BigInt(d.DllBase), Number(d.SizeOfImage)]),
  );
}, 120000);

test('a truncated copy fails with one line and exit code 1', () => {
  const tmp = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'memq-wincli-')), 'cut.dmp');
  const fd = fs.openSync(DUMP, 'r');
  const buf = Buffer.alloc(0x10000);
  fs.readSync(fd, buf, 0, buf.length, 0);
  fs.closeSync(fd);
  fs.writeFileSync(tmp, buf);
  const r = memq('ps', tmp);
  expect(r.code).toBe(1);
  expect(r.err.trim().split('\n')).toHaveLength(1);
  expect(r.err).toMatch(/^memq: .*truncated triage dump/);
  fs.rmSync(path.dirname(tmp), { recursive: true, force: true });
}, 120000);
