// Implementations of `memq query` and `memq repl` (specs in query-commands.ts).
import { scopeFrom, type ScopeOpts } from './scope-opts';
import { discoveryCacheFor } from '../os/discovery-cache';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { caretSnippet, compileQuery, QueryError, type Scope } from '../query';
import { runQuery } from '../engine';
import { addDumpToStore } from '../store/add';
import { defaultStoreDir, listSnapshots, openLocalStore } from '../store/store';
import { MemqError } from '../util/errors';
import { render, terminalWidth, type OutputFormat } from './output';
import { progressReporter } from './progress';
import { runRepl } from './repl';

export type { ScopeOpts };


/** QueryError → MemqError whose message also shows the line with a caret (main prints it, no stack) */
function withSnippet(e: unknown, text: string): unknown {
  if (e instanceof QueryError) return new MemqError(`${e.message}\n${caretSnippet(text, e)}`, e.code);
  return e;
}

/**
 * A scope that names no snapshot of the store (a misspelt --machine, an empty store) is an error:
 * 0 rows from a scope that exists is an answer, 0 rows from nothing is not (exit 1, message on stderr).
 */
export function emptyScopeCheck(dir: string, scope: Scope): void {
  const all = listSnapshots(dir);
  if (all.length === 0) throw new MemqError(`the store ${dir} has no snapshots (add one with memq add <dump>)`, 'E_SCOPE');
  const inScope = all.filter(
    (s) => (!scope.projects || scope.projects.includes(s.project)) && (!scope.machines || scope.machines.includes(s.machine)) && (!scope.snapshots || scope.snapshots.includes(s.snapshot)),
  );
  if (inScope.length) return;
  const parts: string[] = [];
  const say = (opt: string, asked: string[] | undefined, have: string[]) => {
    if (!asked) return;
    const missing = asked.filter((a) => !have.includes(a));
    const known = [...new Set(have)].sort();
    parts.push(missing.length ? `--${opt} ${missing.join(',')} is not in the store (${opt}s: ${known.slice(0, 10).join(', ')}${known.length > 10 ? ', …' : ''})` : `--${opt} ${asked.join(',')}`);
  };
  say('project', scope.projects, all.map((s) => s.project));
  say('machine', scope.machines, all.map((s) => s.machine));
  say('snapshot', scope.snapshots, all.map((s) => s.snapshot));
  throw new MemqError(`no snapshot matches the scope: ${parts.join('; ')}`, 'E_SCOPE');
}

export type QueryOpts = ScopeOpts & { store?: string; format: OutputFormat; maxRows: string; explain?: 'duckdb' | 'athena' };

export async function query(arg: string, o: QueryOpts): Promise<void> {
  const text = arg === '-' ? fs.readFileSync(0, 'utf8') : arg;
  const scope = scopeFrom(o);
  if (o.explain) {
    try {
      const c = compileQuery(text, { dialect: o.explain, scope });
      process.stdout.write(`${c.sql}\n-- parameters: ${JSON.stringify(c.params, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}\n`);
    } catch (e) {
      throw withSnippet(e, text);
    }
    return;
  }
  const maxRows = Number(o.maxRows);
  if (!Number.isInteger(maxRows) || maxRows < 1) throw new MemqError(`--max-rows expects a positive whole number, got "${o.maxRows}"`, 'E_USAGE');
  const dir = o.store ?? defaultStoreDir();
  const store = openLocalStore(dir);
  try {
    // the query's own mistakes first, then a scope that names nothing
    compileQuery(text, { dialect: 'duckdb', scope });
    emptyScopeCheck(dir, scope);
    const r = await runQuery(store, text, scope, { maxRows });
    process.stdout.write(render(r.rows, r.columns.map((c) => c.name), o.format, terminalWidth()));
    if (o.format === 'table') process.stderr.write(`(${r.rows.length} row${r.rows.length === 1 ? '' : 's'}${r.truncated ? `, truncated at ${maxRows}` : ''}, ${r.elapsedMs} ms)\n`);
    else if (r.truncated) process.stderr.write(`warning: result truncated at ${maxRows} rows (--max-rows)\n`);
  } catch (e) {
    throw withSnippet(e, text);
  } finally {
    store.close();
  }
}

export type ReplOpts = ScopeOpts & { store?: string; format: OutputFormat; history?: string };

export async function repl(dump: string | undefined, o: ReplOpts): Promise<void> {
  let tmp: string | undefined;
  let dir = o.store ?? defaultStoreDir();
  if (dump) {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-repl-'));
    dir = tmp;
    const machine = path.basename(dump).replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[^A-Za-z0-9]+/, '') || 'dump';
    const bar = progressReporter();
    try {
      await addDumpToStore(dir, dump, { project: 'local', machine: machine.slice(0, 128), snapshot: 'dump' }, {
        hash: false, // a throwaway store for this session: no manifest anyone keeps
        cache: discoveryCacheFor(dump),
        onProgress: (d, t) => bar.update('decompress', d, t),
        progress: (s, d, t) => bar.update(s, d, t),
      });
    } catch (e) {
      fs.rmSync(tmp, { recursive: true, force: true });
      throw e;
    } finally {
      bar.stop();
    }
  }
  // a prompt runs many queries: load the tables into memory once (reloaded when the store changes)
  const store = openLocalStore(dir, { cache: true });
  const historyFile = o.history === undefined ? path.join(os.homedir(), '.memq_history') : o.history || null;
  try {
    await runRepl({
      input: process.stdin,
      output: process.stdout,
      terminal: Boolean(process.stdin.isTTY && process.stdout.isTTY),
      store,
      historyFile,
      scope: scopeFrom(o),
      format: o.format,
    });
  } finally {
    store.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  }
}
