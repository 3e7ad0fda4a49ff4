// Runs compiled DuckDB-dialect queries on a local store's connection: binds each parameter with
// the DuckDB type of its kind (so INTEGER columns compare with INTEGER values and partition
// pruning works), reads at most maxRows+1 rows, and turns DuckDB values into plain JS values
// (BIGINT → number when it fits, TIMESTAMP → Date, LIST → array).
import type { DuckDBPreparedStatement } from '@duckdb/node-api';
import type { ColumnKind } from '../model';
import type { BoundValue, CompiledQuery } from '../query';
import type { LocalStore } from '../store/store';
import { DEFAULT_MAX_ROWS, type ExecuteOptions, type ExecuteResult, type QueryExecutor } from './executor';
import { MemqError } from '../util/errors';

function bindParam(st: DuckDBPreparedStatement, i: number, v: BoundValue, kind: ColumnKind): void {
  const idx = i + 1; // DuckDB parameters are 1-based
  switch (kind) {
    case 'int32':
      if (typeof v === 'number') return st.bindInteger(idx, v);
      return st.bindBigInt(idx, BigInt(v as bigint));
    case 'int64':
      return st.bindBigInt(idx, BigInt(v as number | bigint));
    case 'double':
      return st.bindDouble(idx, Number(v));
    case 'bool':
      return st.bindBoolean(idx, Boolean(v));
    default:
      // string, address ('0x'+16 hex), timestamp (UTC text the SQL casts)
      return st.bindVarchar(idx, String(v));
  }
}

export function plainCell(v: unknown): unknown {
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  if (Array.isArray(v)) return v.map(plainCell);
  return v;
}

export function duckdbExecutor(store: LocalStore): QueryExecutor {
  return {
    dialect: 'duckdb',
    async execute(q: CompiledQuery, opts: ExecuteOptions = {}): Promise<ExecuteResult> {
      const maxRows = opts.maxRows ?? DEFAULT_MAX_ROWS;
      return store.withConnection(async (conn) => {
        // a statement past its time is interrupted, so it cannot hold the connection for everyone
        let timedOut = false;
        const timer = opts.timeoutMs
          ? setTimeout(() => {
              timedOut = true;
              conn.interrupt();
            }, opts.timeoutMs)
          : undefined;
        const st = await conn.prepare(q.sql).catch((e: unknown) => {
          clearTimeout(timer);
          throw e;
        });
        try {
          q.params.forEach((v, i) => bindParam(st, i, v, q.paramKinds[i]));
          const reader = await st.streamAndReadUntil(maxRows + 1);
          const raw = reader.getRowObjectsJS();
          const rows = raw.slice(0, maxRows).map((r) => {
            const o: Record<string, unknown> = {};
            for (const c of q.columns) o[c.name] = plainCell(r[c.name]);
            return o;
          });
          return { rows, truncated: raw.length > maxRows };
        } catch (e) {
          if (timedOut) throw new MemqError(`the query was stopped after ${opts.timeoutMs! / 1000} s, the limit for one query: narrow it down`, 'E_TIMEOUT');
          throw e;
        } finally {
          clearTimeout(timer);
          st.destroySync();
        }
      });
    },
  };
}
