// SqlExecutor over a local store's DuckDB connection (the views lib/store/store.ts creates), for IOC
// search and snapshot diff. Parameters are bound as VARCHAR (every value these statements bind is
// text); DuckDB values come back as plain JS values like the query engine returns them.
import type { LocalStore } from '../store/store';
import { plainCell } from '../engine/duckdb';
import type { SqlExecutor } from '../query/statements';

export function localSqlExecutor(store: LocalStore): SqlExecutor {
  return async (sql, params) => {
    const conn = await store.connection();
    const st = await conn.prepare(sql);
    try {
      params.forEach((v, i) => st.bindVarchar(i + 1, String(v)));
      const reader = await st.runAndReadAll();
      return reader.getRowObjectsJS().map((r) => {
        const o: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(r)) o[k] = plainCell(v);
        return o;
      });
    } finally {
      st.destroySync?.();
    }
  };
}
