// SQL generation from the typed tree for two dialects: DuckDB (local store) and Athena (Trino).
// Both get the same statement shape; only a few functions differ (regex, "some list element",
// list indexing). Every user value is a positional `?` parameter, in text order; the only
// numbers written into the text are LIMIT (an integer the parser produced) and nothing else.
//
// Semantics implemented here (documented in lib/query/README.md, "Semantics"):
// - the FROM row is the object (its primary sub-object's table), alias o;
// - a condition on another sub-object is EXISTS over that sub-object's rows joined by the catalog
//   join keys plus the partition keys (project, machine, snapshot);
// - within one && chain, all operands that are element formulas on the same sub-object
//   (conditions on it combined only with && / ||) share one EXISTS: one element satisfies them all;
// - `!` negates the object-level statement: !(EXISTS …) is "no element …";
// - conditions on nullable columns are two-valued: null satisfies no positive operator and every
//   negated one.
import type { ColumnKind, TableName } from '../model';
import { partitionKeys } from '../model';
import type { BoundValue, FieldRef, TypedAtom, TypedExpr, TypedQuery } from './ast';
import { MemqError } from '../util/errors';

export type Dialect = 'duckdb' | 'athena';

/** Which stored snapshots a query covers; undefined = all, [] = none. */
export interface Scope {
  projects?: string[];
  machines?: string[];
  snapshots?: string[];
}

export interface CompileOptions {
  dialect: Dialect;
  scope?: Scope;
  /** Athena/Glue database; table references become "<database>"."<table>" */
  database?: string;
}

export interface OutputColumn {
  /** key of the column in result rows */
  name: string;
  kind: ColumnKind;
  /** full path (object.sub_object.field), or the partition key name */
  path: string;
}

export interface CompiledQuery {
  sql: string;
  /** positional parameters, one per `?` in order */
  params: BoundValue[];
  /** the kind of each parameter (DuckDB binds with these types; Athena renders literals) */
  paramKinds: ColumnKind[];
  /** project, machine, snapshot, then the selected fields */
  columns: OutputColumn[];
  /** the top-level object the query selects */
  object: string;
}

export interface DialectOps {
  regex(x: string, p: string): string;
  /** list of strings → one string, elements separated by newlines */
  joinList(x: string): string;
  /** true when some element `el` of list `list` satisfies `pred` */
  anyElement(list: string, pred: (el: string) => string): string;
  listIndex(list: string, i: string): string;
}

export const dialects: Record<Dialect, DialectOps> = {
  duckdb: {
    regex: (x, p) => `regexp_matches(${x}, ${p})`,
    joinList: (x) => `array_to_string(${x}, chr(10))`,
    anyElement: (list, pred) => `len(list_filter(${list}, lambda el: ${pred('el')})) > 0`,
    listIndex: (list, i) => `list_extract(${list}, ${i})`,
  },
  athena: {
    regex: (x, p) => `regexp_like(${x}, ${p})`,
    joinList: (x) => `array_join(${x}, chr(10))`,
    anyElement: (list, pred) => `any_match(${list}, el -> ${pred('el')})`,
    listIndex: (list, i) => `element_at(${list}, ${i})`,
  },
};

const q = (id: string) => `"${id}"`;

/** Escapes LIKE metacharacters with backslash (the statement says ESCAPE '\'). */
export function likeEscape(s: string): string {
  return s.replace(/[\\%_]/g, (c) => '\\' + c);
}

export function generateSql(tq: TypedQuery, opts: CompileOptions): CompiledQuery {
  return new SqlGen(tq, opts).run();
}

class SqlGen {
  private readonly params: BoundValue[] = [];
  private readonly paramKinds: ColumnKind[] = [];
  private aliasCount = 0;
  private readonly d: DialectOps;
  private readonly primary: string;

  constructor(
    private readonly tq: TypedQuery,
    private readonly opts: CompileOptions,
  ) {
    this.d = dialects[opts.dialect];
    if (!this.d) throw new MemqError(`unknown SQL dialect "${opts.dialect}" (duckdb or athena)`, 'E_USAGE');
    if (opts.database !== undefined && !/^[a-z_][a-z0-9_]*$/.test(opts.database))
      throw new MemqError(`bad database name "${opts.database}" (lower-case snake_case)`, 'E_USAGE');
    this.primary = tq.objectDef.primary;
  }

  private bind(v: BoundValue, kind: ColumnKind): string {
    this.params.push(v);
    this.paramKinds.push(kind);
    return '?';
  }

  private table(t: TableName): string {
    return this.opts.database ? `${q(this.opts.database)}.${q(t)}` : q(t);
  }

  private alias(prefix: string): string {
    return `${prefix}${++this.aliasCount}`;
  }

  run(): CompiledQuery {
    const tq = this.tq;
    const od = tq.objectDef;
    // One LEFT JOIN per non-primary sub-object that select or order reads.
    const joinSubs = [...new Set([...tq.select, ...tq.order.map((o) => o.field)].filter((f) => !f.isPrimary).map((f) => f.sub))];
    const joinAlias = new Map(joinSubs.map((s) => [s, this.alias('j')]));
    const aliasOf = (f: FieldRef) => (f.isPrimary ? 'o' : joinAlias.get(f.sub)!);

    const columns: OutputColumn[] = partitionKeys.map((k) => ({ name: k, kind: 'string' as ColumnKind, path: k }));
    const selectExprs = partitionKeys.map((k) => `o.${q(k)}`);
    const names = outputNames(tq.select);
    const seen = new Set<string>(partitionKeys);
    tq.select.forEach((f, i) => {
      if (seen.has(names[i])) return;
      seen.add(names[i]);
      columns.push({ name: names[i], kind: f.kind, path: f.text });
      selectExprs.push(`${this.colExpr(f, aliasOf(f))} AS ${q(names[i])}`);
    });

    const primaryTable = od.subObjects[this.primary].table;
    let sql = `SELECT ${selectExprs.join(', ')}\nFROM ${this.table(primaryTable)} AS o`;
    for (const s of joinSubs) {
      const sd = od.subObjects[s];
      const a = joinAlias.get(s)!;
      const on = [this.joinKeys(s, a), ...this.scopeFilter(a)];
      if (sd.cardinality === 'many') {
        const group = this.topLevelGroup(s);
        if (group.length) on.push(group.map((e) => this.element(e, a)).join(' AND '));
      }
      sql += `\nLEFT JOIN ${this.table(sd.table)} AS ${a} ON ${on.join(' AND ')}`;
    }
    const where = [...this.scopeFilter('o')];
    if (tq.where) where.push(this.paren(this.expr(tq.where), tq.where));
    if (where.length) sql += `\nWHERE ${where.join('\n  AND ')}`;

    // aggregation wraps the plain query (no ORDER BY inside: its sort keys would bind parameters)
    if (tq.aggregate) return this.aggregated(sql, columns.slice(partitionKeys.length));
    const order: string[] = tq.order.map((o) => `${this.colExpr(o.field, aliasOf(o.field))} ${o.desc ? 'DESC' : 'ASC'} NULLS LAST`);
    for (const k of partitionKeys) order.push(`o.${q(k)} ASC NULLS LAST`);
    for (const k of tq.objectDef.naturalOrder ?? []) order.push(`o.${q(k)} ASC NULLS LAST`);
    for (const f of tq.select) if (f.kind !== 'string_list') order.push(`${this.colExpr(f, aliasOf(f))} ASC NULLS LAST`);
    // drop repeated sort keys, but keep any with a parameter: its value was bound once per use
    const keys = order.filter((k, i) => k.includes('?') || order.indexOf(k) === i);
    sql += `\nORDER BY ${keys.join(', ')}`;
    if (tq.limit !== undefined) sql += `\nLIMIT ${Math.trunc(tq.limit)}`;
    return { sql, params: this.params, paramKinds: this.paramKinds, columns, object: tq.object };
  }

  /**
   * Aggregation over the plain query's rows (same-element semantics untouched): grouped by the
   * selected fields across every snapshot in scope, with count(*) as an integer column. Ordered by
   * count (desc unless `order by count asc`), then the user's order fields, then the groups.
   */
  private aggregated(inner: string, groups: OutputColumn[]): CompiledQuery {
    const tq = this.tq;
    const agg = tq.aggregate!;
    const names = outputNames(tq.select);
    const cols = groups.map((c) => `t.${q(c.name)}`);
    const select = [...cols];
    const columns: OutputColumn[] = [...groups];
    if (agg.count) {
      select.push(`CAST(count(*) AS INTEGER) AS "count"`);
      columns.push({ name: 'count', kind: 'int32', path: 'count(*)' });
    }
    let sql = `SELECT ${select.join(', ')}\nFROM (\n${inner}\n) AS t`;
    if (cols.length) sql += `\nGROUP BY ${cols.join(', ')}`;
    const order: string[] = [];
    if (agg.countOrder && cols.length) order.push(`count(*) ${agg.countOrder === 'desc' ? 'DESC' : 'ASC'}`);
    for (const o of tq.order) order.push(`t.${q(names[tq.select.findIndex((f) => f.text === o.field.text)])} ${o.desc ? 'DESC' : 'ASC'} NULLS LAST`);
    for (const c of cols) order.push(`${c} ASC NULLS LAST`);
    const keys = order.filter((k, i) => order.indexOf(k) === i);
    if (keys.length) sql += `\nORDER BY ${keys.join(', ')}`;
    if (tq.limit !== undefined) sql += `\nLIMIT ${Math.trunc(tq.limit)}`;
    return { sql, params: this.params, paramKinds: this.paramKinds, columns, object: tq.object };
  }

  private colExpr(f: FieldRef, alias: string): string {
    const c = `${alias}.${q(f.field)}`;
    if (f.index === undefined) return c;
    return this.d.listIndex(c, this.bind(f.index >= 0 ? f.index + 1 : f.index, 'int32'));
  }

  private joinKeys(sub: string, alias: string): string {
    const sd = this.tq.objectDef.subObjects[sub];
    if (!sd.join.length) throw new Error(`catalog: sub-object ${this.tq.object}.${sub} has no join keys`);
    const keys = partitionKeys.map((k) => `${alias}.${q(k)} = o.${q(k)}`);
    for (const [pc, sc] of sd.join) keys.push(`${alias}.${q(sc)} = o.${q(pc)}`);
    return keys.join(' AND ');
  }

  private scopeFilter(alias: string): string[] {
    const s = this.opts.scope ?? {};
    const out: string[] = [];
    const lists: [string, string[] | undefined][] = [
      ['project', s.projects],
      ['machine', s.machines],
      ['snapshot', s.snapshots],
    ];
    for (const [key, vals] of lists) {
      if (vals === undefined) continue;
      if (!Array.isArray(vals) || vals.some((v) => typeof v !== 'string')) throw new MemqError(`scope ${key}s must be a list of strings`, 'E_USAGE');
      if (vals.length === 0) out.push('FALSE');
      else out.push(`${alias}.${q(key)} IN (${vals.map((v) => this.bind(v, 'string')).join(', ')})`);
    }
    return out;
  }

  /** the sub-object an expression is an element formula of (atoms on it joined by && / ||), if any */
  private elementSub(e: TypedExpr): string | null {
    switch (e.kind) {
      case 'not':
        return null;
      case 'and':
      case 'or': {
        const subs = new Set(e.items.map((x) => this.elementSub(x)));
        if (subs.size !== 1) return null;
        return [...subs][0];
      }
      default:
        return e.field.sub;
    }
  }

  /** the operands of the top-level && chain that are element formulas on `sub` */
  private topLevelGroup(sub: string): TypedExpr[] {
    const w = this.tq.where;
    if (!w) return [];
    if (this.elementSub(w) === sub) return [w];
    if (w.kind !== 'and') return [];
    return flattenAnd(w).filter((x) => this.elementSub(x) === sub);
  }

  private paren(sql: string, e: TypedExpr): string {
    return e.kind === 'and' || e.kind === 'or' ? `(${sql})` : sql;
  }

  /** object-level condition (alias o) */
  private expr(e: TypedExpr): string {
    const s = this.elementSub(e);
    if (s !== null && s !== this.primary) return this.exists(s, [e]);
    switch (e.kind) {
      case 'and': {
        const parts: ({ group: string } | { item: TypedExpr })[] = [];
        const groups = new Map<string, TypedExpr[]>();
        for (const item of flattenAnd(e)) {
          const is = this.elementSub(item);
          if (is !== null && is !== this.primary) {
            if (!groups.has(is)) {
              groups.set(is, []);
              parts.push({ group: is });
            }
            groups.get(is)!.push(item);
          } else parts.push({ item });
        }
        return parts.map((p) => ('group' in p ? this.exists(p.group, groups.get(p.group)!) : this.paren(this.expr(p.item), p.item))).join(' AND ');
      }
      case 'or':
        return e.items.map((x) => this.paren(this.expr(x), x)).join(' OR ');
      case 'not':
        return `NOT (${this.expr(e.expr)})`;
      default:
        return this.atom(e, 'o');
    }
  }

  private exists(sub: string, items: TypedExpr[]): string {
    const sd = this.tq.objectDef.subObjects[sub];
    const a = this.alias('e');
    const conds = [this.joinKeys(sub, a), ...this.scopeFilter(a), ...items.map((x) => this.paren(this.element(x, a), x))];
    return `EXISTS (SELECT 1 FROM ${this.table(sd.table)} AS ${a} WHERE ${conds.join(' AND ')})`;
  }

  /** element formula on one row of a sub-object (alias a) */
  private element(e: TypedExpr, a: string): string {
    switch (e.kind) {
      case 'and':
        return e.items.map((x) => this.paren(this.element(x, a), x)).join(' AND ');
      case 'or':
        return e.items.map((x) => this.paren(this.element(x, a), x)).join(' OR ');
      case 'not':
        throw new Error('internal: ! inside an element formula');
      default:
        return this.atom(e, a);
    }
  }

  private atom(at: TypedAtom, alias: string): string {
    const f = at.field;
    const c = this.colExpr(f, alias);
    switch (at.kind) {
      case 'bool':
        return f.nullable ? `COALESCE(${c}, FALSE)` : c;
      case 'null':
        return `${c} IS ${at.negated ? 'NOT ' : ''}NULL`;
      case 'fields': {
        // same row (primary / 1:1) or same element (1:N): both columns under one alias
        const d = this.colExpr(at.other, alias);
        const sym = { eq: '=', lt: '<', le: '<=', gt: '>', ge: '>=' }[at.op.base as 'eq' | 'lt' | 'le' | 'gt' | 'ge'];
        const pos = at.op.insensitive ? `lower(${c}) ${sym} lower(${d})` : `${c} ${sym} ${d}`;
        if (f.nullable || at.other.nullable) return at.op.negated ? `NOT COALESCE(${pos}, FALSE)` : `COALESCE(${pos}, FALSE)`;
        return at.op.negated ? `NOT (${pos})` : pos;
      }
      default:
        break;
    }
    const elemKind: ColumnKind = at.listElements ? 'string' : f.kind;
    const pred = (x: string) => this.predicate(x, at, elemKind);
    // `!=` on a plain non-null column reads best as <>
    if (at.kind === 'cmp' && at.op.base === 'eq' && at.op.negated && !at.op.insensitive && !at.listElements && !f.nullable)
      return `${c} <> ${this.valueExpr(at.value, elemKind)}`;
    const pos = at.listElements ? this.d.anyElement(c, pred) : pred(c);
    if (f.nullable) return at.op.negated ? `NOT COALESCE(${pos}, FALSE)` : `COALESCE(${pos}, FALSE)`;
    return at.op.negated ? `NOT (${pos})` : pos;
  }

  private valueExpr(v: BoundValue, kind: ColumnKind): string {
    const p = this.bind(v, kind);
    return kind === 'timestamp' ? `CAST(${p} AS TIMESTAMP)` : p;
  }

  /** the positive predicate of a comparison on value expression x */
  private predicate(x: string, at: Extract<TypedAtom, { kind: 'cmp' | 'in' }>, kind: ColumnKind): string {
    const ci = at.op.insensitive;
    const lx = ci ? `lower(${x})` : x;
    const val = (v: BoundValue) => (ci ? `lower(${this.valueExpr(v, kind)})` : this.valueExpr(v, kind));
    if (at.kind === 'in') return `${lx} IN (${at.values.map(val).join(', ')})`;
    const v = at.value;
    switch (at.op.base) {
      case 'eq':
        return `${lx} = ${val(v)}`;
      case 'lt':
        return `${x} < ${val(v)}`;
      case 'le':
        return `${x} <= ${val(v)}`;
      case 'gt':
        return `${x} > ${val(v)}`;
      case 'ge':
        return `${x} >= ${val(v)}`;
      case 'contains':
        return `${lx} LIKE ${val('%' + likeEscape(v as string) + '%')} ESCAPE '\\'`;
      case 'startswith':
        return `${lx} LIKE ${val(likeEscape(v as string) + '%')} ESCAPE '\\'`;
      case 'endswith':
        return `${lx} LIKE ${val('%' + likeEscape(v as string))} ESCAPE '\\'`;
      case 'matches':
        // case-insensitivity is already in the pattern as (?i), understood by RE2 and Java regex
        return this.d.regex(x, this.bind(v, 'string'));
      case 'in':
        throw new Error('unreachable');
    }
  }
}

function flattenAnd(e: TypedExpr): TypedExpr[] {
  return e.kind === 'and' ? e.items.flatMap(flattenAnd) : [e];
}

/**
 * result column names: the field name for the object's own (primary) fields and 1:N elements, or
 * sub_object.field where two selected fields share a name; a 1:1 sub-object's field always keeps its
 * sub-object (parent_object.exe_path, process_object.name for a socket's owner), so a header never
 * passes another object's field off as this one's
 */
function outputNames(select: FieldRef[]): string[] {
  const base = select.map((f) => f.field + (f.index !== undefined ? `[${f.index}]` : ''));
  const count = new Map<string, Set<string>>();
  select.forEach((f, i) => {
    if (!count.has(base[i])) count.set(base[i], new Set());
    count.get(base[i])!.add(f.sub);
  });
  return select.map((f, i) => {
    const oneToOne = !f.isPrimary && f.subDef.cardinality === 'one';
    const n = oneToOne || count.get(base[i])!.size > 1 || (partitionKeys as readonly string[]).includes(base[i]) ? `${f.sub}.${base[i]}` : base[i];
    return n;
  });
}
