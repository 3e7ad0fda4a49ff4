// Playbook library grouped by ATT&CK tactic (filter by tactic/technique/text), run on a scope; hits
// show as the ATT&CK matrix (tactics in matrix order, cells coloured by hits and severity) and as a
// list by tactic → playbook, each row labelled with machine and snapshot and linking to the process;
// the hunt downloads as a report (HTML, or PDF where the server has Chromium).
// Custom playbooks of the organization are listed with their classification badge, can be created
// (YAML form) and shared or reclassified with the same dialog as snapshots and saved queries.
import { useEffect, useMemo, useState } from 'react';
import { FileDown, Play, Plus } from 'lucide-react';
import { api, download, type HuntHit, type HuntJob, type Playbook, type Scope } from '../lib/api';
import { TACTICS, tacticName } from '../lib/attack';
import { snapshotName } from '../lib/labels';
import { ScopePicker, useScopeData } from '../components/ScopePicker';
import { AttackMatrix } from '../components/AttackMatrix';
import { ProcessLink } from '../components/ProcessLink';
import { PlaybookForm } from '../components/PlaybookForm';
import { ShareDialog } from '../components/ShareDialog';
import { TlpBadge } from '../components/TlpBadge';
import type { Session } from '../App';

export function PlaybooksPage({ session }: { session: Session }) {
  const [pbs, setPbs] = useState<Playbook[]>([]);
  const [tactic, setTactic] = useState('');
  const [filter, setFilter] = useState('');
  const [scope, setScope] = useState<Scope>({ all: true });
  const [hits, setHits] = useState<HuntHit[] | null>(null);
  const [huntId, setHuntId] = useState<string | null>(null);
  const { snaps, machines } = useScopeData(session);
  const snapLabel = (id: string) => {
    const s = snaps.find((x) => x.id === id);
    return s ? snapshotName(s, machines.find((m) => m.id === s.machine_id)?.name) : id;
  };
  const [errors, setErrors] = useState<{ playbook_id: string; message: string }[]>([]);
  const [running, setRunning] = useState(false);
  const [progress, setProgress] = useState<HuntJob['progress'] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [sharing, setSharing] = useState<Playbook | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const exportReport = (format: 'html' | 'pdf') => {
    if (!huntId) return;
    setNote(null);
    download(`/hunts/${encodeURIComponent(huntId)}/report?format=${format}`, `${huntId}.${format}`).then(
      () => setNote(`report downloaded (${format.toUpperCase()})`),
      (e) => setNote(`report: ${(e as Error).message}`),
    );
  };
  const load = () => api<Playbook[]>('GET', '/playbooks').then(setPbs).catch((e) => setError(e.message));
  useEffect(() => void load(), []);
  const remove = async (p: Playbook) => {
    if (!window.confirm(`Delete playbook "${p.title}"?`)) return;
    await api('DELETE', `/playbooks/${p.id}`).catch((e) => setError(e.message));
    await load();
  };
  // tactics the library covers, in the matrix's order with their own names
  const tactics = useMemo(() => {
    const used = new Set(pbs.flatMap((p) => p.techniques.flatMap((t) => t.tactics)));
    return TACTICS.filter((t) => used.has(t.shortname));
  }, [pbs]);
  const library = useMemo(() => pbs.flatMap((p) => p.techniques), [pbs]);
  const shown = pbs.filter(
    (p) => (!tactic || p.techniques.some((t) => t.tactics.includes(tactic))) && (!filter || `${p.id} ${p.title} ${p.techniques.map((t) => `${t.id} ${t.name}`).join(' ')}`.toLowerCase().includes(filter.toLowerCase())),
  );
  const run = async () => {
    setRunning(true);
    setError(null);
    try {
      // a hunt is a job: started here, then polled (the API never runs it inside one request)
      let job = await api<HuntJob>('POST', '/hunts', { scope, playbook_ids: shown.map((p) => p.id) });
      for (let delay = 300; job.status === 'running'; delay = Math.min(2000, delay * 1.5)) {
        setProgress(job.progress);
        await new Promise((r) => setTimeout(r, delay));
        job = await api<HuntJob>('GET', `/hunts/${job.id}`);
      }
      if (job.status === 'failed' || !job.result) throw new Error(job.error ?? 'the hunt failed');
      setHits(job.result.hits);
      setHuntId(job.id);
      setErrors(job.result.errors); // the server keeps the per-snapshot counts for the fleet overview
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setRunning(false);
      setProgress(null);
    }
  };
  // one entry per playbook and snapshot (a playbook's several queries merge), under each of its tactics
  const merged = new Map<string, HuntHit>();
  for (const h of hits ?? []) {
    const k = `${h.playbook_id}\0${h.snapshot_id}`;
    const m = merged.get(k);
    if (!m) merged.set(k, { ...h, rows: [...h.rows] });
    else if (m.columns.join() === h.columns.join()) m.rows.push(...h.rows.filter((r) => !m.rows.some((x) => JSON.stringify(x) === JSON.stringify(r))));
    else merged.set(`${k}\0${merged.size}`, h);
  }
  const byTactic = new Map<string, HuntHit[]>();
  for (const h of merged.values()) for (const t of new Set(h.techniques.flatMap((x) => x.tactics))) byTactic.set(t, [...(byTactic.get(t) ?? []), h]);
  const tacticRank = (t: string) => {
    const i = TACTICS.findIndex((x) => x.shortname === t);
    return i < 0 ? TACTICS.length : i;
  };
  const tacticGroups = [...byTactic.entries()].sort((a, b) => tacticRank(a[0]) - tacticRank(b[0]));
  return (
    <div>
      <div className="row">
        <select value={tactic} onChange={(e) => setTactic(e.target.value)} data-testid="tactic-filter">
          <option value="">all tactics</option>
          {tactics.map((t) => (
            <option key={t.shortname} value={t.shortname}>
              {t.name}
            </option>
          ))}
        </select>
        <input placeholder="filter technique / text" value={filter} onChange={(e) => setFilter(e.target.value)} />
        <ScopePicker session={session} value={scope} onChange={setScope} />
        <button className="primary" onClick={run} disabled={running || shown.length === 0} data-testid="run-playbooks">
          <Play size={15} aria-hidden />
          {running ? `Hunting…${progress ? ` ${progress.done}/${progress.total}` : ''}` : `Run ${shown.length} playbooks`}
        </button>
        <button onClick={() => setCreating(!creating)} data-testid="new-playbook">
          <Plus size={15} aria-hidden /> New playbook
        </button>
      </div>
      {creating && <PlaybookForm session={session} onClose={() => setCreating(false)} onCreated={() => (setCreating(false), void load())} />}
      {sharing && sharing.classification && (
        <ShareDialog session={session} kind="playbook" id={sharing.id} tlp={sharing.classification} tags={sharing.tags ?? []} onClose={() => setSharing(null)} onChanged={() => void load()} />
      )}
      {error && <div className="error">{error}</div>}
      {hits && (
        <div className="hunt-results" data-testid="hunt-results">
          <div className="row">
            <h3 data-testid="hunt-summary" style={{ margin: 0 }}>
              {new Set(hits.map((h) => h.playbook_id)).size} playbooks fired, {hits.reduce((n, h) => n + h.rows.length, 0)} hits
            </h3>
            <span className="spacer" />
            <button onClick={() => exportReport('html')} disabled={!huntId} data-testid="hunt-report-html" title="the hunt as one self-contained HTML document">
              <FileDown size={15} aria-hidden /> Report (HTML)
            </button>
            <button onClick={() => exportReport('pdf')} disabled={!huntId} data-testid="hunt-report-pdf" title="the same report printed to PDF by the server">
              <FileDown size={15} aria-hidden /> Report (PDF)
            </button>
            {note && <small className="muted" data-testid="hunt-report-note">{note}</small>}
          </div>
          <AttackMatrix library={library} hits={[...merged.values()]} snaps={snaps} machines={machines} huntId={huntId} />
          <h3>Hits by tactic</h3>
          {tacticGroups.map(([t, hs]) => (
            <div key={t} className="tactic">
              <h4>{tacticName(t)}</h4>
              {hs.map((h, i) => {
                const sc = h.columns.indexOf('snapshot');
                const pc = h.columns.indexOf('process_id');
                const nc = h.columns.indexOf('name');
                return (
                  <div key={`${h.playbook_id}-${i}`} className="hit" data-testid="hunt-hit" data-playbook={h.playbook_id}>
                    <span className={`sev ${h.severity}`}>{h.severity}</span> <b>{h.title}</b>{' '}
                    <small>{h.techniques.map((x) => `${x.id} ${x.name}`).join(', ')}</small>
                    <ul>
                      {h.rows.slice(0, 50).map((r, j) => {
                        const snap = String(r[sc] ?? h.snapshot_id);
                        const label = nc >= 0 ? String(r[nc]) : h.columns.map((c, k) => [c, r[k]] as const).filter(([c]) => !['project', 'machine', 'snapshot', 'process_id'].includes(c)).slice(0, 3).map(([c, v]) => `${c}=${String(v)}`).join(' ');
                        return (
                          <li key={j}>
                            <span className="muted">{snapLabel(snap)}</span> ·{' '}
                            {pc >= 0 ? (
                              <ProcessLink snapshotId={snap} pid={r[pc] as number} hunt={huntId}>
                                pid {String(r[pc])} {label}
                              </ProcessLink>
                            ) : (
                              label
                            )}
                          </li>
                        );
                      })}
                    </ul>
                  </div>
                );
              })}
            </div>
          ))}
          {errors.length > 0 && (
            <details>
              <summary>{errors.length} playbook queries failed</summary>
              {errors.map((e, i) => (
                <div key={i}>
                  {e.playbook_id}: {e.message}
                </div>
              ))}
            </details>
          )}
        </div>
      )}
      <table className="playbooks" data-testid="playbook-list">
        <thead>
          <tr>
            <th>Playbook</th>
            <th>ATT&CK</th>
            <th>Severity</th>
            <th>Platform</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((p) => (
            <tr key={p.id} data-testid={p.custom ? 'custom-playbook' : undefined}>
              <td title={p.description}>
                <b>{p.title}</b> {p.classification && <TlpBadge tlp={p.classification} tags={p.tags} />}
                <br />
                <small>{p.custom ? `${p.slug} · custom, ${session.projects.find((x) => x.id === p.project_id)?.name ?? 'shared with you'}` : p.id}</small>
                {p.error && <div className="error">{p.error}</div>}
                {p.custom && (
                  <div>
                    <button onClick={() => setSharing(p)} data-testid="share-playbook">
                      Share…
                    </button>{' '}
                    <button onClick={() => void remove(p)}>Delete</button>
                  </div>
                )}
              </td>
              <td>
                {p.techniques.map((t) => (
                  <div key={t.id}>
                    {t.id} {t.name} <small className="muted">({t.tactics.map(tacticName).join(', ')})</small>
                  </div>
                ))}
              </td>
              <td>
                <span className={`sev ${p.severity}`}>{p.severity}</span>
              </td>
              <td>{p.platform}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
