// The hunting commands end to end through bin/memq.js: output formats and the exit-code contract
// (0 = nothing found, 1 = something fired / found / differs, 2 = could not run).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ParquetWriter } from '../../lib/store/parquet-writer';
import { devRows, gtPid, windowsClean, writeSnapshot } from './fixtures';
import { imagesAvailable, describeWithImages } from '../support/dumps';

const BIN = path.resolve(__dirname, '../../bin/memq.js');
let dir: string;

function memq(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, MEMQ_STORE: dir }, timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const maybe = describeWithImages;

beforeAll(async () => {
  if (!imagesAvailable()) return;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-hunt-cli-'));
  const w = await ParquetWriter.create();
  try {
    await writeSnapshot(dir, { project: 'lab', machine: 'memq-dev', snapshot: 'gt' }, devRows(), w);
    await writeSnapshot(dir, { project: 'lab', machine: 'win10', snapshot: 'clean' }, windowsClean(), w);
  } finally {
    w.close();
  }
});

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

maybe('memq hunt / ioc / diff', () => {
  test('hunt: findings grouped by tactic, exit 1; JSON for pipelines', () => {
    const t = memq('hunt', '--machine', 'memq-dev');
    expect(t.code).toBe(1);
    expect(t.out).toMatch(/^hunt: \d+ playbooks, \d+ queries — \d+ fired in 1 snapshot/);
    expect(t.out).toContain('Defense Evasion (TA0005)');
    expect(t.out).toContain('[high] linux-deleted-executable');
    const j = memq('hunt', '--machine', 'memq-dev', '--format', 'json');
    expect(j.code).toBe(1);
    const rep = JSON.parse(j.out);
    const deleted = rep.results.find((r: { id: string }) => r.id === 'linux-deleted-executable');
    expect(deleted.queries[0].rows.map((r: { process_id: number }) => r.process_id)).toEqual([gtPid('deleted_exe')]);
    expect(rep.by_tactic[0].id).toMatch(/^TA\d{4}$/);
  });

  test('hunt --format markdown|csv: an incident-report document and one finding per line; the table report rolls up per process', () => {
    const md = memq('hunt', '--machine', 'memq-dev', '--format', 'markdown');
    expect(md.code).toBe(1);
    expect(md.out).toMatch(/^# memq hunt report\n\nhunt: \d+ playbooks/);
    expect(md.out).toContain('| lab | memq-dev | gt | high |');
    expect(md.out).toContain(`### lab/memq-dev/gt — pid ${gtPid('deleted_exe')} `);
    expect(md.out).toContain('## Playbooks that fired');
    const csv = memq('hunt', '--machine', 'memq-dev', '--format', 'csv');
    expect(csv.code).toBe(1);
    const lines = csv.out.trimEnd().split('\n');
    expect(lines[0]).toBe('project,machine,snapshot,process_id,process_name,severity,playbook,techniques,evidence,command_line');
    expect(lines.some((l) => l.startsWith(`lab,memq-dev,gt,${gtPid('deleted_exe')},`) && l.includes(',high,linux-deleted-executable,T1070.004,'))).toBe(true);
    const t = memq('hunt', '--machine', 'memq-dev');
    expect(t.out).toContain('\nBy machine\n  lab/memq-dev/gt: [');
    expect(t.out).toContain('\nBy process (process → playbooks → evidence)\n');
    // each process heads one block
    const heads = t.out.split('\n').filter((l) => /^  lab\/memq-dev\/gt  pid \d+ /.test(l)).map((l) => /pid (\d+)/.exec(l)![1]);
    expect(heads.length).toBeGreaterThan(0);
    expect(new Set(heads).size).toBe(heads.length);
  });

  test('hunt: nothing fired on the clean Windows set is exit 0; a bad playbook directory is exit 2', () => {
    const c = memq('hunt', '--machine', 'win10', '--format', 'json');
    expect(c.code).toBe(0);
    expect(JSON.parse(c.out).fired).toBe(0);
    const bad = memq('hunt', '--playbooks', path.join(dir, 'nope'));
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/^memq: playbook path .* does not exist/);
  });

  test('ioc: hits say where they were found; exit 1 found, 0 not found', () => {
    const r = memq('ioc', '10.9.8.7', 'evil-miner', '--format', 'json');
    expect(r.code).toBe(1);
    const res = JSON.parse(r.out);
    expect(res.hits.length).toBeGreaterThan(0);
    for (const h of res.hits) {
      expect(h).toMatchObject({ project: 'lab', machine: 'memq-dev', snapshot: 'gt' });
      expect(typeof h.table).toBe('string');
      expect(typeof h.column).toBe('string');
    }
    const list = path.join(dir, 'iocs.txt');
    fs.writeFileSync(list, '# feed\n203.0.113.99\n\nevil-miner\n');
    const fromFile = memq('ioc', '--file', list, '--format', 'json');
    expect(fromFile.code).toBe(1);
    expect(JSON.parse(fromFile.out).iocs.map((i: { input: string }) => i.input)).toEqual(['203.0.113.99', 'evil-miner']);
    const none = memq('ioc', '203.0.113.99');
    expect(none.code).toBe(0);
    expect(none.out).toMatch(/0 hits/);
    // table: value → snapshot → object, one line per object naming every column that matched (#14)
    const t = memq('ioc', 'evil-miner');
    expect(t.code).toBe(1);
    expect(t.out).toMatch(/^ioc: evil-miner \(process_name\) — (\d+) hits in (\d+) objects/);
    const [, nHits, nObjects] = /— (\d+) hits in (\d+) objects/.exec(t.out)!.map(Number);
    expect(nObjects).toBeLessThan(nHits);
    expect(t.out).toContain('\nevil-miner (process_name)\n  lab/memq-dev/gt\n');
    const objectLines = t.out.split('\n').filter((l) => l.startsWith('    '));
    expect(objectLines.length).toBe(nObjects);
    expect(new Set(objectLines.map((l) => l.split(':')[0])).size).toBe(objectLines.length);
    expect(objectLines.find((l) => l.startsWith(`    process process_id=${gtPid('evil_miner')} `))).toMatch(/: name, argv, command_line, exe_path — /);
    const csv = memq('ioc', 'evil-miner', '--format', 'csv');
    expect(csv.out.split('\n')[0]).toBe('ioc,kind,project,machine,snapshot,table,column,where,value');
  });

  test('diff: exit 1 with differences, table lists appeared/vanished', () => {
    const d = memq('diff', 'gt', 'clean');
    expect(d.code).toBe(1);
    expect(d.out).toMatch(/^diff lab\/memq-dev\/gt → lab\/win10\/clean/);
    expect(d.out).toContain('listener: 3 appeared, 1 vanished'); // Windows 135/445/49664 vs. httpd 8080
    expect(memq('diff', 'gt', 'gt').code).toBe(0);
    const amb = memq('diff', 'gt', 'missing');
    expect(amb.code).toBe(2);
    expect(amb.err).toMatch(/no stored snapshot "missing"/);
  });
});
