// Type checker: resolves every path of the syntax tree against the catalog, checks operators
// against column kinds, converts literals to the values that will be bound as parameters
// (addresses → '0x'+16 hex, timestamps → UTC text), validates regexes with RE2's own parser, and
// produces the typed tree. All errors are QueryError with position and suggestions.
import { RE2JS } from 're2js';
import type { ColumnKind } from '../model';
import { addr } from '../util/hex';
import type { BoundValue, ExprNode, FieldRef, Literal, OpNode, PathNode, QueryNode, TypedAtom, TypedExpr, TypedQuery } from './ast';
import { columnDef, fieldsOf, objectDef, objectNames, subDef, subsWithField, allPaths } from './catalog-view';
import { didYouMean, queryError } from './errors';

export const kindNames: Record<ColumnKind, string> = {
  string: 'a string',
  int32: 'a whole number (int32)',
  int64: 'a whole number (int64)',
  double: 'a number',
  bool: 'a boolean',
  address: 'an address',
  timestamp: 'a timestamp',
  string_list: 'a list of strings',
};

const INT32 = [-(2n ** 31n), 2n ** 31n - 1n];
const INT64 = [-(2n ** 63n), 2n ** 63n - 1n];
const ADDR_MAX = 2n ** 64n - 1n;

/**
 * Names analysts type from Volatility, ps/procfs and SQL habits → the catalog field they mean.
 * "Did you mean" ranks these first (before edit-distance neighbours such as gid/uid for pid).
 */
export const HABIT_NAMES: Record<string, string[]> = {
  pid: ['process_id'],
  tgid: ['process_id'],
  uniqueprocessid: ['process_id'],
  ppid: ['parent_process_id'],
  parent_pid: ['parent_process_id'],
  inheritedfromuniqueprocessid: ['parent_process_id'],
  tid: ['thread_id'],
  comm: ['name'],
  imagefilename: ['name'],
  process_name: ['name'],
  cmdline: ['command_line', 'argv'],
  cmd: ['command_line', 'argv'],
  args: ['argv', 'command_line'],
  commandline: ['command_line'],
  exe: ['exe_path'],
  path: ['exe_path', 'file_name'],
  offset: ['object_address'],
  offset_v: ['object_address'],
  offset_p: ['object_address'],
  addr: ['object_address', 'address'],
  createtime: ['create_time'],
  exittime: ['exit_time'],
  threads: ['thread_count'],
  wow64: ['is_wow64'],
  sessionid: ['session_id'],
  session: ['session_id'],
  lport: ['local_port'],
  rport: ['remote_port'],
  laddr: ['local_address'],
  raddr: ['remote_address'],
  localaddr: ['local_address'],
  foreignaddr: ['remote_address'],
  foreignport: ['remote_port'],
  proto: ['protocol'],
  dllbase: ['base'],
  sizeofimage: ['size'],
  fullname: ['path'],
};

/** habit names for `name` that exist among `fields`, in their order of preference */
export function habitSuggestions(name: string, fields: Iterable<string>): string[] {
  const have = new Set(fields);
  return (HABIT_NAMES[name.toLowerCase()] ?? []).filter((f) => have.has(f));
}

export function checkQuery(text: string, q: QueryNode): TypedQuery {
  return new Checker(text).check(q);
}

class Checker {
  private object?: string;
  private objectPos = 0;

  constructor(private readonly text: string) {}

  private fail(pos: number, detail: string, suggestions: string[] = []): never {
    throw queryError(this.text, pos, detail, suggestions);
  }

  check(q: QueryNode): TypedQuery {
    if (q.object) {
      this.setObject(q.object.name, q.object.pos);
    }
    const firstPath = q.select?.[0] ?? firstPathOf(q.where) ?? q.groupBy?.[0];
    if (firstPath) this.setObject(firstPath.parts[0].name, firstPath.parts[0].pos, firstPath);
    if (this.object === undefined) this.fail(0, 'count(*) alone names no object: add a condition (select count(*) where process.process_object.process_id > 0)');
    const object = this.object!;
    const od = objectDef(object)!;

    let select: FieldRef[];
    if (q.select) {
      select = q.select.flatMap((p) => this.selectItem(p));
    } else {
      select = od.defaultColumns.map((dc) => {
        const [sub, field] = dc.split('.');
        return this.ref(object, sub, field, undefined, 0);
      });
    }
    const manySubs = [...new Set(select.filter((f) => f.subDef.cardinality === 'many').map((f) => f.sub))];
    if (manySubs.length > 1) {
      const second = q.select?.find((p) => p.parts[1]?.name === manySubs[1]);
      this.fail(second?.pos ?? 0, `select fields of at most one 1:N sub-object (${manySubs.join(' and ')} would multiply rows)`);
    }
    const where = q.where ? this.expr(q.where) : undefined;
    const order = q.order.map((o) => {
      const field = this.path(o.path);
      if (field.subDef.cardinality === 'many' && !manySubs.includes(field.sub))
        this.fail(o.path.pos, `order by ${field.text}: a 1:N sub-object field can only order rows when it is also selected`);
      if (field.kind === 'string_list') this.fail(o.path.pos, `order by ${field.text}: lists cannot be ordered`);
      return { field, desc: o.desc };
    });
    const out: TypedQuery = { object, objectDef: od, select, where, order, limit: q.limit?.value };
    if (q.count || q.distinct || q.groupBy) out.aggregate = this.aggregate(q, select, order);
    else if (q.orderByCount) this.fail(q.orderByCount.pos, '"order by count" needs count(*) in the select list');
    return out;
  }

  /** group by = the selected fields (written or implied); order only by them or by count */
  private aggregate(q: QueryNode, select: FieldRef[], order: TypedQuery['order']): NonNullable<TypedQuery['aggregate']> {
    const pos = q.count?.pos ?? q.distinct?.pos ?? q.groupBy![0].pos;
    if (!q.select?.length && !q.count) this.fail(pos, 'aggregation needs fields to group by or count(*)');
    if (!q.select?.length && q.groupBy) this.fail(q.groupBy[0].pos, 'group by: select the grouped fields too (select <fields>, count(*) … group by <fields>)');
    for (const f of select) if (f.kind === 'string_list') this.fail(pos, `${f.text} is a list: lists cannot be grouped (select an element, e.g. ${f.text}[0])`);
    if (q.groupBy) {
      const grouped = q.groupBy.map((p) => this.path(p).text);
      const selected = select.map((f) => f.text);
      const extra = grouped.find((g) => !selected.includes(g));
      if (extra) this.fail(q.groupBy[grouped.indexOf(extra)].pos, `group by ${extra}: select it too (the result has one row per group of the selected fields)`);
      const missing = selected.find((s) => !grouped.includes(s));
      if (missing) this.fail(q.groupBy[0].pos, `${missing} is selected but not grouped: group by every selected field`);
    }
    for (const o of order) if (!select.some((f) => f.text === o.field.text)) this.fail(0, `order by ${o.field.text}: with aggregation, order by selected fields or count`);
    if (q.orderByCount && !q.count) this.fail(q.orderByCount.pos, '"order by count" needs count(*) in the select list');
    return { count: Boolean(q.count), countOrder: q.orderByCount ? (q.orderByCount.desc ? 'desc' : 'asc') : q.count ? 'desc' : undefined };
  }

  private setObject(name: string, pos: number, path?: PathNode): void {
    if (!objectDef(name)) {
      const all = allPaths();
      if (path && path.parts.length === 1) {
        // a bare field name: point at full paths that end with it
        const wanted = [name, ...(HABIT_NAMES[name.toLowerCase()] ?? [])];
        const hits = wanted.flatMap((w) => all.filter((p) => p.endsWith('.' + w)));
        if (hits.length) this.fail(pos, `"${name}" is not an object; paths are <object>.<sub_object>.<field>`, hits.slice(0, 3));
      }
      this.fail(pos, `unknown object "${name}"; objects are ${objectNames().join(', ')}`, didYouMean(name, objectNames()));
    }
    if (this.object === undefined) {
      this.object = name;
      this.objectPos = pos;
    } else if (this.object !== name) {
      this.fail(pos, `a query selects one kind of object: "${this.object}" (column ${this.objectPos + 1}) and "${name}" cannot be mixed`);
    }
  }

  private selectItem(p: PathNode): FieldRef[] {
    if (p.star) {
      this.setObject(p.parts[0].name, p.parts[0].pos);
      const od = objectDef(p.parts[0].name)!;
      if (p.parts.length > 2) this.fail(p.pos, '"*" stands for all fields of an object or sub-object: process.* or process.vad_object.*');
      const sub = p.parts.length === 2 ? p.parts[1] : { name: od.primary, pos: p.pos };
      const sd = this.sub(od, p.parts[0].name, sub.name, sub.pos);
      return Object.keys(fieldsOf(sd)).map((f) => this.ref(p.parts[0].name, sub.name, f, undefined, p.pos));
    }
    return [this.path(p)];
  }

  /** resolves a written path to a field reference */
  private path(p: PathNode): FieldRef {
    const [o, s, f] = p.parts;
    this.setObject(o.name, o.pos, p);
    const od = objectDef(o.name)!;
    if (!s) {
      this.fail(p.end, `"${o.name}" needs a sub-object and a field: ${o.name}.<sub_object>.<field>`, Object.keys(od.subObjects).map((x) => `${o.name}.${x}`).slice(0, 3));
    }
    if (!f) {
      if (!subDef(od, s.name)) {
        const subs = subsWithField(od, s.name);
        if (subs.length) this.fail(s.pos, `"${s.name}" is a field: write <object>.<sub_object>.<field>`, subs.map((x) => `${o.name}.${x}.${s.name}`).slice(0, 3));
        const habits = (HABIT_NAMES[s.name.toLowerCase()] ?? []).flatMap((f) => subsWithField(od, f).map((x) => `${o.name}.${x}.${f}`));
        if (habits.length) this.fail(s.pos, `"${s.name}" is not a field of ${o.name}; paths are <object>.<sub_object>.<field>`, habits.slice(0, 3));
      }
      this.sub(od, o.name, s.name, s.pos);
      this.fail(p.end, `${o.name}.${s.name} needs a field: ${o.name}.${s.name}.<field>`);
    }
    this.sub(od, o.name, s.name, s.pos);
    return this.ref(o.name, s.name, f.name, p.index, f.pos);
  }

  private sub(od: NonNullable<ReturnType<typeof objectDef>>, o: string, s: string, pos: number) {
    const sd = subDef(od, s);
    if (!sd) {
      const asField = subsWithField(od, s).map((x) => `${o}.${x}.${s}`);
      this.fail(pos, `unknown sub-object "${s}" of ${o}; it has ${Object.keys(od.subObjects).join(', ')}`, [
        ...didYouMean(s, Object.keys(od.subObjects)),
        ...asField,
      ].slice(0, 3));
    }
    return sd;
  }

  private ref(o: string, s: string, f: string, index: { value: number; pos: number } | undefined, pos: number): FieldRef {
    const od = objectDef(o)!;
    const sd = subDef(od, s)!;
    const c = columnDef(sd, f);
    if (!c) {
      const elsewhere = subsWithField(od, f).map((x) => `${x}.${f}`);
      const fields = Object.keys(fieldsOf(sd));
      const habits = habitSuggestions(f, fields);
      const habitsElsewhere = (HABIT_NAMES[f.toLowerCase()] ?? []).filter((h) => !fields.includes(h)).flatMap((h) => subsWithField(od, h).map((x) => `${x}.${h}`));
      const ranked = [...new Set([...habits, ...habitsElsewhere, ...didYouMean(f, fields), ...elsewhere])];
      const known = habits.length ? ` (memq calls it ${habits.map((h) => `"${h}"`).join(' or ')})` : '';
      this.fail(pos, `unknown field "${f}" of ${o}.${s}${known}`, ranked.slice(0, 3));
    }
    if (index && c.kind !== 'string_list') this.fail(index.pos, `${o}.${s}.${f} is ${kindNames[c.kind]}, not a list: [ ] indexes lists only`);
    return {
      object: o,
      objectDef: od,
      sub: s,
      subDef: sd,
      isPrimary: s === od.primary,
      field: f,
      column: c,
      index: index?.value,
      kind: index ? 'string' : c.kind,
      nullable: c.nullable || index !== undefined,
      text: `${o}.${s}.${f}` + (index ? `[${index.value}]` : ''),
    };
  }

  private expr(e: ExprNode): TypedExpr {
    switch (e.kind) {
      case 'and':
        return { kind: 'and', items: e.items.map((x) => this.expr(x)) };
      case 'or':
        return { kind: 'or', items: e.items.map((x) => this.expr(x)) };
      case 'not':
        return { kind: 'not', expr: this.expr(e.expr) };
      case 'cond':
        return e.other && e.op ? this.fieldCond(e.path, e.op, e.other) : this.cond(e.path, e.op, e.value);
    }
  }

  private cond(p: PathNode, op: OpNode | undefined, value: Literal | undefined): TypedAtom {
    const field = this.path(p);
    if (!op || !value) {
      if (field.kind !== 'bool')
        this.fail(p.end, `${field.text} is ${kindNames[field.kind]}: compare it (==, contains, …); only boolean fields stand alone`);
      return { kind: 'bool', field };
    }
    const k = field.kind;
    const isList = k === 'string_list';
    const isText = k === 'string' || isList;
    if (value.kind === 'null') {
      if (op.base !== 'eq' || op.insensitive) this.fail(op.pos, `null can only be tested with == null or != null`);
      return { kind: 'null', field, negated: op.negated };
    }
    if (op.insensitive && !isText) this.fail(op.pos, `"${op.text}" compares text case-insensitively, but ${field.text} is ${kindNames[k]}`);
    switch (op.base) {
      case 'lt':
      case 'le':
      case 'gt':
      case 'ge':
        if (k === 'bool' || isList) this.fail(op.pos, `"${op.text}" does not apply to ${field.text}, which is ${kindNames[k]}`);
        break;
      case 'contains':
      case 'startswith':
      case 'endswith':
      case 'matches':
        if (!isText)
          this.fail(op.pos, `"${op.text}" applies to strings, but ${field.text} is ${kindNames[k]}${k === 'address' ? ' (compare addresses with == < > …)' : ''}`);
        break;
      default:
        break;
    }
    const elemKind: ColumnKind = isList ? 'string' : k;
    if (op.base === 'in') {
      if (value.kind !== 'list') this.fail(value.pos, 'expected a list [ … ] after "in"');
      const values = value.items.map((it) => this.convert(it, elemKind, field));
      return { kind: 'in', field, op, values, listElements: isList };
    }
    let v = this.convert(value, elemKind, field);
    if (op.base === 'matches') {
      v = this.regex(v as string, value, op.insensitive);
    }
    return { kind: 'cmp', field, op, value: v, listElements: isList };
  }

  /** field op field: both of one sub-object, same kind, a comparison operator */
  private fieldCond(p: PathNode, op: OpNode, o: PathNode): TypedAtom {
    const field = this.path(p);
    const other = this.path(o);
    if (field.sub !== other.sub)
      this.fail(o.pos, `${field.text} and ${other.text} are in different sub-objects: fields are compared on one row, so both must be of ${field.object}.${field.sub} (or both of ${other.object}.${other.sub})`);
    if (field.kind === 'string_list' || other.kind === 'string_list') this.fail(o.pos, 'lists cannot be compared with another field (compare an element: argv[0])');
    const num = (k: string) => k === 'int32' || k === 'int64' || k === 'double';
    if (field.kind !== other.kind && !(num(field.kind) && num(other.kind)))
      this.fail(o.pos, `type mismatch: ${field.text} is ${kindNames[field.kind]}, but ${other.text} is ${kindNames[other.kind]}`);
    if (!['eq', 'lt', 'le', 'gt', 'ge'].includes(op.base)) this.fail(op.pos, `"${op.text}" compares with a value; between two fields use == != < <= > >= (or =~ !~ for text)`);
    if (op.insensitive && field.kind !== 'string') this.fail(op.pos, `"${op.text}" compares text case-insensitively, but ${field.text} is ${kindNames[field.kind]}`);
    if (op.base !== 'eq' && field.kind === 'bool') this.fail(op.pos, `"${op.text}" does not apply to ${field.text}, which is ${kindNames[field.kind]}`);
    return { kind: 'fields', field, op, other };
  }

  /** converts a literal to the bound value for a field of kind `k` */
  private convert(l: Literal, k: ColumnKind, field: FieldRef): BoundValue {
    const mismatch = (): never =>
      this.fail(l.pos, `type mismatch: ${field.text} is ${kindNames[field.kind]}, but ${describeLiteral(l)} is ${literalKindName(l)}`);
    switch (k) {
      case 'string':
        if (l.kind !== 'string') mismatch();
        return (l as { value: string }).value;
      case 'int32':
      case 'int64': {
        if (l.kind !== 'number') mismatch();
        const n = (l as { value: bigint | number }).value;
        if (typeof n !== 'bigint') this.fail(l.pos, `${field.text} holds whole numbers; ${(l as { text: string }).text} has a fraction`);
        const [lo, hi] = k === 'int32' ? INT32 : INT64;
        if (n < lo || n > hi) this.fail(l.pos, `${(l as { text: string }).text} is out of range for ${field.text} (${k})`);
        return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
      }
      case 'double':
        if (l.kind !== 'number') mismatch();
        return Number((l as { value: bigint | number }).value);
      case 'bool':
        if (l.kind !== 'bool') mismatch();
        return (l as { value: boolean }).value;
      case 'address': {
        let n: bigint | undefined;
        if (l.kind === 'number' && typeof l.value === 'bigint') n = l.value;
        else if (l.kind === 'string' && /^\s*(0x[0-9a-f]{1,16}|[0-9]{1,20})\s*$/i.test(l.value)) n = BigInt(l.value.trim());
        else if (l.kind === 'number' || l.kind === 'string')
          this.fail(l.pos, `${field.text} is an address: write it as hex (0xffff88e080000000) or a whole decimal number`);
        else mismatch();
        if (n! < 0n || n! > ADDR_MAX) this.fail(l.pos, `${describeLiteral(l)} is not a 64-bit address`);
        return addr(n!);
      }
      case 'timestamp': {
        if (l.kind !== 'string') mismatch();
        const s = (l as { value: string }).value.trim();
        const m = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?))?\s*(Z|[+-]\d{2}:?\d{2})?$/i.exec(s);
        const d = m ? new Date(`${m[1]}T${m[2] ?? '00:00:00'}${m[3] ?? 'Z'}`) : undefined;
        if (!d || isNaN(d.getTime())) this.fail(l.pos, `"${s}" is not a timestamp; write "2026-11-25", "2026-11-25T17:45:00Z" or "2026-11-25 17:45:00"`);
        // UTC text both engines CAST to TIMESTAMP identically
        return d.toISOString().replace('T', ' ').replace('Z', '');
      }
      case 'string_list':
        return mismatch();
    }
  }

  /** RE2 syntax check with the error placed inside the string literal when possible */
  private regex(pattern: string, lit: Literal, insensitive: boolean): string {
    const around = /\(\?<?[=!]/.exec(pattern);
    if (around) {
      const raw = this.text.slice(lit.pos + 1, lit.end - 1);
      const at = raw.indexOf(around[0]);
      const kind = around[0].includes('<') ? 'look-behind' : 'look-ahead';
      this.fail(at >= 0 ? lit.pos + 1 + at : lit.pos, `${around[0]}…) is a ${kind}: RE2 (DuckDB and Athena regexes) has no look-around; match the text itself, or combine two conditions (matches … && !matches …)`);
    }
    if (/\(\?P</.test(pattern)) this.fail(lit.pos, 'named groups (?P<…>) are not portable between DuckDB and Athena; use plain ( … )');
    try {
      RE2JS.compile(pattern);
    } catch (e) {
      const msg = (e as Error).message.replace(/^error parsing regexp:\s*/, '');
      const fragment = /`([^`]*)`\s*$/.exec(msg)?.[1];
      const raw = this.text.slice(lit.pos + 1, lit.end - 1);
      const at = fragment ? raw.indexOf(fragment) : -1;
      this.fail(at >= 0 ? lit.pos + 1 + at : lit.pos, `regular expression does not compile (RE2 syntax): ${msg}`);
    }
    return insensitive ? `(?i)${pattern}` : pattern;
  }
}

function firstPathOf(e: ExprNode | undefined): PathNode | undefined {
  if (!e) return undefined;
  switch (e.kind) {
    case 'and':
    case 'or':
      return firstPathOf(e.items[0]);
    case 'not':
      return firstPathOf(e.expr);
    case 'cond':
      return e.path;
  }
}

function describeLiteral(l: Literal): string {
  switch (l.kind) {
    case 'string':
      return JSON.stringify(l.value);
    case 'number':
      return l.text;
    case 'bool':
      return String(l.value);
    case 'null':
      return 'null';
    case 'list':
      return 'the list';
  }
}

function literalKindName(l: Literal): string {
  switch (l.kind) {
    case 'string':
      return 'a string';
    case 'number':
      return typeof l.value === 'bigint' ? 'a whole number' : 'a number';
    case 'bool':
      return 'a boolean';
    case 'null':
      return 'null';
    case 'list':
      return 'a list';
  }
}
