// The process page's building blocks without a server: sections derived from the catalog per OS, the
// memory-region flags, a hunt's hits narrowed to one process, the parent chain bounded on hostile
// (looping or very deep) parent links, and the HTML report escaping what a dump holds.
import { tables, objects } from '../../lib/model';
import { flaggedRegions, hitsOnProcess, processSections, processView, type Browse } from '../../lib/dataplane/process-view';
import { escapeHtml, huntHtml } from '../../lib/hunt/html-report';
import { huntFindings } from '../../lib/hunt/report';
import type { Page } from '../../lib/model/jobs';
import type { Snapshot } from '../../lib/platform/model';
import type { HuntReport } from '../../lib/hunt/runner';

const cols = (t: keyof typeof tables) => Object.entries(tables[t].columns).map(([name, c]) => ({ name, kind: (c as { kind: string }).kind }));
const page = (t: keyof typeof tables, rows: Record<string, unknown>[]): Page => {
  const c = cols(t);
  return { columns: c, rows: rows.map((r) => c.map((x) => r[x.name] ?? null)), total: rows.length, offset: 0, next_offset: null };
};
const snap = (os: string): Snapshot => ({ id: 's', os } as Snapshot);

test('sections are the 1:N sub-objects of the process object joined by pid, for the snapshot OS', () => {
  const byPid = Object.entries(objects.process!.subObjects).filter(([, d]) => d.cardinality === 'many' && d.join.length === 1 && d.join[0]![0] === 'process_id');
  const linux = processSections('linux').map((s) => s.table);
  const windows = processSections('windows').map((s) => s.table);
  expect(new Set([...linux, ...windows])).toEqual(new Set(byPid.map(([, d]) => d.table)));
  expect(linux).toContain('shell_history');
  expect(linux).not.toContain('handle');
  expect(windows).toContain('handle');
  expect(windows).not.toContain('shell_history');
  for (const t of [...linux, ...windows]) expect(tables[t].platform === 'both' || linux.includes(t) !== windows.includes(t)).toBe(true);
});

test('memory regions: W+X and a PE header outside an image or file mapping are flagged, nothing else', () => {
  const p = page('vma', [
    { start: 1n, is_writable: true, is_executable: true, kind: 'anon' },
    { start: 2n, is_writable: false, is_executable: true, has_pe_header: true, kind: 'private', is_private: true },
    { start: 3n, is_writable: false, is_executable: true, has_pe_header: true, kind: 'image' },
    { start: 4n, is_writable: true, is_executable: false, kind: 'heap' },
    { start: 5n, is_writable: true, is_executable: true, has_pe_header: true, kind: 'private' },
  ]);
  expect(flaggedRegions(p)).toEqual([
    { row: 0, reasons: ['W+X'] },
    { row: 1, reasons: ['PE in private memory'] },
    { row: 4, reasons: ['W+X', 'PE in private memory'] },
  ]);
});

test('a hunt’s hits narrowed to one process of one snapshot', () => {
  const hit = (snapshot_id: string, rows: unknown[][], columns = ['project', 'machine', 'snapshot', 'process_id', 'name']) => ({ playbook_id: 'p', title: 't', severity: 'high', techniques: [], snapshot_id, columns, rows });
  const hits = [hit('s', [['a', 'b', 's', 7, 'x'], ['a', 'b', 's', 8, 'y']]), hit('other', [['a', 'b', 'other', 7, 'x']]), hit('s', [['a', 'b', 's', 'k']], ['project', 'machine', 'snapshot', 'name'])];
  expect(hitsOnProcess(hits, 's', 7)).toEqual([hit('s', [['a', 'b', 's', 7, 'x']])]);
  expect(hitsOnProcess(hits, 's', 9)).toEqual([]);
});

/** a browse over an in-memory process table (pid → parent), every other table empty */
function fakeBrowse(parents: Map<number, number>): { browse: Browse; calls: () => number } {
  let n = 0;
  const browse: Browse = async (t, o) => {
    n++;
    if (t !== 'process') return page(t, []);
    const f = o.filter ?? {};
    const rows = [...parents].filter(([pid, ppid]) => (f.process_id === undefined || String(pid) === f.process_id) && (f.parent_process_id === undefined || String(ppid) === f.parent_process_id)).map(([pid, ppid]) => ({ process_id: pid, parent_process_id: ppid, name: `p${pid}` }));
    return page('process', rows.slice(0, o.limit));
  };
  return { browse, calls: () => n };
}

test('parent chain: nearest first, stops at a loop and at 64 links on a hostile dump', async () => {
  const loop = fakeBrowse(new Map([[10, 20], [20, 30], [30, 10], [40, 10]]));
  const v = await processView(loop.browse, snap('linux'), 10, null);
  expect(v.ancestors.rows.map((r) => r[0])).toEqual([20, 30]);
  expect(v.children.rows.map((r) => r[0])).toEqual([30, 40]);
  const deep = new Map<number, number>();
  for (let i = 1; i <= 5000; i++) deep.set(i, i + 1);
  const d = fakeBrowse(deep);
  const dv = await processView(d.browse, snap('linux'), 1, null);
  expect(dv.ancestors.rows).toHaveLength(64);
  expect(d.calls()).toBeLessThan(64 + 2 + processSections('linux').length + 2);
  await expect(processView(loop.browse, snap('linux'), 999, null)).rejects.toThrow(/process 999 not found/);
});

test('the HTML report escapes what a dump holds and fetches nothing', () => {
  const evil = '<script>alert(1)</script><img src=x onerror=alert(2)>';
  const rep: HuntReport = {
    playbooks_run: 1, skipped: [], queries_run: 1, fired: 1, errors: 0, elapsed_ms: 1, by_tactic: [],
    results: [{ id: 'pb', title: 'T', severity: 'high', platform: 'linux', file: '', techniques: [{ id: 'T1', name: 'n', tactics: ['execution'] }], count: 1, snapshots: ['p/m/s'],
      queries: [{ title: 'q', query: 'process', columns: ['project', 'machine', 'snapshot', 'process_id', 'name', 'command_line', 'cwd'], rows: [{ project: 'p', machine: 'm', snapshot: 's', process_id: 5, name: evil, command_line: evil, cwd: evil }], count: 1, elapsed_ms: 1 }] }],
  };
  const html = huntHtml(rep, huntFindings(rep), { header: evil });
  expect(html).not.toContain('<script>');
  expect(html).not.toMatch(/<img\b/);
  expect(html).toContain(escapeHtml(evil));
  expect(html).toContain(`<li>cwd=${escapeHtml(evil)}</li>`);
});
