// Amazon EventBridge event-pattern matching for the forms memq's rules use: a field's value list
// matches when the event value equals one of them; {prefix}, {suffix}, {anything-but}, {exists} and
// {equals-ignore-case} objects in the list; nested objects match recursively; every field of the
// pattern must match (AND), values within a list are alternatives (OR).
type Pattern = Record<string, unknown>;

function matchValue(rule: unknown, v: unknown): boolean {
  if (rule === null || typeof rule !== 'object') return v === rule;
  const r = rule as Record<string, unknown>;
  if ('prefix' in r) return typeof v === 'string' && v.startsWith(String(r.prefix));
  if ('suffix' in r) return typeof v === 'string' && v.endsWith(String(r.suffix));
  if ('equals-ignore-case' in r) return typeof v === 'string' && v.toLowerCase() === String(r['equals-ignore-case']).toLowerCase();
  if ('exists' in r) return (v !== undefined) === Boolean(r.exists);
  if ('anything-but' in r) {
    const ab = r['anything-but'];
    return !(Array.isArray(ab) ? ab : [ab]).some((x) => matchValue(x, v));
  }
  throw new Error(`event pattern operator ${Object.keys(r).join(',')} is not supported by the rehearsal`);
}

export function matchesPattern(pattern: unknown, event: unknown): boolean {
  if (!pattern || typeof pattern !== 'object') return false;
  for (const [k, rule] of Object.entries(pattern as Pattern)) {
    const v = (event as Record<string, unknown> | undefined)?.[k];
    if (Array.isArray(rule)) {
      const vs = Array.isArray(v) ? v : [v];
      if (!rule.some((r) => vs.some((x) => matchValue(r, x)))) return false;
    } else if (rule && typeof rule === 'object') {
      if (!v || typeof v !== 'object' || !matchesPattern(rule, v)) return false;
    } else return false;
  }
  return true;
}
