// Long jobs (playbook hunts, IOC searches) are batches of statements that may outlive one request
// (API Gateway gives up after 29 s). The batch is kept with its job in the JobStore; every poll
// advances it by one bounded step: it asks the engine about running executions, keeps the rows of
// finished ones, and starts pending ones up to a concurrency bound. It never waits for a query. When
// all are finished, the job replays the stored rows through the same code as the CLI (hunt runner,
// IOC search), so results match everywhere. On DuckDB a step usually finishes everything at once.
import { isMemqError } from '../util/errors';
import type { SqlEngine, SqlStatement, StatementColumn } from './ports';
import { redactPaths } from '../util/redact';

export interface BatchQuery {
  sql: string;
  params: SqlStatement['params'];
  paramKinds: SqlStatement['paramKinds'];
  columns: StatementColumn[];
  execution_id: string | null;
  state: 'pending' | 'running' | 'done' | 'failed';
  error: string | null;
  /** rows by column name, JSON-safe, typed by column kind */
  rows: Record<string, unknown>[];
  count: number;
}

export function pendingQuery(st: Pick<SqlStatement, 'sql' | 'params' | 'paramKinds'> & { columns: readonly StatementColumn[] }): BatchQuery {
  return { sql: st.sql, params: [...st.params], paramKinds: [...st.paramKinds], columns: [...st.columns], execution_id: null, state: 'pending', error: null, rows: [], count: 0 };
}

/** Rate and concurrency limits (Athena): try again later rather than fail the job. */
export const throttled = (e: unknown) => ['TooManyRequestsException', 'ThrottlingException'].includes((e as Error)?.name);

/**
 * One bounded step over a batch. Mutates the queries and returns the progress: finished (done or
 * failed) of total. A statement the engine refuses fails that query only; throttling leaves it for a
 * later poll; anything else throws (the job fails).
 */
export async function advanceBatch(engine: SqlEngine, queries: BatchQuery[], o: { concurrency: number; maxRows: number; owner?: string }): Promise<{ done: number; total: number }> {
  const poll = () =>
    Promise.all(
      queries
        .filter((q) => q.state === 'running')
        .map(async (q) => {
          const st = await engine.state(q.execution_id!).catch((e: Error) => {
            if (throttled(e)) return { state: 'running' as const }; // asked again on the next poll
            throw e;
          });
          if (st.state === 'running') return;
          if (st.state === 'failed') return void Object.assign(q, { state: 'failed', error: st.reason.slice(0, 1000) });
          const { rows } = await engine.fetch(q.execution_id!, q.columns, o.maxRows);
          q.rows = rows.map((r) => Object.fromEntries(q.columns.map((c, i) => [c.name, r[i] ?? null])));
          q.count = rows.length;
          q.state = 'done';
        }),
    );
  await poll();
  const free = o.concurrency - queries.filter((q) => q.state === 'running').length;
  const next = queries.filter((q) => q.state === 'pending').slice(0, Math.max(0, free));
  await Promise.all(
    next.map(async (q) => {
      try {
        q.execution_id = await engine.start(q, { owner: o.owner });
        q.state = 'running';
      } catch (e) {
        if (throttled(e)) return; // stays pending, started by a later poll
        // a statement the engine refuses (MemqError or InvalidRequestException) fails that query only
        if (!isMemqError(e) && (e as Error).name !== 'InvalidRequestException') throw e;
        Object.assign(q, { state: 'failed', error: redactPaths((e as Error).message).slice(0, 1000) });
      }
    }),
  );
  // statements that finished while starting (DuckDB settles at start) are collected in this step too
  if (next.length && engine.settles) await poll();
  return { done: queries.filter((q) => q.state === 'done' || q.state === 'failed').length, total: queries.length };
}
