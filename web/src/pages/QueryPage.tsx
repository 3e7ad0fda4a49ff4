// Query: highlighted editor with completion at the cursor and inline errors, the scope (remembered,
// and set by a snapshot page's "Query" button), async run with polling, the virtualized result grid
// (dimmed while the text has an error or the last run failed), saved queries one click away, and
// storing results as a classified finding, which downloads as a report (HTML, or PDF where the server
// has Chromium).
import { useEffect, useState } from 'react';
import { Bookmark, FileDown, Play, Save, Share2 } from 'lucide-react';
import { api, download, type Page, type Scope, type Tlp } from '../lib/api';
import { processHref } from '../components/ProcessLink';
import { snapshotName } from '../lib/labels';
import type { CheckResult } from '../components/QueryEditor';
import { QueryEditor } from '../components/QueryEditor';
import { ScopePicker, useScopeData } from '../components/ScopePicker';
import { Grid } from '../components/Grid';
import { TlpBadge } from '../components/TlpBadge';
import { ShareDialog } from '../components/ShareDialog';
import type { Session } from '../App';

export const SEED_QUERY = 'process.process_object.parent_process_id == 1 &&\nprocess.vad_object.file_name == "/usr/sbin/agetty"';

interface SavedQuery { id: string; name: string; text: string; classification: Tlp; tags: string[] }
interface Finding { id: string; name: string; query: string; columns: string[]; rows: unknown[][]; classification: Tlp; tags: string[] }

export function QueryPage({ session }: { session: Session }) {
  const [text, setText] = useState(() => sessionStorage.getItem('memq.query') ?? SEED_QUERY);
  const [scope, setScopeState] = useState<Scope>(() => {
    try {
      return JSON.parse(sessionStorage.getItem('memq.scope') ?? 'null') ?? { all: true };
    } catch {
      return { all: true };
    }
  });
  const setScope = (s: Scope) => {
    sessionStorage.setItem('memq.scope', JSON.stringify(s));
    setScopeState(s);
  };
  const [result, setResult] = useState<{ page: Page; elapsed: number | null; text: string } | null>(null);
  const [checkOk, setCheckOk] = useState(true);
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState<SavedQuery[]>([]);
  const [saveName, setSaveName] = useState('');
  const [findings, setFindings] = useState<Finding[]>([]);
  const [sharing, setSharing] = useState<{ kind: 'saved_query' | 'result_set'; item: SavedQuery | Finding } | null>(null);
  const projectId = scope.project_id ?? session.projects[0]?.id;
  const [note, setNote] = useState<string | null>(null);
  const findingReport = (f: Finding, format: 'html' | 'pdf') => {
    setNote(null);
    download(`/result-sets/${encodeURIComponent(f.id)}/report?format=${format}`, `${f.id}.${format}`).then(
      () => setNote(`report of ${f.name} downloaded (${format.toUpperCase()})`),
      (e) => setNote(`report: ${(e as Error).message}`),
    );
  };
  // result rows name their project/machine/snapshot by id (partition values): show names
  const { snaps, machines } = useScopeData(session);
  const names = new Map<string, string>([...session.projects.map((p) => [p.id, p.name] as const), ...machines.map((m) => [m.id, m.name] as const), ...snaps.map((x) => [x.id, snapshotName(x, machines.find((m) => m.id === x.machine_id)?.name)] as const)]);
  const format = (c: string, v: unknown) => (c === 'project' || c === 'machine' || c === 'snapshot' ? names.get(String(v)) ?? String(v) : v === null || v === undefined ? '' : Array.isArray(v) ? v.join(' ') : String(v));
  useEffect(() => sessionStorage.setItem('memq.query', text), [text]);
  const loadSaved = () => {
    if (!projectId) return;
    void api<SavedQuery[]>('GET', `/saved-queries?project_id=${projectId}`).then(setSaved).catch(() => setSaved([]));
    void api<Finding[]>('GET', `/result-sets?project_id=${projectId}`).then(setFindings).catch(() => setFindings([]));
  };
  useEffect(() => void loadSaved(), [projectId]);

  const run = async (q = text) => {
    setRunning(true);
    setError(null);
    try {
      let job = await api('POST', '/queries', { text: q, scope });
      // poll until done, then fetch all rows in pages of ≤ 100k rows (the API also cuts a page by size: follow next_offset)
      for (let i = 0; job.status === 'running' && i < 3600; i++) {
        await new Promise((r) => setTimeout(r, 300));
        job = (await api('GET', `/queries/${job.id}?limit=0`)).job;
      }
      if (job.status === 'failed') throw new Error(job.error?.message ?? 'query failed');
      let rows: unknown[][] = [];
      let first: Page | null = null;
      for (let off: number | null = 0; off !== null; ) {
        const r: { page: Page & { next_offset?: number | null } } = await api('GET', `/queries/${job.id}?offset=${off}&limit=100000`);
        first ??= r.page;
        rows = rows.concat(r.page.rows);
        if (rows.length >= (r.page.total ?? Infinity) || r.page.rows.length === 0) break;
        off = r.page.next_offset === undefined ? off + r.page.rows.length : r.page.next_offset;
      }
      setResult({ page: { ...first!, rows }, elapsed: job.elapsed_ms, text: q });
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setRunning(false);
    }
  };
  const save = async () => {
    try {
      await api('POST', '/saved-queries', { project_id: projectId, name: saveName, text });
      setSaveName('');
      loadSaved();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const storeFinding = async () => {
    if (!result || !projectId) return;
    const name = prompt('Name of the finding', 'finding');
    if (!name) return;
    try {
      await api('POST', '/result-sets', { project_id: projectId, name, query: result.text, columns: result.page.columns.map((c) => c.name), rows: result.page.rows.slice(0, 10000) });
      loadSaved();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const cols = result?.page.columns.map((c) => c.name) ?? [];
  const snapCol = cols.indexOf('snapshot');
  const pidCol = cols.findIndex((c) => c === 'process_id');
  return (
    <div className="split">
      <aside>
        <h2>Saved queries</h2>
        <ul className="list" data-testid="saved-queries">
          {saved.map((q) => (
            <li key={q.id}>
              <a href="#/query" onClick={(e) => (e.preventDefault(), setText(q.text))} title={q.text}>
                {q.name}
              </a> <TlpBadge tlp={q.classification} />{' '}
              <button className="linklike" title="share / classify" aria-label={`share or classify ${q.name}`} onClick={() => setSharing({ kind: 'saved_query', item: q })}>
                <Share2 size={13} />
              </button>
            </li>
          ))}
          {saved.length === 0 && <li>None in this project.</li>}
        </ul>
        <div className="row">
          <input placeholder="name" value={saveName} onChange={(e) => setSaveName(e.target.value)} data-testid="save-name" />
          <button disabled={!saveName || !projectId} onClick={save} data-testid="save-query">
            Save
          </button>
        </div>
        <h3>Findings</h3>
        <ul className="list" data-testid="findings">
          {findings.map((f) => (
            <li key={f.id} data-testid="finding" data-finding={f.id}>
              <a href="#/query" onClick={(e) => (e.preventDefault(), setText(f.query), setResult({ page: { columns: f.columns.map((name) => ({ name, kind: 'string' })), rows: f.rows, total: f.rows.length, offset: 0 }, elapsed: null, text: f.query }))}>{f.name}</a>{' '}
              <TlpBadge tlp={f.classification} tags={f.tags} />{' '}
              <button className="linklike" title="share / classify" aria-label={`share or classify ${f.name}`} onClick={() => setSharing({ kind: 'result_set', item: f })}>
                <Share2 size={13} />
              </button>
              <div className="row small">
                <button onClick={() => findingReport(f, 'html')} data-testid="finding-report-html" title="this finding as one self-contained HTML document">
                  <FileDown size={13} aria-hidden /> Report (HTML)
                </button>
                <button onClick={() => findingReport(f, 'pdf')} data-testid="finding-report-pdf" title="the same report printed to PDF by the server">
                  <FileDown size={13} aria-hidden /> Report (PDF)
                </button>
              </div>
            </li>
          ))}
          {findings.length === 0 && <li>None stored.</li>}
        </ul>
        {note && <small className="muted" data-testid="finding-report-note">{note}</small>}
        <h3>Objects</h3>
        <ul className="list small">
          {Object.entries(session.catalog.objects).map(([n, o]) => (
            <li key={n} title={o.doc}>
              <b>{n}</b>: {Object.keys(o.sub_objects).join(', ')}
            </li>
          ))}
        </ul>
      </aside>
      <section>
        <div className="row">
          <ScopePicker session={session} value={scope} onChange={setScope} />
          <button className="primary" onClick={() => void run()} disabled={running} data-testid="run-query">
            <Play size={15} aria-hidden />
            {running ? 'Running…' : 'Run (Ctrl+Enter)'}
          </button>
          {result && result.elapsed !== null && <small data-testid="query-elapsed">{result.elapsed} ms</small>}
          {result && (
            <button onClick={storeFinding} data-testid="store-finding">
              <Save size={15} aria-hidden /> Store as finding
            </button>
          )}
        </div>
        {saved.length > 0 && (
          <div className="saved-chips" data-testid="saved-chips">
            <Bookmark size={14} className="muted" aria-label="saved queries" />
            {saved.slice(0, 12).map((q) => (
              <button key={q.id} className="chip" title={`run: ${q.text}`} onClick={() => (setText(q.text), void run(q.text))} data-testid="saved-chip">
                {q.name}
              </button>
            ))}
          </div>
        )}
        <QueryEditor session={session} value={text} onChange={setText} onRun={() => void run()} onCheck={(c: CheckResult) => setCheckOk(c.ok)} />
        {error && (
          <div className="error" data-testid="run-error">
            {error}
            {result && <small> — the result below is from the previous run</small>}
          </div>
        )}
        {result && (
          <div className={error || !checkOk ? 'stale' : ''} data-testid="query-result" data-stale={error || !checkOk ? 'true' : 'false'}>
            <Grid
              columns={cols}
              rows={result.page.rows}
              format={format}
              onRowClick={snapCol >= 0 ? (r) => (window.location.hash = pidCol >= 0 && r[pidCol] !== null ? processHref(String(r[snapCol]), String(r[pidCol])) : `#/snapshots/${encodeURIComponent(String(r[snapCol]))}`) : undefined}
            />
          </div>
        )}
      </section>
      {sharing && (
        <ShareDialog
          session={session}
          kind={sharing.kind}
          id={sharing.item.id}
          tlp={sharing.item.classification}
          tags={sharing.item.tags}
          onClose={() => setSharing(null)}
          onChanged={loadSaved}
        />
      )}
    </div>
  );
}
