// The Athena (Trino) SQL generated for every bundled playbook query parses with Trino's own grammar
// (dt-sql-parser, via the query layer's validator script) — with `?` placeholders and with the bound
// parameters substituted as literals — so the cloud hunt runs the same playbooks as `memq hunt`.
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { compileQuery } from '../../lib/query';
import { loadPlaybooks } from '../../lib/hunt/loader';

const ROOT = path.resolve(__dirname, '../..');
const lit = (v: unknown) => (typeof v === 'number' || typeof v === 'boolean' ? String(v) : `'${String(v).replace(/'/g, "''")}'`);

test('every bundled playbook compiles to Athena SQL that parses as Trino SQL', () => {
  const playbooks = loadPlaybooks();
  expect(playbooks.length).toBeGreaterThanOrEqual(20);
  const stmts: { id: string; sql: string; params: unknown[] }[] = [];
  for (const pb of playbooks) {
    for (const q of pb.queries) {
      const c = compileQuery(q.query, { dialect: 'athena', scope: { projects: ['p'], snapshots: ['s1', 's2'] } });
      expect(c.sql.split('?').length - 1).toBe(c.params.length);
      stmts.push({ id: pb.id, sql: c.sql, params: c.params });
    }
  }
  const substituted = stmts.map((s) => {
    let i = 0;
    return s.sql.replace(/\?/g, () => lit(s.params[i++]));
  });
  const errors: string[][] = JSON.parse(
    execFileSync(path.join(ROOT, 'node_modules/.bin/tsx'), [path.join(ROOT, 'test/query/support/trino-validate.mts')], {
      input: JSON.stringify([...stmts.map((s) => s.sql), ...substituted]),
      encoding: 'utf8',
      cwd: ROOT,
    }),
  );
  const failed = errors.map((e, i) => [stmts[i % stmts.length].id, e] as const).filter(([, e]) => e.length);
  expect(failed).toEqual([]);
});
