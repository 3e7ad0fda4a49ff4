// The UI's pure logic: completion derived from the catalog the API serves (checked against the model
// catalog itself), grid sort/filter/export, and the process tree's handling of cycles and orphans.
import { catalogView } from '../../lib/api/routes';
import { tables, objects } from '../../lib/model';
import { complete, offsetOf } from '../../web/src/lib/completion';
import { toCsv, toJson, view } from '../../web/src/lib/grid';
import { buildTree, flatten } from '../../web/src/lib/tree';

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
