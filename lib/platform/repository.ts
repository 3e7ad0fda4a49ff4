// The metadata repository contract: a small record store keyed by (kind, id) with at most two
// secondary lookups per kind (declared in model.ts recordKinds). Two implementations keep to it:
// sqlite-repository.ts (embedded default, `memq serve`) and dynamo-repository.ts (cloud). Everything
// above (service.ts) is written against this interface only, so both behave the same.
import { recordKinds, type IndexField, type RecordKind, type RecordOf } from './model';

export interface MetadataRepository {
  get<K extends RecordKind>(kind: K, id: string): Promise<RecordOf<K> | null>;
  /** Inserts or replaces the record with this id. */
  put<K extends RecordKind>(kind: K, record: RecordOf<K>): Promise<void>;
  /** Inserts only if no record with this id exists; returns false when it already existed. */
  create<K extends RecordKind>(kind: K, record: RecordOf<K>): Promise<boolean>;
  delete(kind: RecordKind, id: string): Promise<void>;
  /** Records whose indexed `field` equals `value`, in id order (ids are time-ordered). At most `limit`. */
  find<K extends RecordKind>(kind: K, field: IndexField<K>, value: string, limit?: number): Promise<RecordOf<K>[]>;
  /** Every record of a kind (bounded by limit); used for small kinds only (orgs, first-run checks). */
  all<K extends RecordKind>(kind: K, limit?: number): Promise<RecordOf<K>[]>;
  close(): Promise<void>;
}

/** Upper bound of rows any single lookup returns: keeps one request's memory bounded. */
export const MAX_FIND = 10000;

/** Which index slot (0 or 1) a field occupies for a kind; throws on a field that is not indexed. */
export function indexSlot(kind: RecordKind, field: string): 0 | 1 {
  const i = (recordKinds[kind].index as readonly string[]).indexOf(field);
  if (i !== 0 && i !== 1) throw new Error(`${kind}.${field} is not an indexed field`);
  return i;
}

/** Values of the indexed fields of a record, as strings (null when absent). */
export function indexValues(kind: RecordKind, record: Record<string, unknown>): [string | null, string | null] {
  const idx = recordKinds[kind].index as readonly string[];
  const v = (f: string | undefined) => (f === undefined || record[f] == null ? null : String(record[f]));
  return [v(idx[0]), v(idx[1])];
}

/** Validates a record against its kind's schema before it is stored. */
export function checkRecord<K extends RecordKind>(kind: K, record: unknown): RecordOf<K> {
  return recordKinds[kind].schema.parse(record) as RecordOf<K>;
}
