// SqlEngine adapters (ports.ts): DuckDB over the local store — a statement runs in the background of
// this process and usually finishes before the first poll — and Athena through AthenaSdkPort
// (StartQueryExecution with execution parameters, GetQueryExecution, GetQueryResults pages). Both
// hand rows back JSON-safe and typed by the statement's column kinds, so nothing above them knows
// which engine ran.
import * as crypto from 'node:crypto';
import { athenaCell, athenaParameters, duckdbExecutor } from '../engine';
import type { AthenaSdkPort } from '../engine/athena';
import type { CompiledQuery } from '../query';
import type { LocalStore } from '../store/store';
import { jsonValue } from '../util/json-value';
import { MemqError } from '../util/errors';
import type { ExecState, SqlEngine, SqlStatement, StatementColumn } from './ports';
import { redactPaths } from '../util/redact';

interface LocalExecution {
  started: number;
  state: ExecState;
  rows?: Record<string, unknown>[];
  truncated?: boolean;
}

export interface DuckdbEngineOptions {
  /** rows kept per execution at most (a result larger than this reports truncated) */
  maxRows: number;
  /** how long start() waits for the statement before answering "running" (small ones answer at once) */
  settleMs?: number;
  /** executions remembered (finished ones are dropped oldest first) */
  maxExecutions?: number;
}

export function duckdbEngine(store: LocalStore, o: DuckdbEngineOptions): SqlEngine {
  const exec = duckdbExecutor(store);
  const runs = new Map<string, LocalExecution>();
  const forget = () => {
    const max = o.maxExecutions ?? 256;
    for (const [id, r] of runs) {
      if (runs.size <= max) break;
      if (r.state.state !== 'running') runs.delete(id);
    }
  };
  return {
    dialect: 'duckdb',
    settles: true,
    async start(st: SqlStatement): Promise<string> {
      const id = `duck_${crypto.randomBytes(12).toString('hex')}`;
      const run: LocalExecution = { started: Date.now(), state: { state: 'running' } };
      runs.set(id, run);
      forget();
      const q = { ...st, object: '', columns: st.columns.map((c) => ({ ...c, path: c.name })) } as unknown as CompiledQuery;
      const done = exec.execute(q, { maxRows: o.maxRows }).then(
        (r) => Object.assign(run, { rows: r.rows, truncated: r.truncated, state: { state: 'succeeded', elapsedMs: Date.now() - run.started } }),
        // the engine's message may name store files: clients get it without server paths
        (e: Error) => Object.assign(run, { state: { state: 'failed', reason: redactPaths(e.message.split('\n')[0]!).slice(0, 1000) } }),
      );
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([done, new Promise((r) => (timer = setTimeout(r, o.settleMs ?? 2000)))]);
      clearTimeout(timer);
      return id;
    },
    async state(id: string): Promise<ExecState> {
      const r = runs.get(id);
      if (!r) return { state: 'failed', reason: 'the result of this query is no longer held (server restarted or too many queries since)' };
      return r.state;
    },
    async fetch(id: string, columns: readonly StatementColumn[], maxRows: number) {
      const r = runs.get(id);
      if (!r || !r.rows) throw new MemqError(`no result for execution ${id}`, 'E_STATE');
      runs.delete(id); // the job keeps the rows now
      const rows = r.rows.slice(0, maxRows).map((row) => columns.map((c) => jsonValue(row[c.name] ?? null)));
      return { rows, truncated: Boolean(r.truncated) || r.rows.length > maxRows };
    },
  };
}

export function athenaEngine(athena: Pick<AthenaSdkPort, 'start' | 'state' | 'fetch' | 'stop'>, database: string): SqlEngine {
  return {
    dialect: 'athena',
    database,
    settles: false,
    start: (st) => athena.start(st.sql, athenaParameters(st.params, st.paramKinds)),
    state: (id) => athena.state(id),
    stop: (id) => athena.stop(id),
    async fetch(id, columns, maxRows) {
      const { rows, truncated } = await athena.fetch(id, maxRows);
      return { rows: rows.map((r) => columns.map((c, i) => jsonValue(athenaCell(r[i] ?? null, c.kind)))), truncated };
    },
  };
}
