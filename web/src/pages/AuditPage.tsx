// Audit log: who uploaded, queried, shared, reclassified or deleted what (org admins: all; project
// owners: their project).
import { useEffect, useState } from 'react';
import { api } from '../lib/api';
import type { Session } from '../App';

export function AuditPage({ session }: { session: Session }) {
  const owned = session.projects.filter((p) => p.role === 'owner');
  const [project, setProject] = useState(session.user.org_admin ? '' : owned[0]?.id ?? '');
  const [events, setEvents] = useState<any[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [users, setUsers] = useState<Record<string, string>>({});
  useEffect(() => void api<any[]>('GET', '/users').then((u) => setUsers(Object.fromEntries(u.map((x) => [x.id, x.email])))), []);
  useEffect(() => {
    setError(null);
    void api<any[]>('GET', `/audit${project ? `?project_id=${project}` : ''}`)
      .then(setEvents)
      .catch((e) => (setError(e.message), setEvents([])));
  }, [project]);
  return (
    <div>
      <select value={project} onChange={(e) => setProject(e.target.value)}>
        {session.user.org_admin && <option value="">whole organization</option>}
        {session.projects.map((p) => (
          <option key={p.id} value={p.id}>
            {p.name}
          </option>
        ))}
      </select>
      {error && <div className="error">{error}</div>}
      <table data-testid="audit-log">
        <tbody>
          {events.map((e) => (
            <tr key={e.id}>
              <td className="mono">{e.at.slice(0, 19)}</td>
              <td>{users[e.actor_id] ?? e.actor_id}</td>
              <td>{e.action}</td>
              <td>
                {e.resource_kind} {e.resource_id}
              </td>
              <td className="mono">
                <small>{JSON.stringify(e.detail)}</small>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
