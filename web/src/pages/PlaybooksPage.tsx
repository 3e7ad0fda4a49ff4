// Playbook library grouped by ATT&CK tactic (filter by tactic/technique/text), run on a scope; hits
// are grouped by tactic → technique → playbook, each row linking to the object in its snapshot.
// Custom playbooks of the organization are listed with their classification badge, can be created
// (YAML form) and shared or reclassified with the same dialog as snapshots and saved queries.
import { useEffect, useMemo, useState } from 'react';
import { api, type HuntHit, type HuntJob, type Playbook, type Scope } from '../lib/api';
import { go } from '../lib/router';
import { ScopePicker } from '../components/ScopePicker';
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
  const [errors, setErrors] = useState<{ playbook_id: string; message: string }[]>([]);
  const [running, setRunning] = useState(false);
  const [progress, setProgress] = useState<HuntJob['progress'] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [sharing, setSharing] = useState<Playbook | null>(null);
  const load = () => api<Playbook[]>('GET', '/playbooks').then(setPbs).catch((e) => setError(e.message));
  useEffect(() => void load(), []);
  const remove = async (p: Playbook) => {
    if (!window.confirm(`Delete playbook "${p.title}"?`)) return;
    await api('DELETE', `/playbooks/${p.id}`).catch((e) => setError(e.message));
    await load();
  };
  const tactics = useMemo(() => [...new Set(pbs.flatMap((p) => p.techniques.flatMap((t) => t.tactics)))].sort(), [pbs]);
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
      setErrors(job.result.errors);
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
  return (
    <div>
      <div className="row">
        <select value={tactic} onChange={(e) => setTactic(e.target.value)} data-testid="tactic-filter">
          <option value="">all tactics</option>
          {tactics.map((t) => (
            <option key={t}>{t}</option>
          ))}
        </select>
        <input placeholder="filter technique / text" value={filter} onChange={(e) => setFilter(e.target.value)} />
        <ScopePicker session={session} value={scope} onChange={setScope} />
        <button onClick={run} disabled={running || shown.length === 0} data-testid="run-playbooks">
          {running ? `Hunting…${progress ? ` ${progress.done}/${progress.total}` : ''}` : `Run ${shown.length} playbooks`}
        </button>
        <button onClick={() => setCreating(!creating)} data-testid="new-playbook">
          New playbook
        </button>
      </div>
      {creating && <PlaybookForm session={session} onClose={() => setCreating(false)} onCreated={() => (setCreating(false), void load())} />}
      {sharing && sharing.classification && (
        <ShareDialog session={session} kind="playbook" id={sharing.id} tlp={sharing.classification} tags={sharing.tags ?? []} onClose={() => setSharing(null)} onChanged={() => void load()} />
      )}
      {error && <div className="error">{error}</div>}
      {hits && (
        <div className="hunt-results" data-testid="hunt-results">
          <h3 data-testid="hunt-summary">
            {new Set(hits.map((h) => h.playbook_id)).size} playbooks fired, {hits.reduce((n, h) => n + h.rows.length, 0)} hits
          </h3>
          {[...byTactic.entries()].map(([t, hs]) => (
            <div key={t} className="tactic">
              <h4>{t}</h4>
              {hs.map((h, i) => {
                const sc = h.columns.indexOf('snapshot');
                const pc = h.columns.indexOf('process_id');
                const nc = h.columns.indexOf('name');
                return (
                  <div key={`${h.playbook_id}-${i}`} className="hit" data-testid="hunt-hit" data-playbook={h.playbook_id}>
                    <span className={`sev ${h.severity}`}>{h.severity}</span> <b>{h.title}</b>{' '}
                    <small>{h.techniques.map((x) => `${x.id} ${x.name}`).join(', ')}</small>
                    <ul>
                      {h.rows.slice(0, 50).map((r, j) => (
                        <li key={j}>
                          <a onClick={() => go('snapshots', String(r[sc] ?? h.snapshot_id), pc >= 0 ? String(r[pc]) : '')}>
                            {pc >= 0 ? `pid ${r[pc]} ` : ''}
                            {nc >= 0 ? String(r[nc]) : h.columns.slice(3, 6).map((c, k) => `${c}=${String(r[k + 3])}`).join(' ')}
                          </a>
                        </li>
                      ))}
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
                    {t.id} {t.name} <small>({t.tactics.join(', ')})</small>
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
