// Public face of the query layer: compileQuery (text → checked, typed query → SQL for DuckDB or
// Athena with bound parameters), the error type, and catalog-derived helpers for editors.
import { parseQuery } from './parser';
import { checkQuery } from './checker';
import { generateSql, type CompileOptions, type CompiledQuery } from './sql';
import type { TypedQuery } from './ast';

export { QueryError, caretSnippet } from './errors';
export type { Scope, Dialect, CompileOptions, CompiledQuery, OutputColumn } from './sql';
export { likeEscape } from './sql';
export type { TypedQuery, FieldRef, BoundValue } from './ast';
export { completePath, describeObject, objectNames, allPaths } from './catalog-view';
export { keywords, wordOperators } from './parser';

/** Parses and type-checks a query against the catalog (throws QueryError). */
export function checkQueryText(text: string): TypedQuery {
  return checkQuery(text, parseQuery(text));
}

/** Compiles a query to SQL for one dialect. Throws QueryError (a MemqError) on any user mistake. */
export function compileQuery(text: string, opts: CompileOptions): CompiledQuery {
  return generateSql(checkQueryText(text), opts);
}
export { compileBrowse, type BrowseSpec, type CompiledBrowse } from './browse';
