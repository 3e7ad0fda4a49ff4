// Playbook loading: YAML + schema errors name the file and field, ATT&CK ids are checked against the
// bundled ATT&CK table (spot-checked here against facts published on attack.mitre.org), duplicate ids
// and queries that do not compile are rejected at load time.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadPlaybooks, parsePlaybook, bundledPlaybookDir, selectPlaybooks } from '../../lib/hunt/loader';
import { technique, tactics, attackRelease } from '../../lib/hunt/attack';
import { groupByTactic, platformsInScope, runHunt } from '../../lib/hunt/runner';
import { compileQuery } from '../../lib/query';

const good = `id: test-playbook
title: A test playbook
description: for tests
attack: [T1055]
severity: high
platform: linux
queries:
  - process.process_object.exe_deleted
`;

describe('ATT&CK table', () => {
  test('known techniques, sub-techniques and tactics (attack.mitre.org)', () => {
    expect(attackRelease).toMatch(/^ATT&CK v\d+/);
    expect(tactics.map((t) => t.id)).toEqual([
      'TA0043', 'TA0042', 'TA0001', 'TA0002', 'TA0003', 'TA0004', 'TA0005', 'TA0006', 'TA0007', 'TA0008', 'TA0009', 'TA0011', 'TA0010', 'TA0040',
    ]);
    const t = technique('T1055.012');
    expect(t.name).toBe('Process Hollowing');
    expect(t.parent).toEqual({ id: 'T1055', name: 'Process Injection' });
    expect(t.tactics.map((x) => x.name).sort()).toEqual(['Defense Evasion', 'Privilege Escalation']);
    expect(technique('T1014').name).toBe('Rootkit');
    expect(technique('T1574.006').name).toBe('Dynamic Linker Hijacking');
    expect(technique('T1003.001').tactics.map((x) => x.id)).toEqual(['TA0006']);
  });

  test('malformed, unknown and revoked ids are refused with a reason', () => {
    expect(() => technique('1055')).toThrow(/malformed/);
    expect(() => technique('T9999')).toThrow(/does not exist/);
    expect(() => technique('T1055.999')).toThrow(/technique T1055 "Process Injection" exists/);
    expect(() => technique('T1086')).toThrow(/revoked/); // PowerShell moved to T1059.001
  });

  test('results group by tactic in matrix order, a technique under each of its tactics', () => {
    const g = groupByTactic([
      { id: 'a', title: 'A', severity: 'low', platform: 'linux', file: '', count: 1, snapshots: [], queries: [], techniques: [{ id: 'T1496.001', name: '', tactics: [] }] },
      { id: 'b', title: 'B', severity: 'high', platform: 'linux', file: '', count: 2, snapshots: [], queries: [], techniques: [{ id: 'T1055', name: '', tactics: [] }] },
    ]);
    expect(g.map((x) => x.shortname)).toEqual(['privilege-escalation', 'defense-evasion', 'impact']);
    expect(g[1].techniques[0]).toEqual({ id: 'T1055', name: 'Process Injection', playbooks: [{ id: 'b', title: 'B', severity: 'high', count: 2 }] });
  });
});

describe('playbook loader', () => {
  test('parses a valid playbook', () => {
    const p = parsePlaybook(good, 'x.yml');
    expect(p.queries).toEqual([{ title: 'query 1', query: 'process.process_object.exe_deleted' }]);
  });

  test.each([
    ['invalid YAML', good.replace('severity: high', 'severity: [high'), /x\.yml:\d+:\d+: invalid YAML/],
    ['unknown field', good + 'sevrity: low\n', /x\.yml: playbook field top level: .*sevrity/],
    ['bad severity', good.replace('severity: high', 'severity: urgent'), /x\.yml: playbook field severity/],
    ['bad platform', good.replace('platform: linux', 'platform: macos'), /x\.yml: playbook field platform/],
    ['no queries', good.replace(/queries:[\s\S]*$/, 'queries: []\n'), /x\.yml: playbook field queries: at least one query/],
    ['unknown technique', good.replace('T1055', 'T1055.777'), /x\.yml: ATT&CK technique T1055\.777 does not exist/],
    ['revoked technique', good.replace('T1055', 'T1086'), /x\.yml: ATT&CK technique T1086 is revoked/],
    ['bad id', good.replace('id: test-playbook', 'id: Test Playbook'), /x\.yml: playbook field id/],
  ])('%s is a one-line error naming the file', (_n, text, re) => {
    expect(() => parsePlaybook(text, 'x.yml')).toThrow(re);
  });

  test('queries are compiled at load time when a checker is given', () => {
    const bad = good.replace('process.process_object.exe_deleted', 'process.process_object.exe_delted');
    expect(() => parsePlaybook(bad, 'x.yml', { checkQuery: (q) => void compileQuery(q, { dialect: 'duckdb' }) })).toThrow(
      /x\.yml: queries\[0\]: .*exe_delted/,
    );
  });

  test('a directory: sorted, recursive, duplicate ids rejected, missing directory explained', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-pb-'));
    try {
      fs.mkdirSync(path.join(dir, 'sub'));
      fs.writeFileSync(path.join(dir, 'b.yml'), good.replace('test-playbook', 'pb-b'));
      fs.writeFileSync(path.join(dir, 'sub', 'a.yaml'), good.replace('test-playbook', 'pb-a'));
      fs.writeFileSync(path.join(dir, 'notes.txt'), 'ignored');
      expect(loadPlaybooks(dir).map((p) => p.id)).toEqual(['pb-b', 'pb-a']);
      fs.writeFileSync(path.join(dir, 'c.yml'), good.replace('test-playbook', 'pb-b'));
      expect(() => loadPlaybooks(dir)).toThrow(/c\.yml: playbook id "pb-b" is already used by .*b\.yml/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expect(() => loadPlaybooks('/nonexistent/playbooks')).toThrow(/does not exist/);
  });

  test('every bundled playbook loads and compiles for DuckDB and Athena', () => {
    const pbs = loadPlaybooks(bundledPlaybookDir, {
      checkQuery: (q) => {
        compileQuery(q, { dialect: 'duckdb' });
        compileQuery(q, { dialect: 'athena' });
      },
    });
    expect(pbs.length).toBeGreaterThanOrEqual(20);
    for (const p of pbs) expect(path.basename(p.file)).toBe(`${p.id}.yml`);
  });
});

describe('platform skipping', () => {
  const snaps = [
    { project: 'p', machine: 'lin', snapshot: 's1', os: 'linux' },
    { project: 'p', machine: 'win', snapshot: 's1', os: 'windows' },
    { project: 'q', machine: 'unknown', snapshot: 's1' },
  ];

  test('platformsInScope: OSes of the snapshots a scope covers; unknown OS counts as both', () => {
    expect([...platformsInScope(snaps, { machines: ['lin'] })]).toEqual(['linux']);
    expect([...platformsInScope(snaps, { projects: ['p'] })].sort()).toEqual(['linux', 'windows']);
    expect([...platformsInScope(snaps, { projects: ['q'] })].sort()).toEqual(['linux', 'windows']);
    expect([...platformsInScope(snaps, { snapshots: ['none'] })]).toEqual([]);
  });

  test('runHunt skips playbooks for an OS not in scope and runs "both" playbooks', async () => {
    const mk = (id: string, platform: 'linux' | 'windows' | 'both') => parsePlaybook(good.replace('test-playbook', id).replace('platform: linux', `platform: ${platform}`), `${id}.yml`);
    const ran: string[] = [];
    const rep = await runHunt(
      async (q) => {
        ran.push(q);
        return { columns: ['project', 'machine', 'snapshot'], rows: [{ project: 'p', machine: 'lin', snapshot: 's1' }] };
      },
      [mk('pb-linux', 'linux'), mk('pb-windows', 'windows'), mk('pb-both', 'both')],
      { platforms: new Set(['linux'] as const) },
    );
    expect(rep.results.map((r) => r.id)).toEqual(['pb-linux', 'pb-both']);
    expect(rep.skipped).toEqual([{ id: 'pb-windows', platform: 'windows' }]);
    expect(ran).toHaveLength(2);
    expect(rep.fired).toBe(2);
    expect(rep.results[0].snapshots).toEqual(['p/lin/s1']);
  });
});

test('selectPlaybooks: by id and minimum severity; unknown ids are a usage error', () => {
  const all = loadPlaybooks();
  expect(selectPlaybooks(all, { only: ['cryptominer', 'hidden-process'] }).map((p) => p.id)).toEqual(['cryptominer', 'hidden-process']);
  const crit = selectPlaybooks(all, { minSeverity: 'critical' });
  expect(crit.length).toBeGreaterThan(0);
  expect(crit.every((p) => p.severity === 'critical')).toBe(true);
  expect(selectPlaybooks(all, { minSeverity: 'high' }).some((p) => p.severity === 'medium')).toBe(false);
  expect(() => selectPlaybooks(all, { only: ['cryptominr'] })).toThrow(/unknown playbook id cryptominr \(known: .*cryptominer/);
});
