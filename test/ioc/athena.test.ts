// The IOC-search and diff statements generated for Athena parse as Trino SQL (dt-sql-parser's Trino
// grammar, through the query layer's validator script) — with `?` placeholders and with parameters
// substituted as literals.
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { tableNames } from '../../lib/model';
import { iocTableSql } from '../../lib/ioc/search';
import { diffSpecs, diffSql } from '../../lib/diff/snapshot-diff';
import { classifyIoc, combinedPattern } from '../../lib/ioc/classify';

const ROOT = path.resolve(__dirname, '../..');
const validate = (sql: string[]): string[][] =>
  JSON.parse(
    execFileSync(path.join(ROOT, 'node_modules/.bin/tsx'), [path.join(ROOT, 'test/query/support/trino-validate.mts')], {
      input: JSON.stringify(sql),
      encoding: 'utf8',
      cwd: ROOT,
    }),
  );

const lit = (v: unknown) => `'${String(v).replace(/'/g, "''")}'`;

test('IOC search and diff SQL for Athena is Trino SQL', () => {
  const pattern = combinedPattern(['10.9.8.7', "o'neil.example.com", '/tmp/.hidden', 'evil-miner'].map(classifyIoc));
  const stmts: { sql: string; params: unknown[] }[] = tableNames.map((t) => iocTableSql(t, pattern, { dialect: 'athena', scope: { projects: ['p'], snapshots: ['a', 'b'] } }));
  const a = { project: 'p', machine: 'm', snapshot: 'a' };
  const b = { project: 'p', machine: 'm', snapshot: 'b' };
  for (const s of diffSpecs) stmts.push(diffSql(s, a, b));
  for (const s of stmts) expect(s.sql.split('?').length - 1).toBe(s.params.length);
  const substituted = stmts.map((s) => {
    let i = 0;
    return s.sql.replace(/\?/g, () => lit(s.params[i++]));
  });
  const errors = validate([...stmts.map((s) => s.sql), ...substituted]);
  expect(errors.filter((e) => e.length)).toEqual([]);
  // and calls only functions Trino has (trino.io/docs/current/functions/list.html)
  const trino = new Set(['regexp_like', 'array_join', 'chr', 'coalesce']);
  const keywords = new Set(['where', 'and', 'or', 'not', 'in', 'exists', 'on', 'as', 'from', 'select']);
  for (const s of stmts) {
    for (const m of s.sql.matchAll(/([a-z_]+)\s*\(/gi)) {
      if (!keywords.has(m[1].toLowerCase())) expect(trino).toContain(m[1].toLowerCase());
    }
  }
});
