// The UI's pure logic: completion and highlighting derived from the catalog the API serves (checked
// against the model catalog itself), grid sort/filter/export, the process tree's handling of cycles
// and orphans and its folding, the timeline's clock, the ATT&CK matrix (against the bundled MITRE
// table and playbook library), labels, audit sentences and hit counting.
import { catalogView } from '../../lib/api/routes';
import { tables, objects } from '../../lib/model';
import { tactics as attackTactics, technique } from '../../lib/hunt/attack';
import { loadPlaybooks } from '../../lib/dataplane/library';
import { complete, highlight, offsetOf } from '../../web/src/lib/completion';
import { toCsv, toJson, view } from '../../web/src/lib/grid';
import { buildTree, defaultCollapsed, flaggedAncestors, flatten, visibleRows } from '../../web/src/lib/tree';
import { bootTimeMs, buildTimeline, ticks, tickLabel, zoom } from '../../web/src/lib/timeline';
import { TACTICS, buildMatrix, tacticName } from '../../web/src/lib/attack';
import { osLabel, snapshotName } from '../../web/src/lib/labels';
import { auditPairs, auditSentence } from '../../web/src/lib/audit';
import { snapshotSummaries, visibleSummary } from '../../lib/hunt/snapshot-summary';
import type { HuntHit } from '../../web/src/lib/types';

const cat = catalogView() as unknown as Parameters<typeof complete>[0];

test('completion offers objects, then sub-objects, then fields, all from the catalog', () => {
  const objs = complete(cat, 'proc', 4).items.map((i) => i.label);
  expect(objs).toEqual(Object.keys(objects).filter((o) => o.startsWith('proc')));
  const subs = complete(cat, 'process.', 8).items.map((i) => i.label);
  expect(subs).toEqual(Object.keys(objects.process!.subObjects));
  const text = 'process.vad_object.fi';
  const r = complete(cat, text, text.length);
  expect(r.items.map((i) => i.label)).toEqual(Object.keys(tables.vma.columns).filter((c) => c.startsWith('fi')));
  expect(r.from).toBe(0);
  expect(r.items[0]!.insert).toBe('process.vad_object.file_name');
  // mid-query, after an operator
  const q = 'process.process_object.pid == 1 && process.process_object.parent_';
  expect(complete(cat, q, q.length).items.map((i) => i.label)).toEqual(['parent_process_id']);
  expect(complete(cat, 'nosuch.x', 8).items).toEqual([]);
  expect(complete(cat, 'wh', 2, ['where', 'select']).items.map((i) => i.label)).toEqual(['where']);
  expect(offsetOf('ab\ncd\nef', 3, 2)).toBe(7);
});

test('grid: filter is case-insensitive substring per column, sort keeps nulls last, export shows visible columns', () => {
  const rows = [
    [3, 'Bash', null],
    [1, 'agetty', 'x,y'],
    [2, 'bash', 'z'],
  ];
  expect(view(rows, { 1: 'BAS' }, null).map((r) => r[0])).toEqual([3, 2]);
  expect(view(rows, {}, { col: 0, desc: false }).map((r) => r[0])).toEqual([1, 2, 3]);
  expect(view(rows, {}, { col: 2, desc: false }).map((r) => r[0])).toEqual([1, 2, 3]);
  expect(view(rows, {}, { col: 0, desc: true }).map((r) => r[0])).toEqual([3, 2, 1]);
  expect(toCsv(['pid', 'name', 'v'], rows, [0, 2])).toBe('pid,v\n3,\n1,"x,y"\n2,z\n');
  expect(JSON.parse(toJson(['pid', 'name', 'v'], rows.slice(0, 1), [1]))).toEqual([{ name: 'Bash' }]);
  const big = Array.from({ length: 100_000 }, (_x, i) => [i, `p${i % 97}`]);
  const filtered = view(big, { 1: 'p13' }, { col: 0, desc: true });
  expect(filtered.length).toBe(big.filter((r) => String(r[1]).includes('p13')).length);
  expect(filtered.every((r, i) => i === 0 || (r[0] as number) < (filtered[i - 1]![0] as number))).toBe(true);
});

test('process tree: parents before children, cycles and orphans become roots, nothing lost', () => {
  type P = { pid: number; ppid: number };
  const ps: P[] = [
    { pid: 1, ppid: 0 },
    { pid: 10, ppid: 1 },
    { pid: 11, ppid: 10 },
    { pid: 20, ppid: 21 }, // 20 ↔ 21 cycle (hostile dump)
    { pid: 21, ppid: 20 },
    { pid: 30, ppid: 999 }, // orphan
    { pid: 40, ppid: 40 }, // own parent
  ];
  const flat = flatten(buildTree(ps, (p) => p.pid, (p) => p.ppid));
  expect(flat.map((e) => e.node.pid).sort((a, b) => a - b)).toEqual(ps.map((p) => p.pid).sort((a, b) => a - b));
  expect(flat.find((e) => e.node.pid === 11)!.depth).toBe(2);
  expect(flat.filter((e) => e.depth === 0).map((e) => e.node.pid)).toEqual([1, 20, 21, 30, 40]);
});

test('process tree folding: kthreadd folded, branches with a flagged process open and marked', () => {
  type P = { pid: number; ppid: number; k: boolean; f: boolean };
  const ps: P[] = [
    { pid: 1, ppid: 0, k: false, f: false },
    { pid: 2, ppid: 0, k: true, f: false }, // kthreadd
    { pid: 3, ppid: 2, k: true, f: false },
    { pid: 4, ppid: 2, k: true, f: false },
    { pid: 50, ppid: 1, k: false, f: false },
    { pid: 51, ppid: 50, k: false, f: true }, // flagged grandchild of init
    { pid: 60, ppid: 1, k: false, f: false },
    { pid: 61, ppid: 60, k: true, f: false }, // a user process whose only child is a kernel thread…
    { pid: 62, ppid: 61, k: false, f: true }, // …but a flagged process below keeps it open
  ];
  const roots = buildTree(ps, (p) => p.pid, (p) => p.ppid);
  const folded = defaultCollapsed(roots, (p) => p.k, (p) => p.f);
  expect([...folded]).toEqual([2, 61].filter((pid) => pid === 2)); // only kthreadd
  expect([...flaggedAncestors(roots, (p) => p.f)].sort((a, b) => a - b)).toEqual([1, 50, 60, 61]);
  const rows = visibleRows(roots, folded);
  expect(rows.map((r) => r.node.pid)).toEqual([1, 50, 51, 60, 61, 62, 2]);
  const k = rows.find((r) => r.node.pid === 2)!;
  expect(k.collapsed).toBe(true);
  expect(k.descendants).toBe(2);
  expect(visibleRows(roots, new Set()).length).toBe(ps.length);
  expect(visibleRows(roots, new Set([1])).map((r) => r.node.pid)).toEqual([1, 2, 3, 4]);
});

test('timeline: boot time = create_time − start_time_ns, kernel log placed on the wall clock, threads and untimed history', () => {
  const boot = Date.UTC(2026, 10, 25, 16, 53, 51, 140);
  const page = (cols: string[], rows: unknown[][]) => ({ columns: cols.map((name) => ({ name, kind: 'string' })), rows, total: rows.length, offset: 0 });
  const procCols = ['process_id', 'name', 'start_time_ns', 'create_time', 'is_kernel_thread', 'command_line'];
  const at = (ns: number) => new Date(boot + ns / 1e6).toISOString();
  const processes = page(procCols, [
    [1, 'init', 340_000_000, at(340_000_000), false, '/bin/sh /init'],
    [2, 'kthreadd', 340_000_000, at(340_000_000), true, ''],
    [108, 'evil-miner', 4_810_000_000, at(4_810_000_000), false, 'x'],
    [200, 'nostart', null, null, false, ''],
  ]);
  expect(bootTimeMs(processes.rows.map((r) => Object.fromEntries(procCols.map((c, i) => [c, r[i]]))))).toBe(boot);
  const tl = buildTimeline({
    processes,
    kernelLog: page(['timestamp_ns', 'level', 'message'], [[1_500_000, 6, 'can: controller area network core'], [2_000_000_000, 4, 'dummy: loading out-of-tree module taints kernel.']]),
    threads: page(['process_id', 'thread_id', 'name', 'create_time'], [[108, 108, 'evil-miner', at(4_810_000_000)], [108, 109, 'worker', at(5_000_000_000)]]),
    shellHistory: page(['process_id', 'command', 'timestamp'], [[121, 'ls', '2026-11-25T16:54:00.000Z'], [121, 'pwd', null]]),
  });
  expect(tl.bootMs).toBe(boot);
  const byLane = (l: string) => tl.events.filter((e) => e.lane === l);
  expect(byLane('process').map((e) => e.pid)).toEqual([1, 2, 108]);
  expect(byLane('process')[2]!.t).toBe(boot + 4810);
  expect(byLane('thread').map((e) => e.title)).toEqual(['thread 109 of 108 evil-miner']);
  expect(byLane('module').map((e) => e.t)).toEqual([boot + 2000]);
  expect(byLane('kernel')[0]!.t).toBeCloseTo(boot + 1.5, 6);
  expect(byLane('shell').map((e) => e.title)).toEqual(['ls']);
  expect(tl.notes.join()).toMatch(/1 shell-history entries without a timestamp/);
  expect(tl.events.map((e) => e.t)).toEqual([...tl.events.map((e) => e.t)].sort((a, b) => a - b));
  // no wall clock anywhere: kernel-log lines cannot be placed, and the note says so
  const none = buildTimeline({ processes: page(procCols, [[1, 'init', 340_000_000, null, false, '']]), kernelLog: page(['timestamp_ns', 'level', 'message'], [[0, 6, 'x']]) });
  expect(none.bootMs).toBeNull();
  expect(none.events).toEqual([]);
  expect(none.notes[0]).toMatch(/no boot time/);
  // axis and zoom
  const tk = ticks(boot, boot + 20_000, 8);
  expect(tk.step).toBe(5000);
  expect(tk.at.every((t) => t % 5000 === 0 && t >= boot && t <= boot + 20_000)).toBe(true);
  expect(tickLabel(Date.UTC(2026, 10, 25, 16, 54, 5), 5000)).toBe('16:54:05');
  expect(tickLabel(Date.UTC(2026, 10, 25, 16, 54, 5, 250), 50)).toBe('16:54:05.250');
  expect(zoom([0, 100], 0.5, 50, [0, 100])).toEqual([25, 75]);
  expect(zoom([0, 100], 0.5, 0, [0, 100])).toEqual([0, 50]);
  expect(zoom([10, 20], 100, 15, [0, 100])).toEqual([0, 100]);
});

test('ATT&CK matrix: tactics in MITRE matrix order and names, library techniques as cells, hits counted with the highest severity', async () => {
  expect(TACTICS.map((t) => t.shortname)).toEqual(attackTactics.map((t) => t.shortname));
  expect(tacticName('defense-evasion')).toBe('Defense Evasion');
  expect(tacticName('command-and-control')).toBe('Command and Control');
  const library = (await loadPlaybooks()).flatMap((p) => p.techniques);
  const hit = (playbook_id: string, severity: string, techniques: HuntHit['techniques'], rows: unknown[][], snapshot_id = 's1'): HuntHit => ({ playbook_id, title: playbook_id, severity, techniques, snapshot_id, columns: ['process_id'], rows });
  const t = (id: string) => ({ id, name: technique(id).name, tactics: technique(id).tactics.map((x) => x.shortname) });
  const hits = [hit('a', 'medium', [t('T1070.004')], [[111]]), hit('b', 'high', [t('T1070.004')], [[111], [112]], 's2'), hit('c', 'low', [t('T1059.004')], [[121]])];
  const m = buildMatrix(library, hits, true);
  expect(m.map((c) => c.tactic.name)).toEqual(attackTactics.map((t) => t.name));
  const de = m.find((c) => c.tactic.shortname === 'defense-evasion')!;
  const cell = de.cells.find((c) => c.technique.id === 'T1070.004')!;
  expect(cell.technique.name).toBe('Indicator Removal: File Deletion');
  expect(cell.count).toBe(3);
  expect(cell.severity).toBe('high');
  expect(cell.hits.map((h) => h.snapshot_id)).toEqual(['s1', 's2']);
  // every technique of the library appears under each of its tactics; cells sorted by name
  for (const tech of library) for (const ta of tech.tactics) expect(m.find((c) => c.tactic.shortname === ta)!.cells.some((c) => c.technique.id === tech.id)).toBe(true);
  const names = de.cells.map((c) => c.technique.name);
  expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b)));
  // only covered tactics when asked
  const covered = buildMatrix(library, hits, false).map((c) => c.tactic.shortname);
  expect(covered).toEqual(attackTactics.map((x) => x.shortname).filter((s) => library.some((l) => l.tactics.includes(s))));
});

test('highlighting covers the text exactly and classes objects, sub-objects, fields, keywords, strings, numbers, comments', () => {
  const text = 'select count(*) where process.process_object.process_id == 0x10 && process.vad_object.nosuch =~ "a\\"b" # note\nfoo.bar';
  const spans = highlight(cat, text, ['select', 'count', 'where']);
  expect(spans.map((s) => s.text).join('')).toBe(text);
  const cls = (t: string) => spans.find((s) => s.text.trim() === t)?.cls;
  expect(cls('select')).toBe('keyword');
  expect(cls('process')).toBe('object');
  expect(cls('process_object')).toBe('sub');
  expect(cls('process_id')).toBe('field');
  expect(cls('nosuch')).toBe('text');
  expect(cls('0x10')).toBe('number');
  expect(cls('==')).toBe('op');
  expect(spans.find((s) => s.cls === 'string')!.text).toBe('"a\\"b"');
  expect(spans.find((s) => s.cls === 'comment')!.text).toBe('# note');
  expect(highlight(cat, '"unterminated').map((s) => s.cls)).toEqual(['string']);
});

test('labels: OS named once, snapshots by machine and id; audit entries as sentences; hits counted per snapshot', () => {
  expect(osLabel('windows', 'Windows 10 19041')).toBe('Windows 10 19041');
  expect(osLabel('linux', '6.1.0-56-amd64')).toBe('Linux 6.1.0-56-amd64');
  expect(osLabel('linux', null)).toBe('Linux');
  expect(snapshotName({ id: 'snp_0mx9hpdb700011be0545cc23c' }, 'memq-dev')).toBe('memq-dev / 0mx9hpdb70');
  const ev = { id: 'a', at: '2026-12-04T21:22:39.909Z', actor_id: 'u', resource_kind: 'snapshot', resource_id: 'snp_1', project_id: 'p' };
  expect(auditSentence({ ...ev, action: 'snapshot.upload', detail: { dump_name: 'memory.kdump', size: 28770358, machine: 'memq-dev', classification: 'AMBER' } })).toBe('uploaded a snapshot: memory.kdump (27.4 MiB) for machine memq-dev, TLP:AMBER');
  expect(auditSentence({ ...ev, action: 'hunt.run', detail: { snapshots: ['s1'], playbook_ids: ['a', 'b'] } })).toBe('ran a hunt: 2 playbooks over 1 snapshot');
  const share = { ...ev, action: 'share.create', resource_kind: 'snapshot', detail: { target: { kind: 'user', id: 'u2' }, tags: ['x', 'y', 'z', 'w'] } };
  expect(auditSentence(share, (id) => (id === 'snp_1' ? 'memq-dev / 1' : undefined))).toBe('shared memq-dev / 1');
  const pairs = auditPairs(share, (id) => (id === 'u2' ? 'Bob' : undefined));
  expect(pairs).toEqual([
    ['target', 'kind user, id Bob'],
    ['tags', 'x, y, z and 1 more'],
  ]);
  expect(JSON.stringify(pairs)).not.toMatch(/[{}]/);
  const hits: HuntHit[] = [
    { playbook_id: 'a', title: 'a', severity: 'medium', techniques: [], snapshot_id: 's1', columns: ['process_id'], rows: [[1], [2]] },
    { playbook_id: 'a', title: 'a', severity: 'medium', techniques: [], snapshot_id: 's1', columns: ['process_id'], rows: [[2]] }, // second query of a, same row
    { playbook_id: 'b', title: 'b', severity: 'critical', techniques: [], snapshot_id: 's1', columns: ['process_id'], rows: [[2]] },
  ];
  // the server's per-snapshot summary of a hunt (lib/hunt/snapshot-summary.ts, kept for the fleet overview)
  const job = { id: 'hunt_1', owner_id: 'u', snapshot_ids: ['s1', 's2'], started_at: 'S', finished_at: 'T', playbooks_run: 5, errors: 0 };
  const [s1, s2] = snapshotSummaries(job, hits);
  expect(s1).toMatchObject({ snapshot_id: 's1', hunt_id: 'hunt_1', finished_at: 'T', hits: 3, playbooks: 2, severity: 'critical', playbooks_run: 5 });
  expect(s1!.by_playbook).toEqual([
    { playbook_id: 'b', hits: 1, severity: 'critical' },
    { playbook_id: 'a', hits: 2, severity: 'medium' },
  ]);
  expect(s2).toMatchObject({ snapshot_id: 's2', hits: 0, playbooks: 0, severity: null, by_playbook: [] }); // looked at, clean
  // a reader who may not read playbook b sees only a's rows
  expect(visibleSummary(s1!, (id) => id !== 'b')).toMatchObject({ hits: 2, playbooks: 1, severity: 'medium' });
});
