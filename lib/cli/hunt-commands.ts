// Hunting commands: `memq hunt` runs the ATT&CK-tagged playbooks over the local store, `memq ioc`
// looks for indicator values across every table and snapshot, `memq diff` compares two snapshots.
// Exit codes, like grep/diff: 0 = nothing found, 1 = something fired / found / differs,
// 2 = could not run (bad playbook, missing store, query error).
import type { Command } from 'commander';
import { Option } from 'commander';
import * as fs from 'node:fs';
import { compileQuery, type Scope } from '../query';
import { runQuery } from '../engine';
import { defaultStoreDir, openLocalStore, type LocalStore } from '../store/store';
import { bundledPlaybookDir, loadPlaybooks, selectPlaybooks } from '../hunt/loader';
import { platformsInScope, runHunt, type HuntReport } from '../hunt/runner';
import { severities, severityRank, type Severity } from '../hunt/playbook';
import { attackRelease } from '../hunt/attack';
import { searchIocs, type IocSearchResult } from '../ioc/search';
import { diffSnapshots, listSnapshotIds, resolveSnapshot, type DiffResult } from '../ioc/diff';
import { localSqlExecutor } from '../ioc/local';
import { isMemqError, MemqError } from '../util/errors';
import { render } from './output';

interface ScopeOpts {
  store?: string;
  project?: string[];
  machine?: string[];
  snapshot?: string[];
}

const list = (v: string, prev: string[] = []) => [...prev, ...v.split(',').filter(Boolean)];

function withStoreAndScope(c: Command): Command {
  return c
    .option('--store <dir>', 'store directory (default $MEMQ_STORE or ./memq-store)')
    .option('--project <p>', 'only these projects (repeat or comma-separate)', list)
    .option('--machine <m>', 'only these machines (repeat or comma-separate)', list)
    .option('--snapshot <s>', 'only these snapshots (repeat or comma-separate)', list);
}

function scopeFrom(o: ScopeOpts): Scope {
  const s: Scope = {};
  if (o.project?.length) s.projects = o.project;
  if (o.machine?.length) s.machines = o.machine;
  if (o.snapshot?.length) s.snapshots = o.snapshot;
  return s;
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

export function renderHuntTable(rep: HuntReport, maxRows = 20): string {
  const out: string[] = [];
  const snaps = new Set(rep.results.flatMap((r) => r.snapshots));
  out.push(
    `hunt: ${rep.playbooks_run} playbooks${rep.skipped.length ? ` (${rep.skipped.length} for other OSes skipped)` : ''}, ${rep.queries_run} queries — ${rep.fired} fired` +
      (snaps.size ? ` in ${snaps.size} snapshot${snaps.size === 1 ? '' : 's'}` : '') +
      (rep.errors ? `, ${rep.errors} query error${rep.errors === 1 ? '' : 's'}` : '') +
      ` (${rep.elapsed_ms} ms, ${attackRelease.split(' (')[0]})`,
  );
  for (const tac of rep.by_tactic) {
    out.push('', `${tac.name} (${tac.id})`);
    for (const t of tac.techniques) {
      out.push(`  ${t.id} ${t.name}`);
      for (const p of t.playbooks) out.push(`    [${p.severity}] ${p.id}: ${p.title} — ${p.count} hit${p.count === 1 ? '' : 's'}`);
    }
  }
  const fired = rep.results.filter((r) => r.count > 0).sort((a, b) => severityRank[b.severity] - severityRank[a.severity]);
  for (const r of fired) {
    out.push('', `== ${r.id} [${r.severity}] ${r.title} (${r.techniques.map((t) => t.id).join(', ')})`);
    for (const q of r.queries.filter((x) => x.count > 0)) {
      if (r.queries.length > 1) out.push(`-- ${q.title}`);
      out.push(render(q.rows.slice(0, maxRows), q.columns, 'table').trimEnd());
      if (q.count > maxRows) out.push(`… ${q.count - maxRows} more`);
    }
  }
  for (const r of rep.results) for (const q of r.queries) if (q.error) out.push('', `error in ${r.id} (${q.title}): ${q.error}`);
  return out.join('\n') + '\n';
}

export function renderIocTable(res: IocSearchResult): string {
  const rows = res.hits.map((h) => ({
    ioc: h.ioc,
    kind: h.kind,
    project: h.project,
    machine: h.machine,
    snapshot: h.snapshot,
    table: h.table,
    column: h.column,
    where: Object.entries(h.where)
      .filter(([k, v]) => v !== null && v !== undefined && k !== h.column)
      .map(([k, v]) => `${k}=${v}`)
      .join(' '),
    value: h.value,
  }));
  const head = `ioc: ${res.iocs.map((i) => `${i.input} (${i.kind})`).join(', ')} — ${res.hits.length} hit${res.hits.length === 1 ? '' : 's'} (${res.elapsed_ms} ms)\n`;
  const trunc = res.truncated.length ? `note: row cap reached in ${res.truncated.join(', ')}; more hits may exist\n` : '';
  return head + (rows.length ? render(rows, Object.keys(rows[0]), 'table') : '') + trunc;
}

export function renderDiffTable(d: DiffResult): string {
  const name = (s: DiffResult['a']) => `${s.project}/${s.machine}/${s.snapshot}`;
  const out = [`diff ${name(d.a)} → ${name(d.b)}`];
  for (const [kind, c] of Object.entries(d.counts)) {
    out.push(`${kind}: ${c.appeared} appeared, ${c.vanished} vanished`);
  }
  for (const kind of Object.keys(d.counts)) {
    const es = d.entries.filter((e) => e.kind === kind);
    if (!es.length) continue;
    const rows = es.map((e) => ({ change: e.change === 'appeared' ? '+' : '-', ...e.row }));
    out.push('', `${kind}:`, render(rows, Object.keys(rows[0]), 'table').trimEnd());
  }
  return out.join('\n') + '\n';
}

export function register(program: Command): void {
  withStoreAndScope(
    program
      .command('hunt')
      .description('run the ATT&CK playbooks over the store; exit 0 = nothing fired, 1 = something fired, 2 = error')
      .option('--playbooks <dir>', `playbook directory or file (default: the bundled ${bundledPlaybookDir})`)
      .option('--only <ids>', 'only these playbook ids (repeat or comma-separate)', list)
      .addOption(new Option('--min-severity <level>', 'only playbooks at or above this severity').choices([...severities]))
      .addOption(new Option('-f, --format <format>', 'output format').choices(['table', 'json']).default('table'))
      .option('--max-rows <n>', 'rows kept per query', '1000'),
  ).action(async (o: ScopeOpts & { playbooks?: string; only?: string[]; minSeverity?: Severity; format: 'table' | 'json'; maxRows: string }) => {
    await guarded(
      () => openLocalStore(o.store ?? defaultStoreDir()),
      async (store) => {
        const maxRows = Number(o.maxRows);
        if (!Number.isInteger(maxRows) || maxRows < 1) throw usage(`--max-rows expects a positive whole number, got "${o.maxRows}"`);
        const pbs = selectPlaybooks(loadPlaybooks(o.playbooks ?? bundledPlaybookDir, { checkQuery: (q) => void compileQuery(q, { dialect: 'duckdb' }) }), {
          only: o.only,
          minSeverity: o.minSeverity,
        });
        const scope = scopeFrom(o);
        const rep = await runHunt(async (text) => {
          const r = await runQuery(store, text, scope, { maxRows });
          return { columns: r.columns.map((c) => c.name), rows: r.rows };
        }, pbs, { maxRowsPerQuery: maxRows, platforms: platformsInScope(store.snapshots(), scope) });
        process.stdout.write(o.format === 'json' ? json(rep) : renderHuntTable(rep));
        return rep.fired > 0 ? 1 : rep.errors > 0 ? 2 : 0;
      },
    );
  });

  withStoreAndScope(
    program
      .command('ioc')
      .description('find IPs, domains, URLs, hashes, paths or process names in every table of every snapshot; exit 1 = found')
      .argument('[value...]', 'indicator values; force a kind with a prefix: ip:, domain:, url:, md5:, sha1:, sha256:, path:, name:, text:')
      .option('--file <path>', 'read more values from a file, one per line (blank lines and # comments ignored)')
      .addOption(new Option('-f, --format <format>', 'output format').choices(['table', 'json', 'csv']).default('table'))
      .option('--max-rows <n>', 'rows read per table at most', '10000'),
  ).action(async (args: string[], o: ScopeOpts & { file?: string; format: 'table' | 'json' | 'csv'; maxRows: string }) => {
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
        } else process.stdout.write(renderIocTable(res));
        return res.hits.length > 0 ? 1 : 0;
      },
    );
  });

  program
    .command('diff')
    .description('processes, modules, sockets and listeners that appeared or vanished between two snapshots; exit 1 = differences')
    .argument('<snapshotA>', 'snapshot, machine/snapshot or project/machine/snapshot')
    .argument('<snapshotB>', 'snapshot, machine/snapshot or project/machine/snapshot')
    .option('--store <dir>', 'store directory (default $MEMQ_STORE or ./memq-store)')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['table', 'json']).default('table'))
    .action(async (a: string, b: string, o: { store?: string; format: 'table' | 'json' }) => {
      await guarded(
        () => openLocalStore(o.store ?? defaultStoreDir()),
        async (store) => {
          const exec = localSqlExecutor(store);
          const known = await listSnapshotIds(exec);
          const d = await diffSnapshots(exec, resolveSnapshot(a, known), resolveSnapshot(b, known));
          process.stdout.write(o.format === 'json' ? json(d) : renderDiffTable(d));
          return d.entries.length > 0 ? 1 : 0;
        },
      );
    });
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
