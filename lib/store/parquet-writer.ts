// Writes catalog tables as Parquet through an in-memory DuckDB: rows are appended with the catalog's
// types, then COPY … (FORMAT PARQUET, COMPRESSION ZSTD). Addresses become '0x'+16-hex strings, so the
// same file reads identically in DuckDB and Athena (which has no unsigned 64-bit integer).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DuckDBInstance, listValue, LIST, VARCHAR, DuckDBTimestampValue, type DuckDBConnection } from '@duckdb/node-api';
import { tables, duckdbType, type ColumnDef, type TableName } from '../model';
import { addr } from '../util/hex';

export const PARQUET_COMPRESSION = 'ZSTD';

function ident(name: string): string {
  // catalog names are fixed lower-case snake_case; quote anyway so reserved words (end, index) work
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad identifier ${name}`);
  return `"${name}"`;
}

export function createTableSql(t: TableName, sqlName: string = t): string {
  const cols = Object.entries(tables[t].columns as Record<string, ColumnDef>).map(
    ([n, c]) => `${ident(n)} ${duckdbType(c.kind)}`,
  );
  return `CREATE TABLE ${ident(sqlName)} (${cols.join(', ')})`;
}

export class ParquetWriter {
  private constructor(private readonly conn: DuckDBConnection, private readonly db: DuckDBInstance) {}

  static async create(): Promise<ParquetWriter> {
    const db = await DuckDBInstance.create(':memory:', { threads: '2' });
    return new ParquetWriter(await db.connect(), db);
  }

  /** Writes `rows` of table `t` to `file` (overwritten atomically). Returns the row count. */
  async write(t: TableName, rows: readonly Record<string, unknown>[], file: string): Promise<number> {
    const tmpName = `w_${t}`;
    await this.conn.run(`DROP TABLE IF EXISTS ${ident(tmpName)}`);
    await this.conn.run(createTableSql(t, tmpName));
    const cols = Object.entries(tables[t].columns as Record<string, ColumnDef>);
    const app = await this.conn.createAppender(tmpName);
    for (const r of rows) {
      for (const [name, c] of cols) {
        const v = r[name];
        if (v === null || v === undefined) {
          app.appendNull();
          continue;
        }
        switch (c.kind) {
          case 'string':
            app.appendVarchar(v as string);
            break;
          case 'int32':
            app.appendInteger(v as number);
            break;
          case 'int64':
            app.appendBigInt(BigInt(v as number));
            break;
          case 'bool':
            app.appendBoolean(v as boolean);
            break;
          case 'double':
            app.appendDouble(v as number);
            break;
          case 'address':
            app.appendVarchar(addr(v as bigint));
            break;
          case 'timestamp':
            app.appendTimestamp(new DuckDBTimestampValue(BigInt((v as Date).getTime()) * 1000n));
            break;
          case 'string_list':
            app.appendList(listValue(v as string[]), LIST(VARCHAR)); // typed: an empty list alone has item type ANY
            break;
        }
      }
      app.endRow();
    }
    app.closeSync();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.tmp-${process.pid}`;
    await this.conn.run(
      `COPY ${ident(tmpName)} TO '${tmp.replace(/'/g, "''")}' (FORMAT PARQUET, COMPRESSION ${PARQUET_COMPRESSION}, ROW_GROUP_SIZE 1000000)`,
    );
    fs.renameSync(tmp, file);
    await this.conn.run(`DROP TABLE ${ident(tmpName)}`);
    return rows.length;
  }

  close(): void {
    this.conn.closeSync();
    this.db.closeSync();
  }
}
