// Pages of rows bounded by serialized size as well as by row count: a Lambda response is at most 6 MB
// (API Gateway's proxy limit is 10 MB), so a page that may hold up to 100,000 wide rows is cut when its
// JSON reaches MAX_PAGE_BYTES, and the client continues at `next_offset` (the cursor every page carries).
import type { Page } from './types';
import { MAX_PAGE_BYTES } from '../model/jobs';

export { MAX_PAGE_BYTES };

const json = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x));

/** Bytes a row adds to a JSON page (its serialization plus the separating comma). */
export const rowBytes = (row: unknown): number => Buffer.byteLength(json(row)) + 1;

/**
 * rows[offset…] within `limit` rows and `maxBytes` of JSON. At least one row is returned when any remain
 * (a page always advances). `next_offset` is where the next page starts, or null when nothing is left.
 */
export function boundedSlice<T>(rows: readonly T[], offset: number, limit: number, maxBytes = MAX_PAGE_BYTES): { rows: T[]; next_offset: number | null } {
  const out: T[] = [];
  let bytes = 0;
  let i = Math.max(0, offset);
  for (; i < rows.length && out.length < limit; i++) {
    const n = rowBytes(rows[i]);
    if (out.length > 0 && bytes + n > maxBytes) break;
    out.push(rows[i]!);
    bytes += n;
  }
  return { rows: out, next_offset: i < rows.length ? i : null };
}

/** The cursor of a page computed from its position when a data plane did not set one. */
export function nextOffsetOf(page: Page): number | null {
  if (page.next_offset !== undefined) return page.next_offset;
  const end = page.offset + page.rows.length;
  return page.total !== null && end < page.total && page.rows.length > 0 ? end : null;
}
