// What executes compiled queries. The local store runs them on DuckDB (lib/engine/duckdb.ts); the
// cloud implements AthenaPort with the AWS SDK (start → poll → page, since API Gateway gives up
// after 29 s) and wraps it with athenaExecutor(). Both return rows keyed by output column name.
import type { ColumnKind } from '../model';
import type { BoundValue, CompiledQuery, Dialect, OutputColumn } from '../query';
import { MemqError } from '../util/errors';

export interface ExecuteOptions {
  /** stop after this many rows (result says truncated); default 10,000 */
  maxRows?: number;
}

export interface ExecuteResult {
  rows: Record<string, unknown>[];
  /** more rows existed than maxRows */
  truncated: boolean;
}

export interface QueryExecutor {
  readonly dialect: Dialect;
  execute(q: CompiledQuery, opts?: ExecuteOptions): Promise<ExecuteResult>;
}

export interface QueryResult {
  columns: OutputColumn[];
  rows: Record<string, unknown>[];
  elapsedMs: number;
  truncated: boolean;
  /** the SQL that ran (for --explain / debugging); parameters are never spliced into it */
  sql: string;
}

export const DEFAULT_MAX_ROWS = 10_000;

// ---- Athena ------------------------------------------------------------------------------------

/**
 * The slice of Athena the engine needs. The cloud engineer implements it with
 * @aws-sdk/client-athena: StartQueryExecution(QueryString = sql, ExecutionParameters =
 * parameters, WorkGroup …), poll GetQueryExecution, page GetQueryResults.
 */
export interface AthenaPort {
  /** starts the query and returns its execution id */
  start(sql: string, parameters: string[]): Promise<string>;
  /** resolves when the execution finished; rejects with a MemqError on FAILED / CANCELLED */
  wait(executionId: string): Promise<void>;
  /** rows as Athena returns them: every value a string or null, in column order (header row excluded) */
  fetch(executionId: string, maxRows: number): Promise<{ rows: (string | null)[][]; truncated: boolean }>;
}

/**
 * Athena ExecutionParameters are SQL literal texts substituted for the `?` in order. This turns the
 * compiled parameter values into such literals: strings quoted with '' doubling (no backslash
 * escapes in Trino literals), numbers as digits, booleans as true/false.
 */
export function athenaParameters(params: readonly BoundValue[], kinds: readonly ColumnKind[]): string[] {
  return params.map((v, i) => {
    if (typeof v === 'string') return `'${v.replace(/'/g, "''")}'`;
    if (typeof v === 'boolean') return v ? 'true' : 'false';
    if (typeof v === 'bigint') return v.toString();
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw new MemqError(`parameter ${i + 1} is not a finite number`, 'E_QUERY');
      return kinds[i] === 'double' ? `DOUBLE '${v}'` : String(v);
    }
    throw new MemqError(`parameter ${i + 1} has unsupported type ${typeof v}`, 'E_QUERY');
  });
}

/** Converts one Athena text cell to the JS value the DuckDB engine returns for that kind. */
export function athenaCell(text: string | null, kind: ColumnKind): unknown {
  if (text === null) return null;
  switch (kind) {
    case 'int32':
    case 'int64':
    case 'double': {
      const n = Number(text);
      return Number.isSafeInteger(n) || kind === 'double' ? n : BigInt(text);
    }
    case 'bool':
      return text === 'true';
    case 'timestamp':
      return new Date(text.replace(' ', 'T') + (/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? '' : 'Z'));
    case 'string_list':
      // Athena renders array<string> as "[a, b]": ambiguous for elements containing ", "; the
      // cloud adapter should select CAST(json_format(CAST(x AS JSON)) …) if it needs exact lists
      return text === '[]' ? [] : text.replace(/^\[|\]$/g, '').split(', ');
    default:
      return text;
  }
}

export function athenaExecutor(port: AthenaPort): QueryExecutor {
  return {
    dialect: 'athena',
    async execute(q, opts = {}) {
      const maxRows = opts.maxRows ?? DEFAULT_MAX_ROWS;
      const id = await port.start(q.sql, athenaParameters(q.params, q.paramKinds));
      await port.wait(id);
      const { rows, truncated } = await port.fetch(id, maxRows);
      return {
        rows: rows.slice(0, maxRows).map((r) => Object.fromEntries(q.columns.map((c, i) => [c.name, athenaCell(r[i] ?? null, c.kind)]))),
        truncated: truncated || rows.length > maxRows,
      };
    },
  };
}
