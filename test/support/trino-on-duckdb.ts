// Running memq's Athena (Trino) SQL on DuckDB in tests: Trino's any_match(list, el -> p) and
// element_at(list, i) have DuckDB equivalents with the same meaning (len(list_filter(list, el -> p)) > 0
// and list_extract); regexp_like and array_join become macros over regexp_matches (both RE2) and
// array_to_string. Everything else in a statement (EXISTS, joins, LIKE … ESCAPE, IN, CAST, ORDER BY …
// NULLS LAST) runs as generated. An emulation: it checks a statement's logic, not Athena itself.
export function trinoToDuckdb(sql: string): string {
  let out = sql.replace(/\belement_at\(/g, 'list_extract(');
  for (let i = out.indexOf('any_match('); i >= 0; i = out.indexOf('any_match(')) {
    let depth = 0;
    let j = i + 'any_match'.length;
    for (; j < out.length; j++) {
      if (out[j] === '(') depth++;
      else if (out[j] === ')' && --depth === 0) break;
    }
    out = `${out.slice(0, i)}(len(list_filter${out.slice(i + 'any_match'.length, j + 1)}) > 0)${out.slice(j + 1)}`;
  }
  return out;
}

/** The macros a DuckDB connection needs before running trinoToDuckdb's output. */
export const TRINO_MACROS = [
  'CREATE OR REPLACE TEMP MACRO regexp_like(s, p) AS regexp_matches(s, p)',
  'CREATE OR REPLACE TEMP MACRO array_join(l, sep) AS array_to_string(l, sep)',
];
