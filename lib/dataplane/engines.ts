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
  owner: string;
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
  /** finished, unfetched executions remembered per owner (their oldest are dropped first) */
  maxExecutions?: number;
  /** a statement running longer than this is interrupted (default: none) */
  timeoutMs?: number;
  /** statements run at once (the store serializes on its connection: 1) */
  parallel?: number;
}

/**
 * Statements waiting for the engine, taken in turns between owners (round robin), not in arrival
 * order: a user with 150 queued statements delays another user by at most one statement of theirs.
 */
export class FairQueue {
  /** per owner: waiting statements and when the owner was last given a turn (-1: never) */
  private readonly owners = new Map<string, { tasks: (() => Promise<void>)[]; last: number }>();
  private turn = 0;
  private active = 0;

  constructor(private readonly parallel = 1) {}

  push(owner: string, task: () => Promise<void>): void {
    const o = this.owners.get(owner) ?? this.owners.set(owner, { tasks: [], last: -1 }).get(owner)!;
    o.tasks.push(task);
    this.pump();
  }

  /** statements waiting (not running) */
  get waiting(): number {
    let n = 0;
    for (const o of this.owners.values()) n += o.tasks.length;
    return n;
  }

  private pump(): void {
    while (this.active < this.parallel) {
      // the owner with work whose last turn is longest ago (a newcomer first)
      let pick: [string, { tasks: (() => Promise<void>)[]; last: number }] | undefined;
      for (const e of this.owners) if (e[1].tasks.length && (!pick || e[1].last < pick[1].last)) pick = e;
      if (!pick) return;
      const [owner, o] = pick;
      const task = o.tasks.shift()!;
      o.last = this.turn++;
      this.active++;
      void task().finally(() => {
        this.active--;
        if (o.tasks.length === 0 && this.owners.get(owner) === o) this.owners.delete(owner);
        this.pump();
      });
    }
  }
}

export function duckdbEngine(store: LocalStore, o: DuckdbEngineOptions): SqlEngine {
  const exec = duckdbExecutor(store);
  const runs = new Map<string, LocalExecution>();
  const queue = new FairQueue(o.parallel ?? 1);
  // finished results are dropped oldest first, and only the starting owner's own: another user's
  // finished-but-unread execution is never forgotten because someone else runs many statements
  const forget = (owner: string) => {
    const max = o.maxExecutions ?? 64;
    const mine = [...runs].filter(([, r]) => r.owner === owner && r.state.state !== 'running');
    for (const [id] of mine.slice(0, Math.max(0, mine.length - max))) runs.delete(id);
  };
  return {
    dialect: 'duckdb',
    settles: true,
    async start(st: SqlStatement, so?: { owner?: string }): Promise<string> {
      const owner = so?.owner ?? '';
      const id = `duck_${crypto.randomBytes(12).toString('hex')}`;
      const run: LocalExecution = { owner, started: Date.now(), state: { state: 'running' } };
      runs.set(id, run);
      forget(owner);
      const q = { ...st, object: '', columns: st.columns.map((c) => ({ ...c, path: c.name })) } as unknown as CompiledQuery;
      const done = new Promise<void>((resolve) =>
        queue.push(owner, () =>
          exec.execute(q, { maxRows: o.maxRows, timeoutMs: o.timeoutMs }).then(
            (r) => void Object.assign(run, { rows: r.rows, truncated: r.truncated, state: { state: 'succeeded', elapsedMs: Date.now() - run.started } }),
            // the engine's message may name store files: clients get it without server paths
            (e: Error) => void Object.assign(run, { state: { state: 'failed', reason: redactPaths(e.message.split('\n')[0]!).slice(0, 1000) } }),
          ).finally(resolve),
        ),
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
