// IOC search: IPs, domains, URLs, hashes, paths or process names (one per line or comma separated)
// across a snapshot, machine, project or everything readable; each hit names where it was found. The
// search is a job (POST /ioc-searches, then polled), since in the cloud it runs one Athena query per table.
import { useState } from 'react';
import { api, type IocJob, type IocResult, type Scope } from '../lib/api';
import { Search } from 'lucide-react';
import { snapshotName } from '../lib/labels';
import { ScopePicker, useScopeData } from '../components/ScopePicker';
import { ProcessLink } from '../components/ProcessLink';
import type { Session } from '../App';


export function IocPage({ session }: { session: Session }) {
  const [text, setText] = useState('');
  const [scope, setScope] = useState<Scope>({ all: true });
  const [res, setRes] = useState<IocResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [progress, setProgress] = useState<IocJob['progress'] | null>(null);
  const { snaps, machines } = useScopeData(session);
  const snapLabel = (id: string) => {
    const s = snaps.find((x) => x.id === id);
    return s ? snapshotName(s, machines.find((m) => m.id === s.machine_id)?.name) : id;
  };
  const search = async () => {
    setError(null);
    setRes(null);
    try {
      // an IOC search is a job like a hunt: started here, then polled (one Athena query per table in the cloud)
      let job = await api<IocJob>('POST', '/ioc-searches', { values: text.split(/[\n,]+/).map((v) => v.trim()).filter(Boolean), scope });
      for (let delay = 200; job.status === 'running'; delay = Math.min(2000, delay * 1.5)) {
        setProgress(job.progress);
        await new Promise((r) => setTimeout(r, delay));
        job = await api<IocJob>('GET', `/ioc-searches/${job.id}`);
      }
      if (job.status === 'failed' || !job.result) throw new Error(job.error ?? 'the IOC search failed');
      setRes(job.result);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setProgress(null);
    }
  };
  return (
    <div>
      <div className="row">
        <textarea value={text} onChange={(e) => setText(e.target.value)} placeholder="10.9.8.7, evil.example.com, /tmp/.hidden/evil-miner, …" rows={2} data-testid="ioc-input" />
        <ScopePicker session={session} value={scope} onChange={setScope} />
        <button className="primary" onClick={search} disabled={!text.trim() || progress !== null} data-testid="ioc-search">
          <Search size={15} aria-hidden />
          {progress ? `Searching… ${progress.done}/${progress.total}` : 'Search'}
        </button>
      </div>
      {error && <div className="error">{error}</div>}
      {res && res.errors.length > 0 && <div className="error">Not searched: {res.errors.map((e) => `${e.table} (${e.message})`).join('; ')}</div>}
      {res && res.truncated.length > 0 && <div className="hint">More hits may exist in: {res.truncated.join(', ')}</div>}
      {res && (
        <div className="table-scroll">
        <table data-testid="ioc-results">
          <caption>
            {res.hits.length} hits in {res.snapshots_searched} snapshots
          </caption>
          <thead>
            <tr>
              <th>IOC</th>
              <th>Snapshot</th>
              <th>Found in</th>
              <th>Where</th>
              <th>Text</th>
            </tr>
          </thead>
          <tbody>
            {res.hits.map((h, i) => (
              <tr key={i} data-testid="ioc-hit">
                <td>
                  {h.ioc} <small>{h.kind}</small>
                </td>
                <td className="nowrap">
                  <a href={`#/snapshots/${encodeURIComponent(h.snapshot_id)}`}>{snapLabel(h.snapshot_id)}</a>
                </td>
                <td>
                  {h.where.process_id !== undefined && h.where.process_id !== null ? (
                    <ProcessLink snapshotId={h.snapshot_id} pid={h.where.process_id as number}>
                      {h.table}.{h.column}
                    </ProcessLink>
                  ) : (
                    `${h.table}.${h.column}`
                  )}
                </td>
                <td className="mono">
                  {Object.entries(h.where)
                    .map(([k, v]) => `${k}=${String(v)}`)
                    .join(' ')}
                </td>
                <td className="mono">{h.match}</td>
              </tr>
            ))}
          </tbody>
        </table>
        </div>
      )}
    </div>
  );
}
