// Loads playbooks from YAML files: parses, validates against the zod schema, checks every ATT&CK id
// against the bundled ATT&CK table, rejects duplicate ids, and (when given a checker) compiles every
// query so a broken playbook fails at load time with its file name, not halfway through a hunt.
import * as fs from 'node:fs';
import * as path from 'node:path';
import YAML from 'yaml';
import { MemqError } from '../util/errors';
import { technique } from './attack';
import { playbookSchema, severityRank, type Playbook, type Severity } from './playbook';

/**
 * The playbooks shipped with memq: the repository folder playbooks/ when running from source, or the
 * copy a Lambda bundle carries beside its index.js (lib/infra/bundle.ts RUNTIME_FILES), where
 * `__dirname` is the bundle root and ../../playbooks would point outside the code directory.
 */
export const bundledPlaybookDir = [path.join(__dirname, 'playbooks'), path.resolve(__dirname, '../../playbooks')].find((d) => fs.existsSync(d)) ?? path.resolve(__dirname, '../../playbooks');

const MAX_FILE_BYTES = 1 << 20;
const MAX_FILES = 5000;

export interface LoadOptions {
  /** throws (MemqError) when a query does not compile; called once per query */
  checkQuery?: (query: string, playbook: Playbook) => void;
}

/** Parses and validates one playbook from YAML text; `file` names it in errors. */
export function parsePlaybook(text: string, file: string, opts: LoadOptions = {}): Playbook {
  const where = file || '<playbook>';
  const doc = YAML.parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length) {
    const e = doc.errors[0];
    const pos = e.linePos?.[0];
    throw new MemqError(`${where}${pos ? `:${pos.line}:${pos.col}` : ''}: invalid YAML: ${e.message.split('\n')[0]}`, 'E_PLAYBOOK');
  }
  // aliases that expand past a small bound (a "billion laughs" bomb) are refused as invalid YAML
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 50 });
  } catch (e) {
    throw new MemqError(`${where}: invalid YAML: ${(e as Error).message.split('\n')[0]}`, 'E_PLAYBOOK');
  }
  const parsed = playbookSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = issue.path.length ? issue.path.join('.') : 'top level';
    throw new MemqError(`${where}: playbook field ${at}: ${issue.message}`, 'E_PLAYBOOK');
  }
  const p = parsed.data;
  for (const id of p.attack) {
    try {
      technique(id);
    } catch (e) {
      throw new MemqError(`${where}: ${(e as Error).message}`, 'E_PLAYBOOK');
    }
  }
  const pb: Playbook = {
    ...p,
    file,
    queries: p.queries.map((q, i) =>
      typeof q === 'string' ? { title: `query ${i + 1}`, query: q } : { title: q.title ?? `query ${i + 1}`, query: q.query },
    ),
  };
  if (opts.checkQuery) {
    pb.queries.forEach((q, i) => {
      try {
        opts.checkQuery!(q.query, pb);
      } catch (e) {
        throw new MemqError(`${where}: queries[${i}]: ${(e as Error).message}`, 'E_PLAYBOOK');
      }
    });
  }
  return pb;
}

/** Every *.yml / *.yaml under `dir` (recursively, sorted), validated; ids must be unique. */
export function loadPlaybooks(dir: string = bundledPlaybookDir, opts: LoadOptions = {}): Playbook[] {
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch {
    throw new MemqError(`playbook path ${dir} does not exist: expected a directory of .yml files or one .yml file`, 'E_PLAYBOOK');
  }
  const files = st.isDirectory() ? listYaml(dir) : [dir];
  if (files.length === 0) throw new MemqError(`no playbooks (*.yml, *.yaml) found under ${dir}`, 'E_PLAYBOOK');
  const out: Playbook[] = [];
  const seen = new Map<string, string>();
  for (const f of files) {
    const size = fs.statSync(f).size;
    if (size > MAX_FILE_BYTES) throw new MemqError(`${f}: playbook is ${size} bytes; expected at most ${MAX_FILE_BYTES}`, 'E_PLAYBOOK');
    const pb = parsePlaybook(fs.readFileSync(f, 'utf8'), f, opts);
    const prev = seen.get(pb.id);
    if (prev) throw new MemqError(`${f}: playbook id "${pb.id}" is already used by ${prev}`, 'E_PLAYBOOK');
    seen.set(pb.id, f);
    out.push(pb);
  }
  return out;
}

function listYaml(root: string): string[] {
  const out: string[] = [];
  const stack = [root];
  while (stack.length) {
    const d = stack.pop()!;
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory() && !e.name.startsWith('.')) stack.push(p);
      else if (e.isFile() && /\.ya?ml$/i.test(e.name)) out.push(p);
      if (out.length > MAX_FILES) throw new MemqError(`more than ${MAX_FILES} playbook files under ${root}`, 'E_PLAYBOOK');
    }
  }
  return out.sort();
}

/** Narrows a playbook list: `only` ids (unknown ids are an error naming the known ones), `minSeverity`. */
export function selectPlaybooks(all: readonly Playbook[], opts: { only?: string[]; minSeverity?: Severity }): Playbook[] {
  let out = [...all];
  if (opts.only?.length) {
    const ids = new Set(all.map((p) => p.id));
    const unknown = opts.only.filter((id) => !ids.has(id));
    if (unknown.length) {
      throw new MemqError(`unknown playbook id${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (known: ${[...ids].sort().join(', ')})`, 'E_USAGE');
    }
    out = out.filter((p) => opts.only!.includes(p.id));
  }
  if (opts.minSeverity) out = out.filter((p) => severityRank[p.severity] >= severityRank[opts.minSeverity!]);
  return out;
}
