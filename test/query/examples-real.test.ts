// #14 every query example of the language reference (lib/query/README.md) returns rows on the shipped
// dumps: linux-dev, linux-dev-rootkit and the Windows triage dump analyzed into one store. An example
// that matches nothing teaches nothing (the old `/lib/libc.so.6` one did not exist on the dumps).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { objectNames } from '../../lib/query';
import { openLocalStore, runQuery, type LocalStore } from '../../lib/engine';
import { addDumpToStore } from '../../lib/store/add';
import { compileRules } from '../../lib/yara/engine';
import { IMAGES, dumpPath, groundTruth, imagesAvailable, describeWithImages } from '../support/dumps';

jest.setTimeout(300_000);
const maybe = describeWithImages;
let dir: string;
let store: LocalStore;

/** indented query lines of the reference; a `where …` line or one after a trailing && / || continues the previous */
function referenceExamples(readme: string): string[] {
  const starts = new RegExp(`^(select |where |!|\\(|(${objectNames().join('|')})\\b)`);
  const out: string[] = [];
  let prevIndented = false;
  for (const raw of readme.split('\n')) {
    const indented = /^ {4}\S/.test(raw);
    const line = raw.trim().replace(/\s+#.*$/, '');
    if (!indented || !starts.test(line)) {
      prevIndented = indented || /^ {8}#/.test(raw) ? prevIndented : false;
      continue;
    }
    const last = out[out.length - 1];
    if (prevIndented && last !== undefined && (/^where /.test(line) || /(&&|\|\|)$/.test(last))) out[out.length - 1] = `${last}\n${line}`;
    else out.push(line);
    prevIndented = true;
  }
  return out;
}

beforeAll(async () => {
  if (!imagesAvailable()) return;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-examples-'));
  await addDumpToStore(dir, await dumpPath('6.1', 'memory.kdump'), { project: 'lab', machine: 'dev', snapshot: 'kdump' });
  // the README's yara examples query rules of these names
  const scanner = await compileRules([
    { name: 'rk.yar', text: 'rule keylog : keylogger { strings: $k = "memqdevkeylog42" condition: $k }\nrule miner_heap { strings: $a = "MEMQ-HEAP:" condition: $a }\n' },
  ]);
  await addDumpToStore(dir, path.join(IMAGES, 'linux-dev-rootkit', 'memory.kdump'), { project: 'lab', machine: 'rootkit', snapshot: 'kdump' }, { yara: { scanner } });
  await addDumpToStore(dir, path.join(IMAGES, 'windows-triage', 'triage_x64.dmp'), { project: 'lab', machine: 'win', snapshot: 'triage' });
  store = openLocalStore(dir);
}, 300_000);
afterAll(() => {
  store?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

maybe('the language reference on the shipped dumps', () => {
  test('every example returns rows', async () => {
    const readme = fs.readFileSync(path.join(__dirname, '../../lib/query/README.md'), 'utf8');
    const examples = referenceExamples(readme);
    expect(examples.length).toBeGreaterThan(30);
    expect(examples).toContain('process.vad_object.file_name == "/usr/lib/x86_64-linux-gnu/libc.so.6" && (process.vad_object.is_executable || process.vad_object.protection == "rw-p")');
    const empty: string[] = [];
    for (const q of examples) {
      const r = await runQuery(store, q, {});
      if (r.rows.length === 0) empty.push(q);
    }
    expect(empty).toEqual([]);
  });

  test('history rows come in time order without an order by; the kernel log in sequence order (#14)', async () => {
    const r = await runQuery(store, 'select history.history_object.command where history.history_object.process_id > 0', { machines: ['dev'] });
    const gt = groundTruth('6.1') as unknown as { shell_history: { entries: { command: string; timestamp: number }[] } };
    const want = [...gt.shell_history.entries].sort((a, b) => a.timestamp - b.timestamp).map((e) => e.command);
    expect(r.rows.map((x) => x.command)).toEqual(want);
    const log = await runQuery(store, 'select kernel_log.log_object.message where kernel_log.log_object.level <= 7 limit 3', { machines: ['dev'] });
    expect(String(log.rows[0].message)).toMatch(/^Linux version 6\.1\.0-56-amd64/);
  });

  test('stacking: count(*) over snapshots finds the rare executable; counts keep same-element semantics (#14)', async () => {
    const stack = await runQuery(store, 'select process.process_object.exe_path, count(*) where process.process_object.exe_path != null group by process.process_object.exe_path order by count asc', {});
    expect(stack.columns.map((c) => c.name)).toEqual(['exe_path', 'count']);
    expect(stack.rows.find((r) => r.exe_path === '/var/tmp/.memq-rk-dev/rkd')).toEqual({ exe_path: '/var/tmp/.memq-rk-dev/rkd', count: 1 });
    const counts = stack.rows.map((r) => r.count as number);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    const plain = await runQuery(store, 'process.process_object.exe_path != null', {});
    expect(counts.reduce((a, b) => a + b, 0)).toBe(plain.rows.length);
    // one region both executable and from /tmp: the count equals the plain query's rows
    const cond = 'process.vad_object.is_executable && process.vad_object.file_name startswith "/tmp/"';
    const n = await runQuery(store, `select count(*) where ${cond}`, {});
    expect(n.rows).toEqual([{ count: (await runQuery(store, cond, {})).rows.length }]);
    const distinct = await runQuery(store, 'select distinct process.process_object.name where process.process_object.name in ["nc", "bash"]', {});
    expect(distinct.rows).toEqual([{ name: 'bash' }, { name: 'nc' }]);
  });

  test('the queries README.md shows inline return rows too (#14)', async () => {
    const md = fs.readFileSync(path.join(__dirname, '../../README.md'), 'utf8');
    const snippets = [...new Set([...md.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]))].filter((x) => /\s/.test(x) && !x.includes('…') && /^(select |[a-z_]+\.[a-z_]+_object\.)/.test(x));
    expect(snippets.length).toBeGreaterThanOrEqual(2);
    for (const q of snippets) expect([q, (await runQuery(store, q, {})).rows.length > 0]).toEqual([q, true]);
  });
});
