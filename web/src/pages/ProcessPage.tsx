// The page of one process (#/snapshots/<id>/processes/<pid>[?hunt=<hunt id>]): identity and flags,
// parent chain and children, command line and environment, memory map with W+X / PE-in-private regions
// marked, then every table the catalog joins to a process (one GET /snapshots/{id}/processes/{pid}),
// and the playbook hits on it with their evidence (from the hunt in the URL, or a hunt run from here).
// Actions: query this process, find its executable in every snapshot (IOC search), copy as JSON, and
// export the hunt as an HTML or PDF report.
import { useEffect, useState } from 'react';
import { ApiError, api, download, type HuntJob, type HuntSummary, type IocJob, type IocResult, type Page, type Snapshot } from '../lib/api';
import type { ProcessView } from '../../../lib/model/jobs';
import { ProcessLink, processHref } from '../components/ProcessLink';
import type { Session } from '../App';

const HIDDEN = new Set(['project', 'machine', 'snapshot']);
/** the process's own identity: in the page heading already, not repeated as a hit's evidence (as lib/hunt/report.ts) */
const IDENTITY = new Set([...HIDDEN, 'process_id', 'parent_process_id', 'name', 'process_object.name', 'command_line', 'process_object.command_line']);

function text(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (Array.isArray(v)) return v.map(text).join(' ');
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return String(v);
}

const col = (p: Page, row: unknown[] | undefined, name: string): unknown => (row ? row[p.columns.findIndex((c) => c.name === name)] : undefined);

/** The hunt id in the hash (?hunt=…), which the hash router leaves out of the path. */
function huntFromHash(): string | null {
  const q = window.location.hash.split('?')[1];
  return q ? new URLSearchParams(q).get('hunt') : null;
}

/** A page of one table as a plain table (catalog column docs as header tooltips); `mark` highlights rows. */
function Section({ page, docs, mark, testid, snapshotId, keep }: { page: Page; docs: Record<string, string>; mark?: Map<number, string[]>; testid: string; snapshotId: string; keep(column: string): boolean }) {
  const cols = page.columns.filter((c) => !HIDDEN.has(c.name) && c.name !== 'process_id' && keep(c.name));
  if (!page.rows.length) return <p className="muted small" data-testid={`${testid}-empty`}>none</p>;
  return (
    <div className="proc-scroll">
      <table className="proc-table" data-testid={testid}>
        <thead>
          <tr>
            {mark && <th>flag</th>}
            {cols.map((c) => (
              <th key={c.name} title={docs[c.name]}>
                {c.name}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {page.rows.slice(0, 500).map((r, i) => (
            <tr key={i} className={mark?.has(i) ? 'proc-flagged' : ''} data-testid={mark?.has(i) ? 'flagged-region' : undefined}>
              {mark && <td>{(mark.get(i) ?? []).map((m) => <span key={m} className="proc-badge warn">{m}</span>)}</td>}
              {cols.map((c) => {
                const v = r[page.columns.indexOf(c)];
                return <td key={c.name} className="mono">{c.name === 'parent_process_id' ? <ProcessLink snapshotId={snapshotId} pid={v as number} /> : text(v)}</td>;
              })}
            </tr>
          ))}
        </tbody>
      </table>
      {(page.total ?? 0) > page.rows.length || page.rows.length > 500 ? <p className="muted small">showing {Math.min(500, page.rows.length)} of {page.total}</p> : null}
    </div>
  );
}

export function ProcessPage({ session, snapshotId, pid }: { session: Session; snapshotId: string; pid: string }) {
  const [view, setView] = useState<ProcessView | null>(null);
  const [snap, setSnap] = useState<Snapshot | null>(null);
  const [error, setError] = useState<string | null>(null);
  // the hunt in the link, else my latest hunt over the snapshot as the server kept it (it may have
  // expired); undefined while that is being looked up
  const [hunt, setHunt] = useState<string | null | undefined>(() => huntFromHash() ?? undefined);
  const [hunting, setHunting] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [ioc, setIoc] = useState<{ value: string; running: boolean; result: IocResult | null } | null>(null);

  useEffect(() => {
    let stop = false;
    const resolve = async () => {
      const s = await api<Snapshot>('GET', `/snapshots/${encodeURIComponent(snapshotId)}`).catch(() => null);
      if (stop) return;
      setSnap(s);
      const inLink = huntFromHash();
      if (inLink) return setHunt(inLink);
      const sums = s ? await api<HuntSummary[]>('GET', `/projects/${encodeURIComponent(s.project_id)}/hunt-summaries?snapshot_id=${encodeURIComponent(snapshotId)}`).catch(() => []) : [];
      const mine = sums.find((x) => x.owner_id === session.user.id); // only the hunt's owner may open it
      if (!stop) setHunt(mine?.hunt_id ?? null);
    };
    void resolve();
    window.addEventListener('hashchange', resolve);
    return () => {
      stop = true;
      window.removeEventListener('hashchange', resolve);
    };
  }, [snapshotId]);
  useEffect(() => {
    if (hunt === undefined) return;
    setView(null);
    setError(null);
    void api<ProcessView>('GET', `/snapshots/${encodeURIComponent(snapshotId)}/processes/${encodeURIComponent(pid)}${hunt ? `?hunt=${encodeURIComponent(hunt)}` : ''}`)
      .then(setView)
      .catch((e) => {
        // a remembered hunt that expired (404) or is someone else's: show the process without hits
        if (hunt && !huntFromHash() && e instanceof ApiError && (e.status === 404 || e.status === 409)) setHunt(null);
        else setError(e.message);
      });
  }, [snapshotId, pid, hunt]);

  // a Windows-only field (session_id, is_wow64) is always empty on Linux, and the reverse
  const forThisOs = (table: string, column: string): boolean => {
    const pf = session.catalog.tables[table]?.columns.find((c) => c.name === column)?.platform;
    return !pf || pf === 'both' || !snap?.os || pf === snap.os;
  };
  const docsOf = (table: string): Record<string, string> => Object.fromEntries((session.catalog.tables[table]?.columns ?? []).map((c) => [c.name, c.doc]));
  if (error) return <div className="error" data-testid="process-error">{error}</div>;
  if (!view) return <div className="loading">Loading process {pid}…</div>;

  const p = view.process;
  const row = p.rows[0];
  const name = text(col(p, row, 'name'));
  const exe = text(col(p, row, 'exe_path'));
  const flags = p.columns.filter((c) => c.name.startsWith('flag_') && col(p, row, c.name) === true).map((c) => c.name.slice(5));
  if (col(p, row, 'in_process_list') === false) flags.push('hidden (not in the process list)');
  if (col(p, row, 'exe_deleted') === true && !flags.includes('deleted_exe')) flags.push('deleted_exe');
  const env = view.sections.find((s) => s.table === 'env_var');
  const others = view.sections.filter((s) => s.table !== 'env_var');
  const marks = new Map(view.flagged_regions.map((f) => [f.row, f.reasons]));

  const queryThis = () => {
    // the query page reads these (text and the scope it was opened from)
    sessionStorage.setItem('memq.query', `process.process_object.process_id == ${view.process_id}`);
    sessionStorage.setItem('memq.scope', JSON.stringify({ snapshot_ids: [snapshotId] }));
    window.location.hash = '#/query';
  };
  const findExe = async () => {
    const value = exe || name;
    setIoc({ value, running: true, result: null });
    try {
      let job = await api<IocJob>('POST', '/ioc-searches', { values: [value], scope: { all: true } });
      for (let delay = 200; job.status === 'running'; delay = Math.min(2000, delay * 1.5)) {
        await new Promise((r) => setTimeout(r, delay));
        job = await api<IocJob>('GET', `/ioc-searches/${job.id}`);
      }
      if (job.status !== 'done' || !job.result) throw new Error(job.error ?? 'the search failed');
      setIoc({ value, running: false, result: job.result });
    } catch (e) {
      setIoc(null);
      setError((e as Error).message);
    }
  };
  const copyJson = async () => {
    const json = JSON.stringify(view, null, 2);
    try {
      await navigator.clipboard.writeText(json);
      setNote('copied as JSON');
    } catch {
      const a = document.createElement('a');
      a.href = URL.createObjectURL(new Blob([json], { type: 'application/json' }));
      a.download = `process-${view.process_id}.json`;
      a.click();
      setNote('clipboard unavailable: downloaded as JSON');
    }
  };
  const runHunt = async () => {
    setHunting('starting…');
    try {
      let job = await api<HuntJob>('POST', '/hunts', { scope: { snapshot_ids: [snapshotId] } });
      for (let delay = 200; job.status === 'running'; delay = Math.min(2000, delay * 1.5)) {
        setHunting(`${job.progress.done}/${job.progress.total}`);
        await new Promise((r) => setTimeout(r, delay));
        job = await api<HuntJob>('GET', `/hunts/${job.id}`);
      }
      if (job.status !== 'done') throw new Error(job.error ?? 'the hunt failed');
      window.location.hash = processHref(snapshotId, view.process_id, job.id);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setHunting(null);
    }
  };
  const exportReport = (format: 'html' | 'pdf') =>
    download(`/hunts/${encodeURIComponent(view.hunt_id!)}/report?format=${format}`, `${view.hunt_id}.${format}`).then(
      () => setNote(`report downloaded (${format.toUpperCase()})`),
      (e) => setNote(`report: ${(e as Error).message}`),
    );

  return (
    <div className="process-page" data-testid="process-page" data-pid={view.process_id}>
      <div className="row">
        <a href={`#/snapshots/${encodeURIComponent(snapshotId)}`}>← {snap ? snap.name : 'snapshot'}</a>
      </div>
      <h2 data-testid="process-title">
        pid {view.process_id} <span className="mono">{name}</span>
      </h2>
      <div className="row" data-testid="process-flags">
        {flags.length ? flags.map((f) => <span key={f} className="proc-badge danger">{f}</span>) : <span className="muted small">no flags raised</span>}
        {col(p, row, 'is_kernel_thread') === true && <span className="proc-badge">kernel thread</span>}
      </div>
      <div className="row">
        <button onClick={queryThis} data-testid="query-process">Query this process</button>
        <button onClick={findExe} disabled={ioc?.running} data-testid="find-exe">
          {ioc?.running ? 'Searching…' : 'Find this executable in all snapshots'}
        </button>
        <button onClick={copyJson} data-testid="copy-json">Copy as JSON</button>
        {view.hunt_id ? (
          <>
            <button onClick={() => void exportReport('html')} data-testid="report-html">Report (HTML)</button>
            <button onClick={() => void exportReport('pdf')} data-testid="report-pdf">Report (PDF)</button>
          </>
        ) : (
          <button onClick={runHunt} disabled={hunting !== null} data-testid="run-hunt-here">
            {hunting ? `Hunting… ${hunting}` : 'Run playbooks on this snapshot'}
          </button>
        )}
        {note && <span className="note small" data-testid="process-note">{note}</span>}
      </div>

      {ioc?.result && (
        <div className="card" data-testid="exe-hits">
          <h3>“{ioc.value}” in {ioc.result.snapshots_searched} snapshots</h3>
          {ioc.result.hits.length === 0 ? (
            <p className="muted">not found</p>
          ) : (
            <ul className="list">
              {ioc.result.hits.slice(0, 200).map((h, i) => (
                <li key={i} data-testid="exe-hit">
                  <span className="mono">{h.snapshot_id}</span> {h.table}.{h.column}{' '}
                  {'process_id' in h.where ? <ProcessLink snapshotId={h.snapshot_id} pid={h.where.process_id as number}>pid {String(h.where.process_id)}</ProcessLink> : null} <span className="mono muted">{h.match}</span>
                </li>
              ))}
            </ul>
          )}
        </div>
      )}

      <div className="card" data-testid="process-hits">
        <h3>Playbook hits {view.hunt_id ? <span className="muted small">hunt {view.hunt_id}</span> : null}</h3>
        {!view.hunt_id && <p className="muted">Run the playbooks (or open this page from a hunt hit) to see which fired on this process.</p>}
        {view.hunt_id && !view.hits.length && <p className="muted">No playbook fired on this process.</p>}
        {view.hits.map((h, i) => {
          // evidence: what the playbook matched beyond the identity; the command line when that is all it tested
          const own = h.columns.filter((c) => !IDENTITY.has(c));
          const cols = own.length ? own : h.columns.filter((c) => c.endsWith('command_line'));
          return (
            <div key={i} className="proc-hit" data-testid="process-hit" data-playbook={h.playbook_id}>
              <span className={`sev ${h.severity}`}>{h.severity}</span> <b>{h.title}</b> <span className="muted small">{h.playbook_id}</span>{' '}
              <small>{h.techniques.map((t) => `${t.id} ${t.name}`).join(', ')}</small>
              <ul className="proc-evidence" data-testid="hit-evidence">
                {h.rows.map((r, j) => (
                  <li key={j} className="mono">
                    {cols.map((c) => `${c}=${text(r[h.columns.indexOf(c)])}`).join('  ')}
                  </li>
                ))}
              </ul>
            </div>
          );
        })}
      </div>

      <div className="proc-grid">
        <div className="card">
          <h3>Identity</h3>
          <table className="proc-kv" data-testid="process-identity">
            <tbody>
              {p.columns
                .filter((c) => !HIDDEN.has(c.name) && c.name !== 'argv' && c.name !== 'command_line' && forThisOs('process', c.name))
                .map((c) => (
                  <tr key={c.name}>
                    <th title={docsOf('process')[c.name]}>{c.name}</th>
                    <td className="mono">{c.name === 'parent_process_id' ? <ProcessLink snapshotId={snapshotId} pid={col(p, row, c.name) as number} /> : text(col(p, row, c.name))}</td>
                  </tr>
                ))}
            </tbody>
          </table>
        </div>
        <div>
          <div className="card">
            <h3>Command line</h3>
            <pre className="proc-cmd" data-testid="process-cmdline">{text(col(p, row, 'command_line'))}</pre>
          </div>
          <div className="card">
            <h3>Parent chain</h3>
            <ol className="list" data-testid="process-ancestors">
              {view.ancestors.rows.map((r, i) => (
                <li key={i}>
                  <ProcessLink snapshotId={snapshotId} pid={col(view.ancestors, r, 'process_id') as number} hunt={view.hunt_id} /> <span className="mono">{text(col(view.ancestors, r, 'name'))}</span>{' '}
                  <span className="muted small mono">{text(col(view.ancestors, r, 'command_line'))}</span>
                </li>
              ))}
              {!view.ancestors.rows.length && <li className="muted">no parent in this snapshot</li>}
            </ol>
            <h3>Children ({view.children.total ?? view.children.rows.length})</h3>
            <ul className="list" data-testid="process-children">
              {view.children.rows.map((r, i) => (
                <li key={i}>
                  <ProcessLink snapshotId={snapshotId} pid={col(view.children, r, 'process_id') as number} hunt={view.hunt_id} /> <span className="mono">{text(col(view.children, r, 'name'))}</span>
                </li>
              ))}
              {!view.children.rows.length && <li className="muted">none</li>}
            </ul>
          </div>
        </div>
      </div>

      {env && (
        <div className="card">
          <h3 title={env.doc}>Environment ({env.page.total})</h3>
          <Section page={env.page} docs={docsOf(env.table)} testid="section-env_var" snapshotId={snapshotId} keep={(c) => forThisOs(env.table, c)} />
        </div>
      )}
      {others.map((s) => (
        <div className="card" key={s.key}>
          <h3 title={s.doc}>
            {s.doc.charAt(0).toUpperCase() + s.doc.slice(1)} ({s.page.total}){s.table === 'vma' && view.flagged_regions.length ? <span className="proc-badge warn">{view.flagged_regions.length} flagged</span> : null}
          </h3>
          <Section page={s.page} docs={docsOf(s.table)} mark={s.table === 'vma' && marks.size ? marks : undefined} testid={`section-${s.table}`} snapshotId={snapshotId} keep={(c) => forThisOs(s.table, c)} />
        </div>
      ))}
    </div>
  );
}
