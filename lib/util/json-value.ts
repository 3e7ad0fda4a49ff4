// Conversion of DuckDB result values to JSON-safe API values.

/** DuckDB JS values → JSON-safe values (BIGINT → number when exact, else string; Date → ISO). */
export function jsonValue(v: unknown): unknown {
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(jsonValue);
  if (v && typeof v === 'object') {
    // DuckDB timestamp/list wrapper values
    const o = v as { toString(): string; items?: unknown[] };
    if (Array.isArray(o.items)) return o.items.map(jsonValue);
    return o.toString();
  }
  return v;
}
