// Chooses where a query, hunt or IOC search runs: everything I can read, a project, a machine or one
// snapshot. Lists only what the API says I may read.
import { useEffect, useState } from 'react';
import { api, type Machine, type Scope, type Snapshot } from '../lib/api';
import { snapshotName } from '../lib/labels';
import type { Session } from '../App';

export function useScopeData(session: Session) {
  const [snaps, setSnaps] = useState<Snapshot[]>([]);
  const [machines, setMachines] = useState<Machine[]>([]);
  useEffect(() => {
    void api<Snapshot[]>('GET', '/snapshots').then(setSnaps);
    void Promise.all(session.projects.map((p) => api<Machine[]>('GET', `/projects/${p.id}/machines`).catch(() => []))).then((l) => setMachines(l.flat()));
  }, [session.projects]);
  return { snaps, machines };
}

export function encodeScope(s: Scope): string {
  return s.all ? 'all' : s.project_id ? `p:${s.project_id}` : s.machine_id ? `m:${s.machine_id}` : `s:${s.snapshot_ids?.[0] ?? ''}`;
}
function decodeScope(v: string): Scope {
  if (v === 'all') return { all: true };
  const [k, id] = [v.slice(0, 1), v.slice(2)];
  return k === 'p' ? { project_id: id } : k === 'm' ? { machine_id: id } : { snapshot_ids: [id] };
}

export function ScopePicker({ session, value, onChange }: { session: Session; value: Scope; onChange(s: Scope): void }) {
  const { snaps, machines } = useScopeData(session);
  const machineName = (id: string) => machines.find((m) => m.id === id)?.name ?? id;
  return (
    <select value={encodeScope(value)} onChange={(e) => onChange(decodeScope(e.target.value))} data-testid="scope">
      <option value="all">All snapshots I can read ({snaps.filter((s) => s.status === 'ready').length})</option>
      <optgroup label="Projects">
        {session.projects.map((p) => (
          <option key={p.id} value={`p:${p.id}`}>
            project {p.name}
          </option>
        ))}
      </optgroup>
      <optgroup label="Machines">
        {machines.map((m) => (
          <option key={m.id} value={`m:${m.id}`}>
            machine {m.name}
          </option>
        ))}
      </optgroup>
      <optgroup label="Snapshots">
        {snaps
          .filter((s) => s.status === 'ready')
          .map((s) => (
            <option key={s.id} value={`s:${s.id}`}>
              {snapshotName(s, machineName(s.machine_id))} [TLP:{s.classification}]
            </option>
          ))}
      </optgroup>
    </select>
  );
}
