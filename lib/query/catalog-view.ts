// The query language's view of lib/model/catalog.ts: name lookups for objects, sub-objects and
// fields, with "did you mean" candidates, and completion lists for the REPL and the web editor.
// Nothing here restates the catalog; it only indexes it.
import { objects, tables, type ColumnDef, type ObjectDef, type SubObjectDef } from '../model';

export const objectNames = (): string[] => Object.keys(objects);

export function objectDef(name: string): ObjectDef | undefined {
  return Object.prototype.hasOwnProperty.call(objects, name) ? objects[name] : undefined;
}

export function subDef(obj: ObjectDef, sub: string): SubObjectDef | undefined {
  return Object.prototype.hasOwnProperty.call(obj.subObjects, sub) ? obj.subObjects[sub] : undefined;
}

export function fieldsOf(sub: SubObjectDef): Record<string, ColumnDef> {
  return tables[sub.table].columns as Record<string, ColumnDef>;
}

export function columnDef(sub: SubObjectDef, field: string): ColumnDef | undefined {
  const f = fieldsOf(sub);
  return Object.prototype.hasOwnProperty.call(f, field) ? f[field] : undefined;
}

/** Every `object.sub_object.field` path the language accepts. */
export function allPaths(): string[] {
  const out: string[] = [];
  for (const [o, od] of Object.entries(objects))
    for (const [s, sd] of Object.entries(od.subObjects)) for (const f of Object.keys(fieldsOf(sd))) out.push(`${o}.${s}.${f}`);
  return out;
}

/** Sub-objects of `obj` that have a field called `field` (for "process.name" → process.process_object.name). */
export function subsWithField(obj: ObjectDef, field: string): string[] {
  return Object.entries(obj.subObjects)
    .filter(([, sd]) => columnDef(sd, field))
    .map(([s]) => s);
}

/**
 * Completion candidates for the word being typed (REPL tab, web editor): objects, then
 * `object.` → sub-objects, then `object.sub.` → fields.
 */
export function completePath(prefix: string): string[] {
  const parts = prefix.split('.');
  if (parts.length === 1) return objectNames().filter((o) => o.startsWith(parts[0]));
  const od = objectDef(parts[0]);
  if (!od) return [];
  if (parts.length === 2) return Object.keys(od.subObjects).filter((s) => s.startsWith(parts[1])).map((s) => `${parts[0]}.${s}`);
  const sd = subDef(od, parts[1]);
  if (!sd || parts.length > 3) return [];
  return Object.keys(fieldsOf(sd))
    .filter((f) => f.startsWith(parts[2]))
    .map((f) => `${parts[0]}.${parts[1]}.${f}`);
}

/**
 * Human-readable schema of one object (REPL `.schema`, CLI help): a sub-object over the same table as
 * one listed before it (process.parent_object is a process row) says so instead of repeating the
 * fields; field, kind and description in aligned columns.
 */
export function describeObject(name: string): string {
  const od = objectDef(name);
  if (!od) return '';
  const lines = [`${name}: ${od.doc}`];
  const shown = new Map<string, string>();
  const all = Object.values(od.subObjects).flatMap((sd) => Object.entries(fieldsOf(sd)));
  const fw = Math.max(...all.map(([f]) => f.length)) + 2;
  const note = (c: ColumnDef) => [c.kind, c.nullable ? 'nullable' : '', c.platform !== 'both' ? `${c.platform} only` : ''].filter(Boolean).join(', ');
  const nw = Math.max(...all.map(([, c]) => note(c).length)) + 2;
  for (const [s, sd] of Object.entries(od.subObjects)) {
    const card = s === od.primary ? 'primary' : sd.cardinality === 'many' ? '1:N' : '1:1';
    lines.push('', `  ${name}.${s}  (${card}, table ${sd.table}) — ${sd.doc}`);
    const same = shown.get(sd.table);
    if (same) {
      const fields = Object.keys(fieldsOf(sd));
      const example = fields.includes('name') ? 'name' : fields[0];
      lines.push(`      the same ${fields.length} fields as ${name}.${same} (${name}.${s}.${example}, …)`);
      continue;
    }
    shown.set(sd.table, s);
    for (const [f, c] of Object.entries(fieldsOf(sd))) lines.push(`      ${f.padEnd(fw)}${note(c).padEnd(nw)}${c.doc}`);
  }
  lines.push('', `  default columns: ${od.defaultColumns.join(', ')}`);
  return lines.join('\n');
}
