// Glue/Athena schema of the data lake, derived from the model catalog (never restated): one Glue table
// per catalog table, columns from glueType(), partition keys from `partitionKeys`, Parquet SerDe. Used by
// the CDK catalog construct (table definitions) and by finalize (partition registration).
import { glueType, partitionKeys, tables, tableNames, type ColumnDef, type TableName } from '../model';

export interface GlueColumn {
  name: string;
  type: string;
  comment: string;
}

/** Glue column comments are ≤ 255 characters. */
const comment = (s: string) => (s.length > 255 ? s.slice(0, 252) + '...' : s);

export function glueColumns(t: TableName): GlueColumn[] {
  return Object.entries(tables[t].columns as Record<string, ColumnDef>).map(([name, c]) => ({
    name,
    type: glueType(c.kind),
    comment: comment(c.doc),
  }));
}

export function gluePartitionColumns(): GlueColumn[] {
  return partitionKeys.map((k) => ({ name: k, type: 'string', comment: `${k} id (Hive partition)` }));
}

export const PARQUET_FORMAT = {
  inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
  outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
  serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
} as const;

export function glueTableNames(): readonly TableName[] {
  return tableNames;
}

/** s3 location of a table (a trailing slash: Athena treats it as a prefix). */
export const tableLocation = (bucket: string, t: TableName) => `s3://${bucket}/${t}/`;
