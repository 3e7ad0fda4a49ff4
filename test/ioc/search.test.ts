// IOC search and snapshot diff over a store of several projects, machines and snapshots built from
// the dev dump's ground truth and hand-made Windows rows (test/hunt/fixtures.ts).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openLocalStore, type LocalStore } from '../../lib/engine';
import { searchIocs, iocTableSql } from '../../lib/ioc/search';
import { diffSnapshots, listSnapshotIds, resolveSnapshot, diffSql } from '../../lib/diff/snapshot-diff';
import { localSqlExecutor } from '../../lib/ioc/local';
import { classifyIoc, combinedPattern } from '../../lib/ioc/classify';
import type { SqlExecutor } from '../../lib/query/statements';
import { ParquetWriter } from '../../lib/store/parquet-writer';
import { devRows, gtPid, linuxTampered, windowsClean, windowsMalicious, writeSnapshot } from '../hunt/fixtures';
import { groundTruth, imagesAvailable, describeWithImages } from '../support/dumps';

const S = {
  dev: { project: 'alpha', machine: 'memq-dev', snapshot: 'gt' },
  devCopy: { project: 'alpha', machine: 'memq-dev', snapshot: 'gt-copy' },
  tampered: { project: 'alpha', machine: 'memq-dev', snapshot: 'tampered' },
  winClean: { project: 'beta', machine: 'win10', snapshot: 'clean' },
  winBad: { project: 'beta', machine: 'win10', snapshot: 'malicious' },
  otherGt: { project: 'beta', machine: 'other', snapshot: 'gt' },
};

let dir: string;
let store: LocalStore;
let exec: SqlExecutor;

const maybe = describeWithImages;

beforeAll(async () => {
  if (!imagesAvailable()) return;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-ioc-'));
  const w = await ParquetWriter.create();
  try {
    await writeSnapshot(dir, S.dev, devRows(), w);
    await writeSnapshot(dir, S.devCopy, devRows(), w);
    await writeSnapshot(dir, S.tampered, linuxTampered().rows, w);
    await writeSnapshot(dir, S.winClean, windowsClean(), w);
    await writeSnapshot(dir, S.winBad, windowsMalicious().rows, w);
    await writeSnapshot(dir, S.otherGt, windowsClean(), w);
  } finally {
    w.close();
  }
  store = openLocalStore(dir);
  exec = localSqlExecutor(store);
});

afterAll(() => {
  store?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const where = (h: { project: string; machine: string; snapshot: string; table: string; column: string; where: Record<string, unknown> }) =>
  `${h.project}/${h.machine}/${h.snapshot} ${h.table}.${h.column} pid=${h.where.process_id ?? '-'}`;

maybe('memq ioc', () => {
  test('an IP is found in command lines, argv and memory indicators of every snapshot that has it', async () => {
    const miner = gtPid('evil_miner');
    const shell = (groundTruth('6.1').shell_history as { pid: number }).pid;
    const r = await searchIocs(exec, ['10.9.8.7']);
    const got = new Set(r.hits.map(where));
    for (const snap of ['alpha/memq-dev/gt', 'alpha/memq-dev/gt-copy', 'alpha/memq-dev/tampered']) {
      for (const w of [`process.command_line pid=${miner}`, `process.argv pid=${miner}`, `indicator.value pid=${miner}`, `indicator.value pid=${shell}`]) {
        expect(got).toContain(`${snap} ${w}`);
      }
    }
    expect(r.hits.every((h) => h.project === 'alpha')).toBe(true);
    expect(r.hits.every((h) => h.where.process_id === miner || h.where.process_id === shell)).toBe(true);
    // the row says which column matched and shows its text
    const cl = r.hits.find((h) => h.table === 'process' && h.column === 'command_line')!;
    expect(cl.value).toBe(groundTruth('6.1').processes.find((p) => p.pid === miner)!.cmdline.join(' '));
  });

  test('near misses of an IP do not match', async () => {
    const r = await searchIocs(exec, ['10.9.8.70', '110.9.8.7', '10.9.8.77']);
    expect(r.hits).toEqual([]);
  });

  test('several IOCs of different kinds in one search, limited to a project', async () => {
    const r = await searchIocs(exec, ['badguy.ru', 'SVCHOST.EXE', 'evil-miner'], { scope: { projects: ['beta'] } });
    expect(r.hits.every((h) => h.project === 'beta')).toBe(true);
    const dom = r.hits.filter((h) => h.ioc === 'badguy.ru').map(where).sort();
    expect(dom).toEqual(['beta/win10/malicious indicator.value pid=2001', 'beta/win10/malicious indicator.value pid=2001']);
    const svc = new Set(r.hits.filter((h) => h.ioc === 'SVCHOST.EXE' && h.table === 'process' && h.column === 'name').map(where));
    expect(svc).toEqual(
      new Set([
        'beta/win10/clean process.name pid=700',
        'beta/win10/malicious process.name pid=700',
        'beta/win10/malicious process.name pid=2004',
        'beta/other/gt process.name pid=700',
      ]),
    );
    expect(r.hits.filter((h) => h.ioc === 'evil-miner')).toEqual([]);
  });

  test('a process name matches the name, exe path, argv and mappings of that process, and the shell history that named it', async () => {
    const miner = gtPid('evil_miner');
    const r = await searchIocs(exec, ['evil-miner'], { scope: { snapshots: ['gt'], machines: ['memq-dev'] } });
    const cols = new Set(r.hits.map((h) => `${h.table}.${h.column}`));
    for (const c of ['process.name', 'process.exe_path', 'process.command_line', 'process.argv', 'vma.file_name']) expect(cols).toContain(c);
    // the shell typed `ps | grep evil-miner` (ground truth shell_history): not in its argv, but in
    // its history — so the miner's rows match, plus exactly that history entry of the shell
    expect(new Set(r.hits.filter((h) => h.table !== 'shell_history').map((h) => h.where.process_id))).toEqual(new Set([miner]));
    const hist = r.hits.filter((h) => h.table === 'shell_history');
    expect(hist.map((h) => [h.where.process_id, h.column, h.value])).toEqual([[gtPid('shell'), 'command', 'ps | grep evil-miner']]);
  });

  test('hashes and paths', async () => {
    const h = await searchIocs(exec, ['E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855']);
    expect(h.hits.map(where)).toEqual(['alpha/memq-dev/tampered env_var.value pid=904']);
    const p = await searchIocs(exec, ['/tmp/.hidden'], { scope: { snapshots: ['gt'], projects: ['alpha'] } });
    const got = new Set(p.hits.map(where));
    // ground truth: the miner's exe and cwd, and the shell's cwd are in /tmp/.hidden
    for (const w of [`process.exe_path pid=${gtPid('evil_miner')}`, `process.cwd pid=${gtPid('evil_miner')}`, `process.cwd pid=${gtPid('shell')}`]) {
      expect(got).toContain(`alpha/memq-dev/gt ${w}`);
    }
  });

  test('empty scope lists find nothing; no values is a usage error', async () => {
    expect((await searchIocs(exec, ['10.9.8.7'], { scope: { projects: [] } })).hits).toEqual([]);
    await expect(searchIocs(exec, [])).rejects.toThrow(/no IOC values/);
  });

  test('a thousand values (searched in batches) find the same hits as one; more is refused', async () => {
    const filler = Array.from({ length: 999 }, (_, i) => (i % 2 ? `host${i}.nowhere.example` : `10.${i >> 8}.${i & 255}.77`));
    const one = await searchIocs(exec, ['10.9.8.7'], { scope: { projects: ['alpha'] } });
    const many = await searchIocs(exec, [...filler.slice(0, 500), '10.9.8.7', ...filler.slice(500)], { scope: { projects: ['alpha'] } });
    expect(many.hits.map(where).sort()).toEqual(one.hits.map(where).sort());
    await expect(searchIocs(exec, [...filler, 'a', 'b'])).rejects.toThrow(/at most 1000/);
  });

  test('the per-table SQL binds the pattern as a parameter for both dialects', () => {
    const pattern = combinedPattern([classifyIoc("o'brien.com")]);
    for (const dialect of ['duckdb', 'athena'] as const) {
      const { sql, params } = iocTableSql('process', pattern, { dialect, scope: { projects: ['p1'] } });
      expect(sql).not.toContain('brien');
      expect(params).toContain(pattern);
      expect(params[0]).toBe('p1');
      expect(sql).toContain(dialect === 'duckdb' ? 'regexp_matches(' : 'regexp_like(');
      expect(sql).toContain(dialect === 'duckdb' ? 'array_to_string(t."argv"' : 'array_join(t."argv"');
    }
  });
});

maybe('memq diff', () => {
  test('identical snapshots have no differences', async () => {
    const d = await diffSnapshots(exec, S.dev, S.devCopy);
    expect(d.entries).toEqual([]);
  });

  test('planted Linux attacks appear; reversed, they vanish', async () => {
    const d = await diffSnapshots(exec, S.dev, S.tampered);
    const pids = d.entries.filter((e) => e.kind === 'process').map((e) => `${e.change}:${e.row.process_id}`).sort();
    // every process the tampered fixture plants (test/hunt/fixtures.ts linuxTampered), each once
    expect(pids).toEqual(['900', '901', '902', '903', '904', '905', '906', '907', '908', '909', '910', '911', '912', '913', '914'].map((p) => `appeared:${p}`));
    expect(d.entries.filter((e) => e.kind === 'module').map((e) => `${e.change}:${e.row.name}`).sort()).toEqual(['appeared:diamorphine', 'appeared:reptile']);
    expect(d.entries.filter((e) => e.kind === 'socket').map((e) => `${e.change}:${e.row.process_id}:${e.row.remote_address}`)).toEqual([
      'appeared:900:203.0.113.5',
    ]);
    expect(d.counts.listener).toEqual({ appeared: 0, vanished: 0 });
    const back = await diffSnapshots(exec, S.tampered, S.dev);
    expect(back.counts.process).toEqual({ appeared: 0, vanished: 15 });
    expect(back.counts.module).toEqual({ appeared: 0, vanished: 2 });
  });

  test('Windows clean → malicious, and a listener that vanished', async () => {
    const d = await diffSnapshots(exec, S.winClean, S.winBad);
    expect(d.entries.filter((e) => e.kind === 'process').map((e) => Number(e.row.process_id)).sort((a, b) => a - b)).toEqual([
      2001, 2002, 2003, 2004, 2005, 2006, 2008, 2009,
    ]);
    expect(d.entries.filter((e) => e.kind === 'module').map((e) => e.row.name)).toEqual(['rootkit.sys']);
    // the dev dump's httpd listener on 8080 is absent from Windows
    const x = await diffSnapshots(exec, S.dev, S.winClean);
    expect(x.entries.filter((e) => e.kind === 'listener' && e.change === 'vanished').map((e) => e.row.local_port)).toEqual([8080]);
  });

  test('snapshot names resolve by suffix and ambiguity is an error', async () => {
    const known = await listSnapshotIds(exec);
    expect(known).toHaveLength(6);
    expect(resolveSnapshot('tampered', known)).toEqual(S.tampered);
    expect(resolveSnapshot('other/gt', known)).toEqual(S.otherGt);
    expect(() => resolveSnapshot('gt', known)).toThrow(/ambiguous: alpha\/memq-dev\/gt, beta\/other\/gt/);
    expect(() => resolveSnapshot('nope', known)).toThrow(/no stored snapshot "nope"/);
    expect(() => resolveSnapshot('a/b/c/d', known)).toThrow(/expected <snapshot>/);
  });

  test('diff SQL binds snapshot names as parameters', () => {
    const { sql, params } = diffSql(
      { kind: 'process', table: 'process', key: ['process_id'], show: ['process_id'] },
      { project: "p'1", machine: 'm', snapshot: 'a' },
      { project: "p'1", machine: 'm', snapshot: 'b' },
    );
    expect(sql).not.toContain("p'1");
    expect(params).toEqual(["p'1", 'm', 'b', "p'1", 'm', 'a', "p'1", 'm', 'a', "p'1", 'm', 'b']);
  });
});
