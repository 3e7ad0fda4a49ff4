// Column kinds of the object catalog and how each maps to zod (in-memory rows), Parquet/DuckDB,
// Glue/Athena and the query language. Everything downstream derives types from these kinds.
import { z } from 'zod';

export type ColumnKind =
  | 'string'
  | 'int32'
  | 'int64'
  | 'bool'
  | 'double'
  /** 64-bit address: bigint in memory, '0x' + 16 hex digits at rest (sorts like the number) */
  | 'address'
  /** instant: Date in memory, TIMESTAMP (µs) at rest */
  | 'timestamp'
  | 'string_list';

export type Platform = 'linux' | 'windows' | 'both';

export interface ColumnDef {
  kind: ColumnKind;
  doc: string;
  nullable: boolean;
  /** which OS fills this column; 'both' unless stated */
  platform: Platform;
}

export interface ColumnOpts {
  nullable?: boolean;
  platform?: Platform;
}

/** A column whose kind and nullability stay visible to the type system (for Row<T> inference). */
export type TypedColumn<K extends ColumnKind, N extends boolean> = ColumnDef & { kind: K; nullable: N };

function mk<K extends ColumnKind>(kind: K) {
  return <O extends ColumnOpts = {}>(doc: string, opts?: O): TypedColumn<K, O['nullable'] extends true ? true : false> =>
    ({
      kind,
      doc,
      nullable: opts?.nullable ?? false,
      platform: opts?.platform ?? 'both',
    }) as TypedColumn<K, O['nullable'] extends true ? true : false>;
}

/** Column constructors used by the catalog. */
export const col = {
  string: mk('string'),
  int32: mk('int32'),
  int64: mk('int64'),
  bool: mk('bool'),
  double: mk('double'),
  address: mk('address'),
  timestamp: mk('timestamp'),
  stringList: mk('string_list'),
};

/** zod schema of one in-memory value of the kind. */
export function zodFor(c: ColumnDef): z.ZodType {
  let t: z.ZodType;
  switch (c.kind) {
    case 'string':
      t = z.string();
      break;
    case 'int32':
      t = z.number().int().min(-2147483648).max(2147483647);
      break;
    case 'int64':
      t = z.number().int(); // counts/sizes/ids within 2^53; larger values use 'address'
      break;
    case 'bool':
      t = z.boolean();
      break;
    case 'double':
      t = z.number();
      break;
    case 'address':
      t = z.bigint().min(0n).max((1n << 64n) - 1n);
      break;
    case 'timestamp':
      t = z.date();
      break;
    case 'string_list':
      t = z.array(z.string());
      break;
  }
  return c.nullable ? t.nullable() : t;
}

/** DuckDB column type (also the Parquet logical type DuckDB writes). */
export function duckdbType(kind: ColumnKind): string {
  return {
    string: 'VARCHAR',
    int32: 'INTEGER',
    int64: 'BIGINT',
    bool: 'BOOLEAN',
    double: 'DOUBLE',
    address: 'VARCHAR',
    timestamp: 'TIMESTAMP',
    string_list: 'VARCHAR[]',
  }[kind];
}

/** Glue / Athena (Hive DDL) column type. */
export function glueType(kind: ColumnKind): string {
  return {
    string: 'string',
    int32: 'int',
    int64: 'bigint',
    bool: 'boolean',
    double: 'double',
    address: 'string',
    timestamp: 'timestamp',
    string_list: 'array<string>',
  }[kind];
}
