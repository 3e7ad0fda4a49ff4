// Query: editor with completion and inline errors, scope, async run with polling, the virtualized
// result grid, saved queries of a project, and storing results as a classified finding.
import { useEffect, useState } from 'react';
import { api, type Page, type Scope, type Tlp } from '../lib/api';
import { go } from '../lib/router';
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
  const [scope, setScope] = useState<Scope>({ all: true });
  const [result, setResult] = useState<{ page: Page; elapsed: number | null } | null>(null);
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState<SavedQuery[]>([]);
  const [saveName, setSaveName] = useState('');
  const [findings, setFindings] = useState<Finding[]>([]);
  const [sharing, setSharing] = useState<{ kind: 'saved_query' | 'result_set'; item: SavedQuery | Finding } | null>(null);
  const projectId = scope.project_id ?? session.projects[0]?.id;
  // result rows name their project/machine/snapshot by id (partition values): show names
  const { snaps, machines } = useScopeData(session);
  const names = new Map<string, string>([...session.projects.map((p) => [p.id, p.name] as const), ...machines.map((m) => [m.id, m.name] as const), ...snaps.map((x) => [x.id, x.name] as const)]);
  const format = (c: string, v: unknown) => (c === 'project' || c === 'machine' || c === 'snapshot' ? names.get(String(v)) ?? String(v) : v === null || v === undefined ? '' : Array.isArray(v) ? v.join(' ') : String(v));
  useEffect(() => sessionStorage.setItem('memq.query', text), [text]);
  const loadSaved = () => {
    if (!projectId) return;
    void api<SavedQuery[]>('GET', `/saved-queries?project_id=${projectId}`).then(setSaved).catch(() => setSaved([]));
    void api<Finding[]>('GET', `/result-sets?project_id=${projectId}`).then(setFindings).catch(() => setFindings([]));
  };
  useEffect(() => void loadSaved(), [projectId]);

  const run = async () => {
    setRunning(true);
    setError(null);
    setResult(null);
    try {
      let job = await api('POST', '/queries', { text, scope });
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
      setResult({ page: { ...first!, rows }, elapsed: job.elapsed_ms });
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
      await api('POST', '/result-sets', { project_id: projectId, name, query: text, columns: result.page.columns.map((c) => c.name), rows: result.page.rows.slice(0, 10000) });
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
              <a onClick={() => setText(q.text)}>{q.name}</a> <TlpBadge tlp={q.classification} />{' '}
              <a title="share / classify" onClick={() => setSharing({ kind: 'saved_query', item: q })}>
                ⇪
              </a>
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
            <li key={f.id}>
              <a onClick={() => (setText(f.query), setResult({ page: { columns: f.columns.map((name) => ({ name, kind: 'string' })), rows: f.rows, total: f.rows.length, offset: 0 }, elapsed: null }))}>{f.name}</a>{' '}
              <TlpBadge tlp={f.classification} tags={f.tags} />{' '}
              <a title="share / classify" onClick={() => setSharing({ kind: 'result_set', item: f })}>
                ⇪
              </a>
            </li>
          ))}
          {findings.length === 0 && <li>None stored.</li>}
        </ul>
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
          <button onClick={run} disabled={running} data-testid="run-query">
            {running ? 'Running…' : 'Run (Ctrl+Enter)'}
          </button>
          {result && <small data-testid="query-elapsed">{result.elapsed} ms</small>}
          {result && (
            <button onClick={storeFinding} data-testid="store-finding">
              Store as finding
            </button>
          )}
        </div>
        <QueryEditor session={session} value={text} onChange={setText} onRun={run} />
        {error && <div className="error" data-testid="run-error">{error}</div>}
        {result && (
          <Grid
            columns={cols}
            rows={result.page.rows}
            format={format}
            onRowClick={snapCol >= 0 ? (r) => go('snapshots', String(r[snapCol]), pidCol >= 0 ? String(r[pidCol]) : '') : undefined}
          />
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
