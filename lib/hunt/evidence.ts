// Evidence for hunt hits: a playbook query names the objects that match (a process, a socket); a
// report needs *why* (the history line, the indicator and its address, the region). evidenceQuery
// turns a playbook's condition into a select of the object's default columns, the owner's name (for
// sockets, files, …), every primary/1:1 field the condition tests, and the fields of the 1:N
// sub-object its top-level && chain constrains — the language then lists exactly the elements that
// satisfied the condition (same-element semantics, lib/query/README.md "Select").
import { checkQuery } from '../query/checker';
import { parseQuery } from '../query/parser';
import type { ExprNode, PathNode } from '../query/ast';
import { objectDef, subDef, fieldsOf } from '../query/catalog-view';

/** fields never worth showing as evidence (join keys, kernel addresses of the element record) */
const NOT_EVIDENCE = new Set(['process_id', 'object_address']);

/** what identifies an element of a 1:N table in a report (besides the fields the condition tests) */
const KEY_FIELDS: Record<string, string[]> = {
  vma: ['start', 'end', 'protection', 'kind', 'file_name'],
  socket: ['protocol', 'local_address', 'local_port', 'remote_address', 'remote_port', 'state'],
  open_file: ['fd', 'kind', 'path'],
  env_var: ['name', 'value'],
  shell_history: ['timestamp', 'command'],
  indicator: ['kind', 'value', 'address', 'region'],
  loaded_library: ['base', 'path'],
  thread: ['thread_id', 'name', 'start_address'],
  handle: ['handle_value', 'object_type', 'name'],
};

/** paths of an expression, skipping what is under `!` (a negated condition has no matching element) */
function positivePaths(e: ExprNode, out: PathNode[] = []): PathNode[] {
  switch (e.kind) {
    case 'and':
    case 'or':
      for (const x of e.items) positivePaths(x, out);
      break;
    case 'not':
      break;
    case 'cond':
      out.push(e.path);
  }
  return out;
}

/** operands of the top-level && chain (nested && flattened) */
function andChain(e: ExprNode): ExprNode[] {
  return e.kind === 'and' ? e.items.flatMap(andChain) : [e];
}

/**
 * The evidence form of a playbook query, or the query unchanged when it already selects fields, is
 * only an object name, or cannot be checked (the runner reports its error as usual).
 */
export function evidenceQuery(text: string): string {
  let q;
  try {
    q = parseQuery(text);
    checkQuery(text, q);
  } catch {
    return text;
  }
  if (q.select || !q.where || q.object) return text;
  const object = positivePaths(q.where)[0]?.parts[0]?.name;
  const od = object ? objectDef(object) : undefined;
  if (!object || !od) return text;
  const fields: string[] = od.defaultColumns.map((c) => `${object}.${c}`);
  const add = (p: string) => {
    if (!fields.includes(p)) fields.push(p);
  };
  // the owner's name next to its pid (an object with many processes, a container, lists its own fields)
  if (od.primary !== 'process_object' && subDef(od, 'process_object')?.cardinality === 'one') add(`${object}.process_object.name`);
  // the 1:N sub-object the && chain constrains: its elements are the evidence
  let many: string | undefined;
  for (const operand of andChain(q.where)) {
    const subs = new Set(positivePaths(operand).map((p) => p.parts[1]?.name));
    if (operand.kind === 'not' || subs.size !== 1) continue;
    const s = [...subs][0];
    if (s && subDef(od, s)?.cardinality === 'many') {
      many = s;
      break;
    }
  }
  // every primary / 1:1 field the condition tests, as written (exe_deleted=true says why, too)
  for (const p of positivePaths(q.where)) {
    const [, s, f] = p.parts;
    const sd = s && subDef(od, s.name);
    if (sd && sd.cardinality !== 'many' && f) add(`${object}.${s.name}.${f.name}`);
  }
  if (many) {
    const sd = subDef(od, many)!;
    const all = Object.keys(fieldsOf(sd));
    const tested = positivePaths(q.where).filter((p) => p.parts[1]?.name === many && p.parts[2]).map((p) => p.parts[2].name);
    const keys = KEY_FIELDS[sd.table] ?? all;
    // key fields first, in KEY_FIELDS order: rows sort by the selected columns, so history comes in time order
    for (const f of [...keys, ...tested]) if (all.includes(f) && !NOT_EVIDENCE.has(f) && fieldsOf(sd)[f].kind !== 'bool') add(`${object}.${many}.${f}`);
  }
  const out = `select ${fields.join(', ')}\nwhere ${text.replace(/^\s*where\b/i, '')}`;
  try {
    checkQuery(out, parseQuery(out));
  } catch {
    return text;
  }
  return out;
}
