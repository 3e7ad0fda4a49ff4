// Athena on the AWS SDK v3: StartQueryExecution in the memq workgroup (encrypted results, scan
// cutoff) with the compiled statement's parameters as ExecutionParameters, GetQueryExecution for the
// state, GetQueryResults pages (header row dropped), StopQueryExecution. Nothing here waits: the data
// plane's Athena engine (lib/dataplane/engines.ts) polls across requests, since API Gateway gives up
// after 29 s.
import {
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
  type AthenaClient,
  type GetQueryResultsCommandOutput,
} from '@aws-sdk/client-athena';
import { MemqError } from '../util/errors';

export interface AthenaSdkOptions {
  client: AthenaClient;
  workGroup: string;
  /** Glue database for unqualified table names */
  database?: string;
  /** rows per GetQueryResults call (Athena allows ≤ 1000) */
  pageSize?: number;
}

export type AthenaState = { state: 'running' } | { state: 'succeeded'; scannedBytes: number; elapsedMs: number } | { state: 'failed'; reason: string };

export class AthenaSdkPort {
  constructor(private readonly o: AthenaSdkOptions) {}

  async start(sql: string, parameters: string[]): Promise<string> {
    if (Buffer.byteLength(sql) > 262_144) throw new MemqError('query too large for Athena (262,144 bytes): put long IOC lists in a table', 'E_QUERY');
    const r = await this.o.client.send(
      new StartQueryExecutionCommand({
        QueryString: sql,
        WorkGroup: this.o.workGroup,
        ExecutionParameters: parameters.length ? parameters : undefined,
        QueryExecutionContext: this.o.database ? { Database: this.o.database } : undefined,
      }),
    );
    if (!r.QueryExecutionId) throw new MemqError('Athena returned no query execution id', 'E_ATHENA');
    return r.QueryExecutionId;
  }

  /** Non-blocking state of an execution. */
  async state(id: string): Promise<AthenaState> {
    const r = await this.o.client.send(new GetQueryExecutionCommand({ QueryExecutionId: id }));
    const st = r.QueryExecution?.Status;
    switch (st?.State) {
      case 'SUCCEEDED':
        return {
          state: 'succeeded',
          scannedBytes: r.QueryExecution?.Statistics?.DataScannedInBytes ?? 0,
          elapsedMs: r.QueryExecution?.Statistics?.TotalExecutionTimeInMillis ?? 0,
        };
      case 'FAILED':
      case 'CANCELLED':
        return { state: 'failed', reason: `Athena query ${st.State.toLowerCase()}: ${st.StateChangeReason ?? st.AthenaError?.ErrorMessage ?? 'no reason given'}` };
      default:
        return { state: 'running' };
    }
  }

  /** Cancels a running execution (a deadline passed); an execution already finished is left alone. */
  async stop(id: string): Promise<void> {
    await this.o.client.send(new StopQueryExecutionCommand({ QueryExecutionId: id })).catch(() => undefined);
  }

  /** One page of rows (header row removed) and the token for the next page. */
  async page(id: string, nextToken: string | undefined, maxResults: number): Promise<{ rows: (string | null)[][]; nextToken?: string; columns: string[] }> {
    const r: GetQueryResultsCommandOutput = await this.o.client.send(
      new GetQueryResultsCommand({ QueryExecutionId: id, NextToken: nextToken, MaxResults: Math.max(1, Math.min(1000, maxResults)) }),
    );
    const cols = r.ResultSet?.ResultSetMetadata?.ColumnInfo ?? [];
    let rows = (r.ResultSet?.Rows ?? []).map((row) => (row.Data ?? []).map((d) => d.VarCharValue ?? null));
    // the first page of a SELECT starts with a header row holding the column names
    if (!nextToken && rows.length && cols.length && rows[0]!.every((v, i) => v === (cols[i]?.Label ?? cols[i]?.Name))) rows = rows.slice(1);
    return { rows, nextToken: r.NextToken, columns: cols.map((c) => c.Label ?? c.Name ?? '') };
  }

  async fetch(id: string, maxRows: number): Promise<{ rows: (string | null)[][]; truncated: boolean }> {
    const out: (string | null)[][] = [];
    let token: string | undefined;
    const pageSize = this.o.pageSize ?? 1000;
    // bounded: at most maxRows/pageSize + 2 pages
    for (let i = 0; i < Math.ceil((maxRows + 1) / pageSize) + 2; i++) {
      const p = await this.page(id, token, pageSize);
      out.push(...p.rows);
      token = p.nextToken;
      if (!token || out.length > maxRows) break;
    }
    return { rows: out.slice(0, maxRows), truncated: out.length > maxRows || (!!token && out.length >= maxRows) };
  }
}
