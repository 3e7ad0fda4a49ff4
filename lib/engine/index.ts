// Public face of the engine layer: run a query text over the local store (DuckDB) or through any
// QueryExecutor (Athena in the cloud), with the same compile step and the same result shape.
import { compileQuery, type Scope } from '../query';
import type { LocalStore } from '../store/store';
import { duckdbExecutor } from './duckdb';
import type { ExecuteOptions, QueryExecutor, QueryResult } from './executor';

export * from './executor';
export { duckdbExecutor, plainCell } from './duckdb';
export { openLocalStore, LocalStore, listSnapshots, defaultStoreDir, type SnapshotInfo, type SnapshotRef } from '../store/store';

export interface RunOptions extends ExecuteOptions {
  /** Athena/Glue database for table references (athena executors only) */
  database?: string;
}

const executors = new WeakMap<LocalStore, QueryExecutor>();

/** Compiles `text` for the executor's dialect and runs it. Throws QueryError on query mistakes. */
export async function runWith(executor: QueryExecutor, text: string, scope: Scope = {}, opts: RunOptions = {}): Promise<QueryResult> {
  const t0 = performance.now();
  const compiled = compileQuery(text, { dialect: executor.dialect, scope, database: opts.database });
  const { rows, truncated } = await executor.execute(compiled, opts);
  return { columns: compiled.columns, rows, truncated, elapsedMs: Math.round((performance.now() - t0) * 10) / 10, sql: compiled.sql };
}

/** Runs a query over a local store on DuckDB. */
export async function runQuery(store: LocalStore, text: string, scope: Scope = {}, opts: RunOptions = {}): Promise<QueryResult> {
  let ex = executors.get(store);
  if (!ex) {
    ex = duckdbExecutor(store);
    executors.set(store, ex);
  }
  return runWith(ex, text, scope, opts);
}
