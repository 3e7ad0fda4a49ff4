// Audit log: who uploaded, queried, shared, reclassified or deleted what (org admins: all; project
// owners: their project), as sentences with readable details (lib/audit.ts), never raw JSON.
import { useEffect, useState } from 'react';
import { api } from '../lib/api';
import { auditPairs, auditSentence, type AuditEvent } from '../lib/audit';
import { utc } from '../lib/labels';
import type { Session } from '../App';

export function AuditPage({ session }: { session: Session }) {
  const owned = session.projects.filter((p) => p.role === 'owner');
  const [project, setProject] = useState(session.user.org_admin ? '' : owned[0]?.id ?? '');
  const [events, setEvents] = useState<AuditEvent[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [users, setUsers] = useState<Record<string, string>>({});
  useEffect(() => void api<{ id: string; email: string; name: string }[]>('GET', '/users').then((u) => setUsers(Object.fromEntries(u.map((x) => [x.id, x.name || x.email])))).catch(() => undefined), []);
  useEffect(() => {
    setError(null);
    void api<AuditEvent[]>('GET', `/audit${project ? `?project_id=${project}` : ''}`)
      .then(setEvents)
      .catch((e) => (setError(e.message), setEvents([])));
  }, [project]);
  const projects = Object.fromEntries(session.projects.map((p) => [p.id, p.name]));
  const resolve = (id: string) => users[id] ?? projects[id];
  return (
    <div>
      <div className="row">
        <h2 style={{ margin: 0 }}>Audit log</h2>
        <span className="spacer" />
        <label>
          Scope{' '}
          <select value={project} onChange={(e) => setProject(e.target.value)} data-testid="audit-scope">
            {session.user.org_admin && <option value="">whole organization</option>}
            {session.projects.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
      </div>
      {error && <div className="error">{error}</div>}
      <table data-testid="audit-log" className="audit">
        <thead>
          <tr>
            <th>When (UTC)</th>
            <th>Who</th>
            <th>What</th>
            <th>Project</th>
          </tr>
        </thead>
        <tbody>
          {events.map((e) => {
            const pairs = auditPairs(e, resolve);
            return (
              <tr key={e.id} data-testid="audit-entry" data-action={e.action}>
                <td className="mono nowrap">{utc(e.at)}</td>
                <td className="nowrap">{users[e.actor_id] ?? e.actor_id}</td>
                <td>
                  {auditSentence(e, resolve)}
                  {pairs.length > 0 && (
                    <div className="detail">
                      {pairs.map(([k, v]) => (
                        <span key={k}>
                          {k}: <b>{v}</b>{' '}
                        </span>
                      ))}
                    </div>
                  )}
                </td>
                <td className="nowrap">{e.project_id ? projects[e.project_id] ?? '' : ''}</td>
              </tr>
            );
          })}
          {events.length === 0 && !error && (
            <tr>
              <td colSpan={4}>No entries.</td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}
