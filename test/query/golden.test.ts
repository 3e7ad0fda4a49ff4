// Golden SQL for both dialects, plus: every Athena statement parses with Trino's grammar and uses
// only Trino functions, every DuckDB statement binds on DuckDB (views over an empty store), and
// the number of `?` always equals the number of parameters.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { compileQuery, type CompiledQuery, type Dialect } from '../../lib/query';
import { athenaParameters, openLocalStore, type LocalStore } from '../../lib/engine';
import { goldenCases } from './golden/cases';

const GOLDEN = path.join(__dirname, 'golden');
const update = process.env.UPDATE_GOLDEN === '1';
const dialects: Dialect[] = ['duckdb', 'athena'];

const json = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x));
function goldenText(c: CompiledQuery): string {
  return `${c.sql}\n-- params: ${json(c.params)}\n-- kinds: ${json(c.paramKinds)}\n-- columns: ${json(c.columns.map((x) => `${x.name}:${x.kind}`))}\n`;
}

const compiled = goldenCases.flatMap((g) => dialects.map((d) => ({ g, d, c: compileQuery(g.query, { dialect: d, scope: g.scope }) })));

describe('golden SQL', () => {
  test.each(compiled.map((x) => [`${x.g.name}.${x.d}`, x] as const))('%s', (_n, { g, d, c }) => {
    const file = path.join(GOLDEN, `${g.name}.${d}.sql`);
    if (update) fs.writeFileSync(file, goldenText(c));
    expect(goldenText(c)).toBe(fs.readFileSync(file, 'utf8'));
    expect(c.sql.split('?').length - 1).toBe(c.params.length);
    expect(c.paramKinds.length).toBe(c.params.length);
  });
});

describe('Athena SQL is Trino SQL', () => {
  const athena = compiled.filter((x) => x.d === 'athena');
  test('parses with the Trino grammar (dt-sql-parser)', () => {
    const tsx = path.resolve(__dirname, '../../node_modules/.bin/tsx');
    const out = execFileSync(tsx, [path.join(__dirname, 'support/trino-validate.mts')], {
      input: JSON.stringify(athena.map((x) => x.c.sql)),
      encoding: 'utf8',
      cwd: path.resolve(__dirname, '../..'),
    });
    const errors = JSON.parse(out) as string[][];
    const bad = athena.map((x, i) => [x.g.name, errors[i]] as const).filter(([, e]) => e.length);
    expect(bad).toEqual([]);
  });
  test('with parameters rendered as Athena ExecutionParameters literals, still Trino SQL', () => {
    const tsx = path.resolve(__dirname, '../../node_modules/.bin/tsx');
    const substituted = athena.map(({ c }) => {
      const lits = athenaParameters(c.params, c.paramKinds);
      let i = 0;
      // no generated statement has a "?" inside a literal, so every "?" is a parameter
      return c.sql.replace(/\?/g, () => lits[i++]);
    });
    const out = execFileSync(tsx, [path.join(__dirname, 'support/trino-validate.mts')], { input: JSON.stringify(substituted), encoding: 'utf8' });
    const errors = JSON.parse(out) as string[][];
    expect(errors.filter((e) => e.length)).toEqual([]);
  });
  test('the validator rejects DuckDB-only syntax (it is not a no-op)', () => {
    const tsx = path.resolve(__dirname, '../../node_modules/.bin/tsx');
    const out = execFileSync(tsx, [path.join(__dirname, 'support/trino-validate.mts')], {
      input: JSON.stringify(['SELECT 1 FROM t WHERE a ILIKE ?', 'SELECT * FROM t WHERE len(list_filter(a, lambda el: el = ?)) > 0']),
      encoding: 'utf8',
    });
    const errors = JSON.parse(out) as string[][];
    expect(errors.every((e) => e.length > 0)).toBe(true);
  });
  test('uses only functions Trino has', () => {
    // Trino functions (trino.io/docs/current/functions/list.html); keywords before "(" are not calls
    const trino = new Set(['lower', 'regexp_like', 'any_match', 'element_at', 'coalesce', 'cast', 'count']);
    const keywordsBeforeParen = new Set(['where', 'and', 'or', 'not', 'in', 'exists', 'on', 'as', 'from', 'select']);
    for (const { g, c } of athena) {
      const calls = [...c.sql.matchAll(/\b([A-Za-z_]+)\s*\(/g)].map((m) => m[1].toLowerCase()).filter((f) => !keywordsBeforeParen.has(f));
      for (const f of calls) expect([g.name, f, trino.has(f)]).toEqual([g.name, f, true]);
    }
  });
});

describe('DuckDB SQL binds on DuckDB', () => {
  let dir: string;
  let store: LocalStore;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'memq-golden-'));
    store = openLocalStore(dir);
  });
  afterAll(() => {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  test('every statement prepares and runs on an empty store', async () => {
    const conn = await store.connection();
    for (const { c } of compiled.filter((x) => x.d === 'duckdb')) {
      const st = await conn.prepare(c.sql);
      expect(st.parameterCount).toBe(c.params.length);
    }
  });
});
