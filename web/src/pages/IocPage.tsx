// IOC search: IPs, domains, URLs, hashes, paths or process names (one per line or comma separated)
// across a snapshot, machine, project or everything readable; each hit names where it was found.
import { useState } from 'react';
import { api, type Scope } from '../lib/api';
import { go } from '../lib/router';
import { ScopePicker } from '../components/ScopePicker';
import type { Session } from '../App';

interface Hit { ioc: string; kind: string; snapshot_id: string; table: string; column: string; match: string; where: Record<string, unknown> }

export function IocPage({ session }: { session: Session }) {
  const [text, setText] = useState('');
  const [scope, setScope] = useState<Scope>({ all: true });
  const [res, setRes] = useState<{ hits: Hit[]; snapshots_searched: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const search = async () => {
    setError(null);
    try {
      setRes(await api('POST', '/ioc', { values: text.split(/[\n,]+/).map((v) => v.trim()).filter(Boolean), scope }));
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <div>
      <div className="row">
        <textarea value={text} onChange={(e) => setText(e.target.value)} placeholder="10.9.8.7, evil.example.com, /tmp/.hidden/evil-miner, …" rows={2} data-testid="ioc-input" />
        <ScopePicker session={session} value={scope} onChange={setScope} />
        <button onClick={search} disabled={!text.trim()} data-testid="ioc-search">
          Search
        </button>
      </div>
      {error && <div className="error">{error}</div>}
      {res && (
        <table data-testid="ioc-results">
          <caption>
            {res.hits.length} hits in {res.snapshots_searched} snapshots
          </caption>
          <thead>
            <tr>
              <th>IOC</th>
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
                <td>
                  <a onClick={() => go('snapshots', h.snapshot_id, h.where.process_id !== undefined ? String(h.where.process_id) : '')}>
                    {h.table}.{h.column}
                  </a>
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
      )}
    </div>
  );
}
