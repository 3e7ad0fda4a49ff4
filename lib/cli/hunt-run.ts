// Implementations of the hunting commands (specs in hunt-commands.ts): `memq hunt`, `memq ioc`,
// `memq diff`. Exit codes, like grep/diff: 0 = nothing found, 1 = something fired / found / differs,
// 2 = could not run (bad playbook, missing store, query error).
import { scopeFrom, type ScopeOpts as BaseScopeOpts } from './scope-opts';
import * as fs from 'node:fs';
import { compileQuery, type Scope } from '../query';
import { runQuery } from '../engine';
import { defaultStoreDir, openLocalStore, type LocalStore } from '../store/store';
import { bundledPlaybookDir, loadPlaybooks, selectPlaybooks } from '../hunt/loader';
import { platformsInScope, runHunt, type HuntReport } from '../hunt/runner';
import { severityRank, type Severity } from '../hunt/playbook';
import { attackRelease } from '../hunt/attack';
import { huntCsv, huntFindings, huntMarkdown, rollupText } from '../hunt/report';
import { huntHtml } from '../hunt/html-report';
import { findChromium, htmlToPdf, NO_CHROMIUM } from '../util/chromium-pdf';
import { searchIocs, type IocSearchResult } from '../ioc/search';
import { diffMatches, diffSnapshots, listSnapshotIds, resolveSnapshot, type DiffMatch, type DiffResult } from '../diff/snapshot-diff';
import { localSqlExecutor } from '../ioc/local';
import { isMemqError, MemqError } from '../util/errors';
import { render, terminalSafe, terminalWidth } from './output';

export interface ScopeOpts extends BaseScopeOpts {
  store?: string;
}


const json = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x), 2) + '\n';

/** Runs a command body; user errors print one line and exit 2 (1 means "found something" here). */
async function guarded(store: () => LocalStore, body: (s: LocalStore) => Promise<number>): Promise<void> {
  let s: LocalStore | undefined;
  try {
    s = store();
    process.exitCode = await body(s);
  } catch (e) {
    if (!isMemqError(e)) throw e;
    process.stderr.write(`memq: ${e.message}\n`);
    process.exitCode = 2;
  } finally {
    s?.close();
  }
}

/** the report's first line: playbooks, queries, what fired where */
export function huntHeadline(rep: HuntReport): string {
  const snaps = new Set(rep.results.flatMap((r) => r.snapshots));
  return (
    `hunt: ${rep.playbooks_run} playbooks${rep.skipped.length ? ` (${rep.skipped.length} for other OSes skipped)` : ''}, ${rep.queries_run} queries — ${rep.fired} fired` +
    (snaps.size ? ` in ${snaps.size} snapshot${snaps.size === 1 ? '' : 's'}` : '') +
    (rep.errors ? `, ${rep.errors} query error${rep.errors === 1 ? '' : 's'}` : '') +
    ` (${rep.elapsed_ms} ms, ${attackRelease.split(' (')[0]})`
  );
}

/**
 * Terminal report: the headline, fired playbooks by ATT&CK tactic → technique, then per machine,
 * per process (process → playbooks → evidence, each process once) and the fired playbooks'
 * descriptions and false-positive notes.
 */
export function renderHuntTable(rep: HuntReport): string {
  const out: string[] = [huntHeadline(rep)];
  for (const tac of rep.by_tactic) {
    out.push('', `${tac.name} (${tac.id})`);
    for (const t of tac.techniques) {
      out.push(`  ${t.id} ${t.name}`);
      for (const p of t.playbooks) out.push(`    [${p.severity}] ${p.id}: ${p.title} — ${p.count} hit${p.count === 1 ? '' : 's'}`);
    }
  }
  out.push(...rollupText(rep, huntFindings(rep)));
  for (const r of rep.results) for (const q of r.queries) if (q.error) out.push('', `error in ${r.id} (${q.title}): ${q.error}`);
  return out.join('\n') + '\n';
}

/**
 * IOC hits grouped value → snapshot → object: one line per object (table + the columns that locate
 * it) naming the columns that matched, with the first matching text — not one row per column × row.
 */
export function renderIocTable(res: IocSearchResult): string {
  const cut = (t: string, n = 120) => (t.length > n ? t.slice(0, n - 1) + '…' : t);
  const objects = new Map<string, { ioc: string; kind: string; snap: string; table: string; where: string; columns: string[]; value: string }>();
  for (const h of res.hits) {
    const where = Object.entries(h.where)
      .filter(([, v]) => v !== null && v !== undefined)
      .map(([k, v]) => `${k}=${typeof v === 'bigint' ? '0x' + v.toString(16) : String(v)}`)
      .join(' ');
    const snap = `${h.project}/${h.machine}/${h.snapshot}`;
    const key = `${h.ioc}\0${snap}\0${h.table}\0${where}`;
    const o = objects.get(key);
    if (o) {
      if (!o.columns.includes(h.column)) o.columns.push(h.column);
    } else objects.set(key, { ioc: h.ioc, kind: h.kind, snap, table: h.table, where, columns: [h.column], value: h.value.replace(/\s+/g, ' ') });
  }
  const out = [
    `ioc: ${res.iocs.map((i) => `${i.input} (${i.kind})`).join(', ')} — ${res.hits.length} hit${res.hits.length === 1 ? '' : 's'} in ${objects.size} object${objects.size === 1 ? '' : 's'} (${res.elapsed_ms} ms)`,
  ];
  let lastIoc: string | undefined;
  let lastSnap: string | undefined;
  for (const o of [...objects.values()].sort((a, b) => a.ioc.localeCompare(b.ioc) || a.snap.localeCompare(b.snap) || a.table.localeCompare(b.table) || a.where.localeCompare(b.where, undefined, { numeric: true }))) {
    if (o.ioc !== lastIoc) {
      out.push('', `${o.ioc} (${o.kind})`);
      lastIoc = o.ioc;
      lastSnap = undefined;
    }
    if (o.snap !== lastSnap) {
      out.push(`  ${o.snap}`);
      lastSnap = o.snap;
    }
    out.push(`    ${o.table}${o.where ? ` ${o.where}` : ''}: ${o.columns.join(', ')} — ${cut(o.value)}`);
  }
  if (res.truncated.length) out.push(`note: row cap reached in ${res.truncated.join(', ')}; more hits may exist`);
  return out.join('\n') + '\n';
}

export function renderDiffTable(d: DiffResult): string {
  const name = (s: DiffResult['a']) => `${s.project}/${s.machine}/${s.snapshot}`;
  const out = [`diff ${name(d.a)} → ${name(d.b)}${d.match !== 'identity' ? ` (processes matched by ${d.match === 'exe' ? 'name + executable' : 'name + command line'})` : ''}`];
  for (const [kind, c] of Object.entries(d.counts)) {
    out.push(`${kind}: ${c.appeared} appeared, ${c.vanished} vanished${kind === 'process' && d.persisted ? `, ${d.persisted.length} persisted (${d.persisted.filter((p) => p.changed.length).length} changed)` : ''}`);
  }
  for (const kind of Object.keys(d.counts)) {
    const es = d.entries.filter((e) => e.kind === kind);
    if (!es.length) continue;
    const rows = es.map((e) => ({ change: e.change === 'appeared' ? '+' : '-', ...e.row }));
    out.push('', `${kind}:`, render(rows, Object.keys(rows[0]), 'table', terminalWidth()).trimEnd());
  }
  if (d.persisted?.length) {
    // what survived (a reboot): each process once, with the fields that changed A → B
    const rows = d.persisted.map((p) => ({
      process_id: p.b.process_id,
      name: p.b.name,
      exe_path: p.b.exe_path,
      changed: p.changed.map((f) => `${f} ${fmt(p.a[f])}→${fmt(p.b[f])}`).join(', ') || '-',
      command_line: p.b.command_line,
    }));
    out.push('', 'persisted (in both; B\'s pid, fields changed A→B):', render(rows, Object.keys(rows[0]), 'table', terminalWidth()).trimEnd());
  }
  return out.join('\n') + '\n';
}

function fmt(v: unknown): string {
  return v === null || v === undefined ? '-' : String(v);
}

export type HuntOpts = ScopeOpts & { playbooks?: string; only?: string[]; minSeverity?: Severity; format: 'table' | 'json' | 'markdown' | 'csv'; maxRows: string };

/** The playbooks over the store in scope, in evidence form (the hunt and report commands). */
async function storeHunt(store: LocalStore, o: Omit<HuntOpts, 'format'>): Promise<HuntReport> {
  const maxRows = Number(o.maxRows);
  if (!Number.isInteger(maxRows) || maxRows < 1) throw usage(`--max-rows expects a positive whole number, got "${o.maxRows}"`);
  const pbs = selectPlaybooks(loadPlaybooks(o.playbooks ?? bundledPlaybookDir, { checkQuery: (q) => void compileQuery(q, { dialect: 'duckdb' }) }), {
    only: o.only,
    minSeverity: o.minSeverity,
  });
  const scope = scopeFrom(o);
  return runHunt(async (text) => {
    const r = await runQuery(store, text, scope, { maxRows });
    return { columns: r.columns.map((c) => c.name), rows: r.rows };
  }, pbs, { maxRowsPerQuery: maxRows, platforms: platformsInScope(store.snapshots(), scope), evidence: true });
}

export type ReportOpts = Omit<HuntOpts, 'format'> & { output: string; format?: 'html' | 'pdf' };

/** `memq report`: the hunt as one self-contained HTML file, or a PDF printed by headless Chromium. */
export async function report(o: ReportOpts): Promise<void> {
  await guarded(
    () => openLocalStore(o.store ?? defaultStoreDir()),
    async (store) => {
      const format = o.format ?? (/\.pdf$/i.test(o.output) ? 'pdf' : 'html');
      // refuse before hunting when the PDF cannot be made
      if (format === 'pdf' && !findChromium()) throw new MemqError(NO_CHROMIUM, 'E_NO_CHROMIUM');
      const rep = await storeHunt(store, o);
      const scope = [o.project?.length ? `projects ${o.project.join(', ')}` : '', o.machine?.length ? `machines ${o.machine.join(', ')}` : '', o.snapshot?.length ? `snapshots ${o.snapshot.join(', ')}` : '']
        .filter(Boolean)
        .join('; ');
      // no local paths in the header: reports are handed over
      const html = huntHtml(rep, huntFindings(rep), { header: `${huntHeadline(rep)}${scope ? ` — ${scope}` : ''}`, generatedAt: new Date().toISOString() });
      if (format === 'pdf') fs.writeFileSync(o.output, await htmlToPdf(html));
      else fs.writeFileSync(o.output, html);
      process.stderr.write(`memq report: ${o.output} (${format}, ${rep.fired} playbooks fired)\n`);
      return 0;
    },
  );
}

export async function hunt(o: HuntOpts): Promise<void> {
  await guarded(
    () => openLocalStore(o.store ?? defaultStoreDir()),
    async (store) => {
      const rep = await storeHunt(store, o);
      const h = huntFindings(rep);
      if (o.format === 'json') process.stdout.write(json({ ...rep, ...h }));
      else if (o.format === 'csv') process.stdout.write(huntCsv(h));
      else if (o.format === 'markdown') process.stdout.write(terminalSafe(huntMarkdown(rep, h, huntHeadline(rep)), true));
      else process.stdout.write(terminalSafe(renderHuntTable(rep), true));
      return rep.fired > 0 ? 1 : rep.errors > 0 ? 2 : 0;
    },
  );
}

export type IocOpts = ScopeOpts & { file?: string; format: 'table' | 'json' | 'csv'; maxRows: string };

export async function ioc(args: string[], o: IocOpts): Promise<void> {
  await guarded(
    () => openLocalStore(o.store ?? defaultStoreDir()),
    async (store) => {
      const values = [...args, ...(o.file ? readValueFile(o.file) : [])];
      const maxRows = Number(o.maxRows);
      if (!Number.isInteger(maxRows) || maxRows < 1) throw usage(`--max-rows expects a positive whole number, got "${o.maxRows}"`);
      const res = await searchIocs(localSqlExecutor(store), values, { scope: scopeFrom(o), maxRowsPerTable: maxRows });
      if (o.format === 'json') process.stdout.write(json(res));
      else if (o.format === 'csv') {
        const rows = res.hits.map((h) => ({ ...h, where: JSON.stringify(h.where) }));
        process.stdout.write(render(rows, ['ioc', 'kind', 'project', 'machine', 'snapshot', 'table', 'column', 'where', 'value'], 'csv'));
      } else process.stdout.write(terminalSafe(renderIocTable(res), true));
      return res.hits.length > 0 ? 1 : 0;
    },
  );
}

export async function diff(a: string, b: string, o: { store?: string; format: 'table' | 'json'; match?: DiffMatch }): Promise<void> {
  await guarded(
    () => openLocalStore(o.store ?? defaultStoreDir()),
    async (store) => {
      const exec = localSqlExecutor(store);
      const known = await listSnapshotIds(exec);
      const match = o.match ?? 'identity';
      if (!diffMatches.includes(match)) throw usage(`--match expects ${diffMatches.join(', ')}, got "${match}"`);
      const [sa, sb] = [resolveSnapshot(a, known), resolveSnapshot(b, known)];
      // snapshots of different operating systems share no identities: say so instead of a wall of +/-
      const osOf = (s: typeof sa) => store.snapshots().find((x) => x.project === s.project && x.machine === s.machine && x.snapshot === s.snapshot)?.os;
      const [osA, osB] = [osOf(sa), osOf(sb)];
      if (osA && osB && osA !== osB)
        throw usage(`cannot diff a ${osA} snapshot (${sa.project}/${sa.machine}/${sa.snapshot}) with a ${osB} snapshot (${sb.project}/${sb.machine}/${sb.snapshot}): nothing is comparable`);
      const d = await diffSnapshots(exec, sa, sb, 'duckdb', { match });
      process.stdout.write(o.format === 'json' ? json(d) : terminalSafe(renderDiffTable(d), true));
      return d.entries.length > 0 ? 1 : 0;
    },
  );
}

function usage(msg: string): MemqError {
  return new MemqError(msg, 'E_USAGE');
}

/** IOC values from a file: one per line; blank lines and lines starting with # are skipped. */
export function readValueFile(file: string): string[] {
  let text: string;
  try {
    if (fs.statSync(file).size > 16 << 20) throw new MemqError(`${file}: IOC file larger than 16 MiB`, 'E_USAGE');
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if (isMemqError(e)) throw e;
    throw new MemqError(`${file}: cannot read IOC file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, 'E_USAGE');
  }
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}
