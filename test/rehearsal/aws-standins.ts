// One HTTP server on 127.0.0.1 speaking the AWS JSON protocol (X-Amz-Target) for the services the
// rehearsal has no real stand-in for: Step Functions (StartExecution/DescribeExecution over the local
// interpreter, with the service's name-deduplication rules), Glue (the database and tables from the
// synthesized template; partitions registered and deleted by the Lambdas) and Athena (the SQL the API
// Lambda sends, run on DuckDB over exactly the Parquet objects under *registered* Glue partitions,
// read back from the S3 stand-in; Trino-only functions mapped to their DuckDB equivalents). The
// Lambdas reach it through the SDK's standard AWS_ENDPOINT_URL_<SERVICE> variables, so the shipped
// code runs unchanged. This is an emulation of the APIs' shapes, not of the services' engines.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { LocalStateMachine } from './states';
import { TRINO_MACROS, trinoToDuckdb } from '../support/trino-on-duckdb';

export interface GlueTableDef {
  name: string;
  columns: { Name: string; Type: string }[];
  partitionKeys: { Name: string; Type: string }[];
  location: string;
}

export interface StandinOptions {
  s3: S3Client;
  machines: Map<string, LocalStateMachine>;
  database: string;
  tables: GlueTableDef[];
  /** scratch directory for the lake mirror Athena reads */
  workDir: string;
  /** fault hook: return an error name to answer with instead of serving the call */
  fault?: (target: string, body: Record<string, unknown>) => string | undefined;
}

class ApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const HIVE_TO_DUCKDB: Record<string, string> = {
  string: 'VARCHAR',
  int: 'INTEGER',
  bigint: 'BIGINT',
  boolean: 'BOOLEAN',
  double: 'DOUBLE',
  timestamp: 'TIMESTAMP',
  'array<string>': 'VARCHAR[]',
};

/** Athena's result column types as GetQueryResults reports them, from DuckDB's. */
function athenaType(duck: string): string {
  if (duck.endsWith('[]')) return 'array';
  return { VARCHAR: 'varchar', INTEGER: 'integer', BIGINT: 'bigint', BOOLEAN: 'boolean', DOUBLE: 'double', TIMESTAMP: 'timestamp', HUGEINT: 'bigint', DATE: 'date' }[duck] ?? 'varchar';
}

/** Athena renders every value as text: arrays as [a, b], timestamps as 'YYYY-MM-DD HH:MM:SS.fff'. */
function athenaText(v: unknown): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (Array.isArray(v)) return `[${v.map((x) => athenaText(x) ?? 'null').join(', ')}]`;
  if (v instanceof Date) return v.toISOString().replace('T', ' ').replace('Z', '');
  if (typeof v === 'object' && v && 'toString' in v) return String(v);
  return String(v);
}

interface QueryExec {
  id: string;
  state: 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
  reason?: string;
  columns?: { name: string; type: string }[];
  rows?: unknown[][];
  sql: string;
  polls: number;
}

export class AwsStandins {
  private server?: http.Server;
  endpoint = '';
  /** registered partitions: table → set of "project/machine/snapshot" */
  readonly partitions = new Map<string, Map<string, string>>();
  readonly queries = new Map<string, QueryExec>();
  readonly calls: string[] = [];
  private duck?: DuckDBConnection;
  private mirrorEtags = new Map<string, string>();

  constructor(private readonly o: StandinOptions) {}

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        const target = String(req.headers['x-amz-target'] ?? '');
        this.calls.push(target);
        let input: Record<string, unknown> = {};
        try {
          input = body ? (JSON.parse(body) as Record<string, unknown>) : {};
        } catch {
          /* answered below */
        }
        const reply = (status: number, v: unknown) => {
          res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
          res.end(JSON.stringify(v));
        };
        const injected = this.o.fault?.(target, input);
        if (injected) return reply(400, { __type: injected, message: `injected ${injected}` });
        this.dispatch(target, input).then(
          (v) => reply(200, v ?? {}),
          (e: Error) => (e instanceof ApiError ? reply(e.status, { __type: e.type, message: e.message }) : reply(500, { __type: 'InternalServerException', message: e.message })),
        );
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    this.endpoint = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  async stop(): Promise<void> {
    this.duck?.closeSync();
    await new Promise((r) => this.server?.close(r));
  }

  private async dispatch(target: string, b: Record<string, unknown>): Promise<unknown> {
    const [svc, op] = target.split('.');
    if (svc === 'AWSStepFunctions') return this.sfn(op!, b);
    if (svc === 'AWSGlue') return this.glue(op!, b);
    if (svc === 'AmazonAthena') return this.athena(op!, b);
    throw new ApiError('UnknownOperationException', `the rehearsal does not serve ${target}`);
  }

  // ---------------------------------------------------------------- Step Functions
  private sfn(op: string, b: Record<string, unknown>): unknown {
    if (op === 'StartExecution') {
      const sm = this.o.machines.get(String(b.stateMachineArn));
      if (!sm) throw new ApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${b.stateMachineArn}'`);
      const name = String(b.name ?? crypto.randomUUID());
      if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) throw new ApiError('InvalidName', `Invalid Name: '${name}'`);
      try {
        const ex = sm.start(name, JSON.parse(String(b.input ?? '{}')));
        return { executionArn: ex.arn, startDate: Date.now() / 1000 };
      } catch (e) {
        throw new ApiError((e as Error).name, (e as Error).message);
      }
    }
    if (op === 'DescribeExecution') {
      for (const sm of this.o.machines.values()) {
        const d = sm.describe(String(b.executionArn));
        if (d) return { executionArn: d.arn, status: d.status, stateMachineArn: sm.arn };
      }
      throw new ApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${b.executionArn}'`);
    }
    throw new ApiError('UnknownOperationException', `Step Functions ${op} is not served by the rehearsal`);
  }

  // ---------------------------------------------------------------- Glue
  private table(db: unknown, name: unknown): GlueTableDef {
    if (db !== this.o.database) throw new ApiError('EntityNotFoundException', `Database ${String(db)} not found.`);
    const t = this.o.tables.find((x) => x.name === name);
    if (!t) throw new ApiError('EntityNotFoundException', `Table ${String(name)} not found.`);
    return t;
  }

  private glue(op: string, b: Record<string, unknown>): unknown {
    switch (op) {
      case 'GetDatabase':
        if (b.Name !== this.o.database) throw new ApiError('EntityNotFoundException', `Database ${String(b.Name)} not found.`);
        return { Database: { Name: this.o.database } };
      case 'GetTable': {
        const t = this.table(b.DatabaseName, b.Name);
        return { Table: { Name: t.name, DatabaseName: this.o.database, PartitionKeys: t.partitionKeys, StorageDescriptor: { Columns: t.columns, Location: t.location } } };
      }
      case 'BatchCreatePartition': {
        const t = this.table(b.DatabaseName, b.TableName);
        const parts = this.partitions.get(t.name) ?? new Map<string, string>();
        this.partitions.set(t.name, parts);
        const errors: unknown[] = [];
        for (const p of (b.PartitionInputList ?? []) as { Values: string[]; StorageDescriptor?: { Location?: string } }[]) {
          const k = p.Values.join('/');
          if (parts.has(k)) errors.push({ PartitionValues: p.Values, ErrorDetail: { ErrorCode: 'AlreadyExistsException', ErrorMessage: 'Partition already exists.' } });
          else parts.set(k, String(p.StorageDescriptor?.Location ?? ''));
        }
        return { Errors: errors };
      }
      case 'BatchDeletePartition': {
        const t = this.table(b.DatabaseName, b.TableName);
        const parts = this.partitions.get(t.name);
        for (const p of (b.PartitionsToDelete ?? []) as { Values: string[] }[]) parts?.delete(p.Values.join('/'));
        return { Errors: [] };
      }
      default:
        throw new ApiError('UnknownOperationException', `Glue ${op} is not served by the rehearsal`);
    }
  }

  // ---------------------------------------------------------------- Athena
  private async mirror(): Promise<string> {
    const dir = path.join(this.o.workDir, 'athena-lake');
    fs.mkdirSync(dir, { recursive: true });
    const bucket = new URL(this.o.tables[0]!.location.replace('s3://', 'http://')).hostname;
    let token: string | undefined;
    do {
      const r = await this.o.s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
      for (const o of r.Contents ?? []) {
        if (!o.Key!.endsWith('.parquet')) continue;
        if (this.mirrorEtags.get(o.Key!) === o.ETag) continue;
        const obj = await this.o.s3.send(new GetObjectCommand({ Bucket: bucket, Key: o.Key! }));
        const f = path.join(dir, o.Key!);
        fs.mkdirSync(path.dirname(f), { recursive: true });
        fs.writeFileSync(f, await obj.Body!.transformToByteArray());
        this.mirrorEtags.set(o.Key!, o.ETag!);
      }
      token = r.NextContinuationToken;
    } while (token);
    return dir;
  }

  /** Views over the Parquet of registered partitions only (what Athena with registered partitions reads). */
  private async prepare(): Promise<DuckDBConnection> {
    const dir = await this.mirror();
    if (!this.duck) {
      this.duck = await (await DuckDBInstance.create(':memory:')).connect();
      // Trino functions the memq Athena dialect uses, as DuckDB macros with the same meaning
      for (const m of TRINO_MACROS) await this.duck.run(m);
      await this.duck.run(`CREATE SCHEMA IF NOT EXISTS "${this.o.database}"`);
    }
    for (const t of this.o.tables) {
      const cols = t.columns.map((c) => {
        const ty = HIVE_TO_DUCKDB[c.Type];
        if (!ty) throw new Error(`Glue type ${c.Type} of ${t.name}.${c.Name} has no DuckDB mapping in the rehearsal`);
        return { name: c.Name, ty };
      });
      const files: string[] = [];
      for (const key of this.partitions.get(t.name)?.keys() ?? []) {
        const [project, machine, snapshot] = key.split('/');
        const pdir = path.join(dir, t.name, `project=${project}`, `machine=${machine}`, `snapshot=${snapshot}`);
        if (fs.existsSync(pdir)) for (const f of fs.readdirSync(pdir)) if (f.endsWith('.parquet')) files.push(path.join(pdir, f));
      }
      const select = [...cols.map((c) => `CAST("${c.name}" AS ${c.ty}) AS "${c.name}"`), ...t.partitionKeys.map((k) => `"${k.Name}"`)].join(', ');
      const empty = [...cols.map((c) => `CAST(NULL AS ${c.ty}) AS "${c.name}"`), ...t.partitionKeys.map((k) => `CAST(NULL AS VARCHAR) AS "${k.Name}"`)].join(', ');
      const body = files.length
        ? `SELECT ${select} FROM read_parquet([${files.map((f) => `'${f.replace(/'/g, "''")}'`).join(', ')}], hive_partitioning = true, union_by_name = true)`
        : `SELECT ${empty} WHERE false`;
      await this.duck.run(`CREATE OR REPLACE VIEW "${this.o.database}"."${t.name}" AS ${body}`);
      await this.duck.run(`CREATE OR REPLACE VIEW main."${t.name}" AS SELECT * FROM "${this.o.database}"."${t.name}"`);
    }
    return this.duck;
  }

  private async athena(op: string, b: Record<string, unknown>): Promise<unknown> {
    switch (op) {
      case 'StartQueryExecution': {
        const sql = String(b.QueryString ?? '');
        if (Buffer.byteLength(sql) > 262_144) throw new ApiError('InvalidRequestException', 'Query string exceeds 262144 bytes');
        const params = (b.ExecutionParameters ?? []) as string[];
        const id = crypto.randomUUID();
        const q: QueryExec = { id, state: 'QUEUED', sql, polls: 0 };
        this.queries.set(id, q);
        // ExecutionParameters are SQL literals bound to the ? placeholders in order
        let i = 0;
        const bound = sql.replace(/\?/g, () => {
          if (i >= params.length) throw new ApiError('InvalidRequestException', 'fewer ExecutionParameters than ? placeholders');
          return params[i++]!;
        });
        q.state = 'RUNNING';
        void (async () => {
          try {
            const conn = await this.prepare();
            const r = await conn.runAndReadAll(trinoToDuckdb(bound));
            q.columns = r.columnNames().map((n, k) => ({ name: n, type: athenaType(r.columnTypes()[k]!.toString()) }));
            q.rows = r.getRowsJS();
            q.state = 'SUCCEEDED';
          } catch (e) {
            q.state = 'FAILED';
            q.reason = (e as Error).message.split('\n')[0];
          }
        })();
        return { QueryExecutionId: id };
      }
      case 'GetQueryExecution': {
        const q = this.queries.get(String(b.QueryExecutionId));
        if (!q) throw new ApiError('InvalidRequestException', `QueryExecution ${String(b.QueryExecutionId)} was not found`);
        q.polls++;
        return {
          QueryExecution: {
            QueryExecutionId: q.id,
            Query: q.sql,
            Status: { State: q.state, StateChangeReason: q.reason },
            Statistics: { DataScannedInBytes: 0, TotalExecutionTimeInMillis: 1 },
          },
        };
      }
      case 'GetQueryResults': {
        const q = this.queries.get(String(b.QueryExecutionId));
        if (!q) throw new ApiError('InvalidRequestException', `QueryExecution ${String(b.QueryExecutionId)} was not found`);
        if (q.state !== 'SUCCEEDED') throw new ApiError('InvalidRequestException', `Query has not yet finished. Current state: ${q.state}`);
        const max = Math.min(1000, Number(b.MaxResults ?? 1000));
        const start = b.NextToken ? Number(b.NextToken) : 0;
        // the first page of a SELECT starts with the header row (Athena's own behaviour)
        const all = [q.columns!.map((c) => c.name as unknown), ...q.rows!];
        const page = all.slice(start, start + max);
        const next = start + max < all.length ? String(start + max) : undefined;
        return {
          ResultSet: {
            ResultSetMetadata: { ColumnInfo: q.columns!.map((c) => ({ Name: c.name, Label: c.name, Type: c.type })) },
            Rows: page.map((row) => ({ Data: row.map((v) => (athenaText(v) === undefined ? {} : { VarCharValue: athenaText(v) })) })),
          },
          NextToken: next,
        };
      }
      case 'StopQueryExecution': {
        const q = this.queries.get(String(b.QueryExecutionId));
        if (q && (q.state === 'RUNNING' || q.state === 'QUEUED')) q.state = 'CANCELLED';
        return {};
      }
      default:
        throw new ApiError('UnknownOperationException', `Athena ${op} is not served by the rehearsal`);
    }
  }
}
