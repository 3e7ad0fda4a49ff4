// The cloud's long jobs (playbook hunts, IOC searches) are batches of Athena statements that outlive
// one Lambda invocation (API Gateway gives up after 29 s). The batch is kept with its job as JSON in
// the results bucket; every poll advances it by one bounded step: it asks Athena about the running
// executions, keeps the rows of finished ones, and starts pending ones up to a concurrency bound. It
// never waits for a query. When all are finished, the job replays the stored rows through the same
// code as the local plane (hunt runner, IOC search), so results match the CLI's.
import { athenaCell } from '../engine';
import type { AthenaSdkPort } from '../engine/athena';
import type { ColumnKind } from '../model';
import { jsonValue } from '../util/json-value';
import { isMemqError } from '../util/errors';

export interface BatchQuery {
  sql: string;
  /** Athena execution parameters (already formatted) */
  params: string[];
  columns: { name: string; kind: ColumnKind }[];
  execution_id: string | null;
  state: 'pending' | 'running' | 'done' | 'failed';
  error: string | null;
  /** rows by column name, JSON-safe, typed by column kind */
  rows: Record<string, unknown>[];
  count: number;
}

export function pendingQuery(sql: string, params: string[], columns: BatchQuery['columns']): BatchQuery {
  return { sql, params, columns, execution_id: null, state: 'pending', error: null, rows: [], count: 0 };
}

/** Athena's rate and concurrency limits: try again later rather than fail the job. */
export const throttled = (e: unknown) => ['TooManyRequestsException', 'ThrottlingException'].includes((e as Error)?.name);

/**
 * One bounded step over a batch (a few Athena calls per running query). Mutates the queries and returns
 * the progress: finished (done or failed) of total. A query Athena refuses fails that query only;
 * throttling leaves it for a later poll; anything else throws (the job fails).
 */
export async function advanceBatch(athena: AthenaSdkPort, queries: BatchQuery[], o: { concurrency: number; maxRows: number }): Promise<{ done: number; total: number }> {
  await Promise.all(
    queries
      .filter((q) => q.state === 'running')
      .map(async (q) => {
        const st = await athena.state(q.execution_id!).catch((e: Error) => {
          if (throttled(e)) return { state: 'running' as const }; // asked again on the next poll
          throw e;
        });
        if (st.state === 'running') return;
        if (st.state === 'failed') return void Object.assign(q, { state: 'failed', error: st.reason.slice(0, 1000) });
        const { rows } = await athena.fetch(q.execution_id!, o.maxRows);
        q.rows = rows.map((r) => Object.fromEntries(q.columns.map((c, i) => [c.name, jsonValue(athenaCell(r[i] ?? null, c.kind))])));
        q.count = rows.length;
        q.state = 'done';
      }),
  );
  const free = o.concurrency - queries.filter((q) => q.state === 'running').length;
  const next = queries.filter((q) => q.state === 'pending').slice(0, Math.max(0, free));
  await Promise.all(
    next.map(async (q) => {
      try {
        q.execution_id = await athena.start(q.sql, q.params);
        q.state = 'running';
      } catch (e) {
        // Athena's concurrency quota: stays pending, started by a later poll
        if (throttled(e)) return;
        // a query Athena refuses (MemqError or InvalidRequestException) fails that query only
        if (!isMemqError(e) && (e as Error).name !== 'InvalidRequestException') throw e;
        Object.assign(q, { state: 'failed', error: (e as Error).message.slice(0, 1000) });
      }
    }),
  );
  return { done: queries.filter((q) => q.state === 'done' || q.state === 'failed').length, total: queries.length };
}
