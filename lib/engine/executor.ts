// What executes compiled queries synchronously (the CLI, the REPL, the local hunt and IOC commands):
// DuckDB over a local store (lib/engine/duckdb.ts), rows keyed by output column name. The cloud runs
// Athena asynchronously through the data plane's SqlEngine (lib/dataplane/engines.ts) over
// AthenaSdkPort; the Athena value conventions (parameter literals, text cells) live here for both.
import type { ColumnKind } from '../model';
import type { BoundValue, CompiledQuery, Dialect, OutputColumn } from '../query';
import { MemqError } from '../util/errors';

export interface ExecuteOptions {
  /** stop after this many rows (result says truncated); default 10,000 */
  maxRows?: number;
  /** stop the statement after this long running (the wait for the connection does not count); none by default */
  timeoutMs?: number;
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

// ---- Athena value conventions ------------------------------------------------------------------

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
