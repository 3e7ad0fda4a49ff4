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
  /**
   * One page of the records whose indexed `field` equals `value`, NEWEST first (descending id; ids are
   * time-ordered), only those with an id below `before` when given. `next` is the cursor of the
   * following page (the last id returned), null when nothing older is left. Lists use this, so a kind
   * that keeps growing (audit events) never freezes at a lookup bound.
   */
  page<K extends RecordKind>(kind: K, field: IndexField<K>, value: string, opts: PageRequest): Promise<Page<RecordOf<K>>>;
  /** Every record of a kind (bounded by limit); used for small kinds only (orgs, first-run checks). */
  all<K extends RecordKind>(kind: K, limit?: number): Promise<RecordOf<K>[]>;
  close(): Promise<void>;
}

export interface PageRequest {
  /** at most this many (capped at MAX_PAGE) */
  limit?: number;
  /** cursor: only records with an id below this one (the `next` of the previous page) */
  before?: string;
}

export interface Page<T> {
  items: T[];
  /** where the next (older) page starts; null when this is the last */
  next: string | null;
}

/** Upper bound of one page. */
export const MAX_PAGE = 1000;

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
