// Builds small stores by hand for engine and semantics tests: rows written with ParquetWriter into
// the store layout. Rows list only the columns a test cares about; the rest get a neutral value
// (null where the catalog allows it, else 0 / "" / false / []) so the files match the catalog.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { tables, type ColumnDef, type TableName } from '../../lib/model';
import { ParquetWriter } from '../../lib/store/parquet-writer';
import { tableFileRelative, type SnapshotRef } from '../../lib/store/store';

export type LooseRows = Partial<Record<TableName, Record<string, unknown>[]>>;

function neutral(c: ColumnDef): unknown {
  if (c.nullable) return null;
  switch (c.kind) {
    case 'string':
      return '';
    case 'int32':
    case 'int64':
    case 'double':
      return 0;
    case 'bool':
      return false;
    case 'address':
      return 0n;
    case 'timestamp':
      return new Date(0);
    case 'string_list':
      return [];
  }
}

export function fullRow(t: TableName, partial: Record<string, unknown>): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const [name, c] of Object.entries(tables[t].columns as Record<string, ColumnDef>)) row[name] = name in partial ? partial[name] : neutral(c);
  for (const k of Object.keys(partial)) if (!(k in row)) throw new Error(`fixture: ${t} has no column ${k}`);
  return row;
}

/** Writes every table of every snapshot (tables not given are written empty, as analyze does). */
export async function writeStore(dir: string, snapshots: { ref: SnapshotRef; rows: LooseRows }[]): Promise<void> {
  const w = await ParquetWriter.create();
  try {
    for (const { ref, rows } of snapshots) {
      for (const t of Object.keys(tables) as TableName[]) {
        const rs = (rows[t] ?? []).map((r) => fullRow(t, r));
        await w.write(t, rs, path.join(dir, tableFileRelative(t, ref)));
      }
    }
  } finally {
    w.close();
  }
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}
