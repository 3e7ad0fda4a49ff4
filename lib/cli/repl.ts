// The interactive query prompt (`memq repl`): multi-line input (a statement continues while
// brackets or quotes are open, the line ends with an operator, or with a backslash), a history
// file, tab completion of objects / sub-objects / fields from the catalog, dot commands (.help,
// .schema, .scope, .format, .timing, .sql, .snapshots, .exit) and query timing. Streams are
// parameters so tests drive it without a terminal.
import * as fs from 'node:fs';
import * as readline from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { caretSnippet, compileQuery, completePath, describeObject, keywords, objectNames, QueryError, wordOperators, type Scope } from '../query';
import { columnDef, objectDef, subDef } from '../query/catalog-view';
import type { ColumnKind } from '../model';
import { runQuery } from '../engine';
import type { LocalStore } from '../store/store';
import { isMemqError } from '../util/errors';
import { render, outputFormats, terminalWidth, type OutputFormat } from './output';

export interface ReplOptions {
  input: Readable;
  output: Writable;
  store: LocalStore;
  /** history file; null = no history */
  historyFile?: string | null;
  /** true when input/output are a terminal (line editing, completion keys) */
  terminal?: boolean;
  scope?: Scope;
  format?: OutputFormat;
  maxRows?: number;
}

const HISTORY_MAX = 1000;
const DOT_COMMANDS = ['.help', '.schema', '.objects', '.scope', '.format', '.timing', '.sql', '.snapshots', '.exit', '.quit'];

const HELP = `Type a query and press Enter; a statement continues on the next line while ( [ or a quote is
open, or the line ends with an operator (&& || , where …) or a backslash.
  process.process_object.parent_process_id == 1 && process.vad_object.file_name == "/usr/sbin/agetty"
  select process.process_object.process_id, process.vad_object.file_name where process.vad_object.is_executable
Commands:
  .help                       this text
  .objects                    list objects
  .schema <object>            sub-objects and fields of an object
  .scope [project=a,b] [machine=m] [snapshot=s] | .scope clear   restrict queries (no argument: show)
  .format table|json|jsonl|csv
  .timing on|off              print elapsed time after each query
  .sql <query>                show the DuckDB SQL and parameters for a query
  .snapshots                  snapshots in the store
  .exit                       leave (Ctrl-D too); Ctrl-C clears what is being typed
Up recalls whole statements. Tab completes objects, sub-objects and fields; after a field, the
operators that fit it; after an operator, values seen in the data. Language reference: lib/query/README.md`;

/** true when the text so far forms a whole statement (nothing left open). */
export function statementComplete(text: string): boolean {
  if (/\\\s*$/.test(text)) return false;
  let depth = 0;
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
      else if (c === '\n') quote = null; // strings end at the line; let the parser report it
      continue;
    }
    if (c === '#' || (c === '/' && text[i + 1] === '/')) {
      const nl = text.indexOf('\n', i);
      if (nl < 0) break;
      i = nl;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
  }
  if (quote || depth > 0) return false;
  const last = text.replace(/(#|\/\/)[^\n]*$/gm, '').trimEnd();
  return !/(&&|\|\||==|!=|<=|>=|=~|!~|[<>,!(\[.]|\b(and|or|not|where|select|by|order|limit|in|contains|icontains|startswith|istartswith|endswith|iendswith|matches|imatches))$/i.test(last);
}

/** kind of a complete `object.sub.field` path, or undefined */
export function fieldKind(path: string): ColumnKind | undefined {
  const [o, s, f, extra] = path.split('.');
  if (!o || !s || !f || extra !== undefined) return undefined;
  const od = objectDef(o);
  const sd = od && subDef(od, s);
  return sd ? columnDef(sd, f)?.kind : undefined;
}

/** operators that fit a field of this kind, in the order an analyst reaches for them */
export function operatorsFor(kind: ColumnKind): string[] {
  switch (kind) {
    case 'string':
    case 'string_list':
      return ['==', '!=', '=~', 'contains', 'startswith', 'endswith', 'matches', 'in', 'icontains', 'istartswith', 'iendswith', 'imatches', '!contains', 'not in'];
    case 'bool':
      return ['&&', '||', '==', '!='];
    default:
      return ['==', '!=', '<', '<=', '>', '>=', 'in', 'not in'];
  }
}

/** the field a value is being typed for: `<path> <op> "partial` → { path, partial, quoted } */
export function valueContext(line: string): { path: string; partial: string; quoted: boolean } | undefined {
  const m = /([A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*)(?:\[-?\d+\])?\s*(==|!=|=~|!~|<=|>=|<|>|!?i?contains|!?i?startswith|!?i?endswith|!?i?matches)\s*("[^"]*|[0-9A-Za-z_x]*)$/.exec(line);
  if (!m) return undefined;
  return { path: m[1], partial: m[3], quoted: m[3].startsWith('"') };
}

/**
 * Tab completion: dot commands at the start; after a complete field, the operators that fit it;
 * after an operator, values seen in the data for that field (`values`, when given); else
 * objects/sub-objects/fields and keywords.
 */
export function completeLine(line: string, values?: (path: string) => string[]): [string[], string] {
  const after = /([A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*)(?:\[-?\d+\])?\s+([!=<>~a-z]*)$/.exec(line);
  const inSelectList = /^\s*select\b/i.test(line) && !/\bwhere\b/i.test(line);
  if (after && !inSelectList && fieldKind(after[1]) && !/^(and|or|order|limit)$/i.test(after[2])) {
    const ops = operatorsFor(fieldKind(after[1])!).filter((o) => o.startsWith(after[2]));
    if (ops.length) return [ops.map((o) => (o === after[2] ? o + ' ' : o)), after[2]];
  }
  const vc = values && valueContext(line);
  if (vc && fieldKind(vc.path)) {
    const kind = fieldKind(vc.path)!;
    const text = kind === 'string' || kind === 'string_list' || kind === 'timestamp';
    const shown = values(vc.path).map((v) => (text ? JSON.stringify(v) : v));
    const typed = vc.partial;
    return [shown.filter((v) => v.startsWith(typed) || (!vc.quoted && text && v.startsWith('"' + typed))), typed];
  }
  if (/^\s*\.[a-z]*$/.test(line)) {
    const w = line.trim();
    return [DOT_COMMANDS.filter((c) => c.startsWith(w)), w];
  }
  const schemaArg = /^\s*\.schema\s+(\w*)$/.exec(line);
  if (schemaArg) return [objectNames().filter((o) => o.startsWith(schemaArg[1])), schemaArg[1]];
  const m = /[A-Za-z_][A-Za-z0-9_.]*$/.exec(line);
  const word = m ? m[0] : '';
  let hits = completePath(word);
  if (!word.includes('.')) hits = [...hits, ...[...keywords, ...wordOperators].filter((k) => word && k.startsWith(word.toLowerCase()))];
  // one sub-object or object left: add the dot so the next Tab goes one level deeper
  if (hits.length === 1 && word.split('.').length < 3 && completePath(hits[0] + '.').length) hits = [hits[0] + '.'];
  return [hits, word];
}

function loadHistory(file: string | null | undefined): string[] {
  if (!file) return [];
  try {
    return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).slice(-HISTORY_MAX).reverse();
  } catch {
    return [];
  }
}

function appendHistory(file: string | null | undefined, entry: string): void {
  if (!file) return;
  try {
    fs.appendFileSync(file, entry.replace(/\s*\n\s*/g, ' ') + '\n');
  } catch {
    /* history is a convenience: an unwritable file must not break the session */
  }
}

function parseScope(args: string, current: Scope): Scope | string {
  if (args.trim() === 'clear') return {};
  const next: Scope = { ...current };
  for (const part of args.trim().split(/\s+/).filter(Boolean)) {
    const m = /^(project|machine|snapshot)s?=(.*)$/.exec(part);
    if (!m) return `expected project=…, machine=… or snapshot=… (comma-separated), got "${part}"`;
    const vals = m[2].split(',').filter(Boolean);
    const key = `${m[1]}s` as keyof Scope;
    if (vals.length) next[key] = vals;
    else delete next[key];
  }
  return next;
}

function describeScope(s: Scope): string {
  const parts = (['projects', 'machines', 'snapshots'] as const).filter((k) => s[k]).map((k) => `${k.slice(0, -1)}=${s[k]!.join(',')}`);
  return parts.length ? parts.join(' ') : 'all snapshots';
}

/** Runs the REPL until input ends or .exit. */
export function runRepl(opts: ReplOptions): Promise<void> {
  const out = opts.output;
  const say = (s: string) => out.write(s.endsWith('\n') ? s : s + '\n');
  let scope: Scope = opts.scope ?? {};
  let format: OutputFormat = opts.format ?? 'table';
  let timing = true;
  let buffer = '';
  // values seen in the data per field, for completion after an operator (loaded on first Tab)
  const valueCache = new Map<string, string[]>();
  const fieldValues = async (path: string): Promise<string[]> => {
    const r = await runQuery(opts.store, `select ${path} where ${path} != null`, scope, { maxRows: 5000 });
    const col = r.columns[r.columns.length - 1].name;
    const seen = new Set<string>();
    for (const row of r.rows) {
      const v = row[col];
      for (const x of Array.isArray(v) ? v : [v]) {
        if (x === null || x === undefined) continue;
        seen.add(typeof x === 'bigint' ? '0x' + x.toString(16).padStart(16, '0') : x instanceof Date ? x.toISOString() : String(x));
      }
    }
    return [...seen].sort().slice(0, 500);
  };
  const rl = readline.createInterface({
    input: opts.input,
    output: opts.output,
    terminal: opts.terminal ?? false,
    completer: (line: string, cb: (err: null, result: [string[], string]) => void) => {
      const vc = valueContext(line);
      if (!vc || !fieldKind(vc.path) || valueCache.has(vc.path)) return cb(null, completeLine(line, (p) => valueCache.get(p) ?? []));
      fieldValues(vc.path).then(
        (vals) => {
          valueCache.set(vc.path, vals);
          cb(null, completeLine(line, (p) => valueCache.get(p) ?? []));
        },
        () => cb(null, completeLine(line)),
      );
    },
    history: loadHistory(opts.historyFile),
    historySize: HISTORY_MAX,
    prompt: 'memq> ',
  });

  const runStatement = async (text: string): Promise<void> => {
    appendHistory(opts.historyFile, text);
    try {
      const r = await runQuery(opts.store, text, scope, { maxRows: opts.maxRows });
      out.write(render(r.rows, r.columns.map((c) => c.name), format, terminalWidth(out as { isTTY?: boolean; columns?: number })));
      const rowsNote = `${r.rows.length} row${r.rows.length === 1 ? '' : 's'}${r.truncated ? ' (truncated)' : ''}`;
      if (timing) say(`(${rowsNote}, ${r.elapsedMs} ms)`);
      else if (format === 'table') say(`(${rowsNote})`);
    } catch (e) {
      reportError(e, text);
    }
  };

  const reportError = (e: unknown, text?: string) => {
    if (e instanceof QueryError && text !== undefined) say(`error: ${e.message}\n${caretSnippet(text, e)}`);
    else if (isMemqError(e)) say(`error: ${e.message}`);
    else say(`internal error: ${(e as Error)?.message ?? String(e)}`);
  };

  const dotCommand = async (line: string): Promise<boolean> => {
    const [cmd, ...rest] = line.trim().split(/\s+/);
    const arg = rest.join(' ');
    switch (cmd) {
      case '.help':
        say(HELP);
        break;
      case '.objects':
        say(objectNames().join('\n'));
        break;
      case '.schema': {
        if (!arg) say(`usage: .schema <object>   (objects: ${objectNames().join(', ')})`);
        else say(describeObject(arg) || `unknown object "${arg}" (objects: ${objectNames().join(', ')})`);
        break;
      }
      case '.scope': {
        if (!arg) say(`scope: ${describeScope(scope)}`);
        else {
          const s = parseScope(arg, scope);
          if (typeof s === 'string') say(`error: ${s}`);
          else {
            scope = s;
            say(`scope: ${describeScope(scope)}`);
          }
        }
        break;
      }
      case '.format':
        if ((outputFormats as string[]).includes(arg)) {
          format = arg as OutputFormat;
          say(`format: ${format}`);
        } else say(`usage: .format ${outputFormats.join('|')}   (now ${format})`);
        break;
      case '.timing':
        if (arg === 'on' || arg === 'off') timing = arg === 'on';
        say(`timing: ${timing ? 'on' : 'off'}`);
        break;
      case '.sql':
        try {
          const c = compileQuery(arg, { dialect: 'duckdb', scope });
          say(c.sql);
          say(`-- parameters: ${JSON.stringify(c.params, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}`);
        } catch (e) {
          reportError(e, arg);
        }
        break;
      case '.snapshots': {
        const snaps = opts.store.snapshots();
        out.write(render(snaps as unknown as Record<string, unknown>[], ['project', 'machine', 'snapshot', 'os', 'kernel', 'created_at'], format, terminalWidth(out as { isTTY?: boolean; columns?: number })));
        break;
      }
      case '.exit':
      case '.quit':
        return false;
      default:
        say(`unknown command ${cmd}; try .help`);
    }
    return true;
  };

  /** readline's in-memory history (newest first); only kept on a terminal */
  const history = (rl as unknown as { history?: string[] }).history;
  /** a statement typed over n lines: its lines leave the history, the whole statement (one line) enters it */
  const rememberStatement = (lines: string[], text: string) => {
    if (!history || !opts.terminal) return;
    for (const l of [...lines].reverse()) {
      const i = history.indexOf(l);
      if (i >= 0 && i < lines.length + 1) history.splice(i, 1);
    }
    const one = text.replace(/\s*\n\s*/g, ' ');
    const dup = history.indexOf(one);
    if (dup >= 0) history.splice(dup, 1);
    history.unshift(one);
  };
  let statementLines: string[] = [];
  // Ctrl-C: drop what is being typed (the current line and an unfinished statement); never quit
  rl.on('SIGINT', () => {
    const line = (rl as unknown as { line: string }).line;
    if (line) {
      rl.write(null, { ctrl: true, name: 'e' });
      rl.write(null, { ctrl: true, name: 'u' });
    }
    out.write('^C\n');
    buffer = '';
    statementLines = [];
    rl.setPrompt('memq> ');
    rl.prompt();
  });

  return new Promise<void>((resolve) => {
    let chain = Promise.resolve();
    let exiting = false; // .exit: ignore whatever follows
    let inputClosed = false; // input ended: finish the queued lines, then stop
    const prompt = () => {
      if (!inputClosed && !exiting) rl.prompt();
    };
    rl.on('line', (line) => {
      chain = chain.then(async () => {
        if (exiting) return;
        if (!buffer && /^\s*\./.test(line)) {
          if (await dotCommand(line)) prompt();
          else {
            exiting = true;
            rl.close();
          }
          return;
        }
        if (!buffer && !line.trim()) {
          prompt();
          return;
        }
        buffer = buffer ? `${buffer}\n${line}` : line;
        statementLines.push(line);
        if (!statementComplete(buffer)) {
          rl.setPrompt('  ...> ');
          prompt();
          return;
        }
        const text = buffer.replace(/\\\s*\n/g, '\n').replace(/\s*;\s*$/, '');
        buffer = '';
        if (statementLines.length > 1) rememberStatement(statementLines, text);
        statementLines = [];
        rl.setPrompt('memq> ');
        await runStatement(text);
        prompt();
      });
    });
    rl.on('close', () => {
      inputClosed = true;
      chain = chain.then(() => {
        if (buffer.trim() && !exiting) say('(unfinished statement discarded)');
        resolve();
      });
    });
    say(`memq query prompt — store ${opts.store.dir}, ${describeScope(scope)}. Type .help for help.`);
    rl.prompt();
  });
}
