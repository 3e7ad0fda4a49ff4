// Project members and roles (owners change them), and — for organization admins — adding users to
// the organization. The server enforces who may do this; the panel shows its refusals.
import { useEffect, useState } from 'react';
import { api } from '../lib/api';
import type { Session } from '../App';

interface Member { user_id: string; email: string; name: string; role: string }

export function MembersPanel({ session, projectId, canManage }: { session: Session; projectId: string; canManage: boolean }) {
  const [members, setMembers] = useState<Member[]>([]);
  const [email, setEmail] = useState('');
  const [role, setRole] = useState('analyst');
  const [nu, setNu] = useState({ email: '', name: '', password: '' });
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const load = () => void api<Member[]>('GET', `/projects/${projectId}/members`).then(setMembers).catch(() => setMembers([]));
  useEffect(load, [projectId]);
  const act = async (f: () => Promise<unknown>, ok: string) => {
    try {
      await f();
      setMsg({ ok: true, text: ok });
      load();
    } catch (e) {
      setMsg({ ok: false, text: (e as Error).message });
    }
  };
  return (
    <details className="members" data-testid="members-panel">
      <summary>Members ({members.length})</summary>
      <table>
        <tbody>
          {members.map((m) => (
            <tr key={m.user_id}>
              <td>{m.name}</td>
              <td>{m.email}</td>
              <td>
                {canManage ? (
                  <select value={m.role} onChange={(e) => act(() => api('PUT', `/projects/${projectId}/members`, { user_id: m.user_id, role: e.target.value }), 'role changed')}>
                    <option>owner</option>
                    <option>analyst</option>
                    <option>viewer</option>
                  </select>
                ) : (
                  m.role
                )}
              </td>
              <td>{canManage && m.user_id !== session.user.id && <button onClick={() => act(() => api('DELETE', `/projects/${projectId}/members/${m.user_id}`), 'removed')}>Remove</button>}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {canManage && (
        <div className="row">
          <input placeholder="e-mail of a user in your organization" value={email} onChange={(e) => setEmail(e.target.value)} data-testid="member-email" />
          <select value={role} onChange={(e) => setRole(e.target.value)} data-testid="member-role">
            <option>owner</option>
            <option>analyst</option>
            <option>viewer</option>
          </select>
          <button disabled={!email} onClick={() => act(() => api('PUT', `/projects/${projectId}/members`, { email, role }), `${email} is ${role}`)} data-testid="member-add">
            Add
          </button>
        </div>
      )}
      {session.user.org_admin && (
        <div className="row">
          <b>New user:</b>
          <input placeholder="e-mail" value={nu.email} onChange={(e) => setNu({ ...nu, email: e.target.value })} />
          <input placeholder="name" value={nu.name} onChange={(e) => setNu({ ...nu, name: e.target.value })} />
          <input placeholder="initial password (8+)" type="password" value={nu.password} onChange={(e) => setNu({ ...nu, password: e.target.value })} />
          <button disabled={!nu.email || !nu.name || nu.password.length < 8} onClick={() => act(() => api('POST', '/users', nu).then(() => setNu({ email: '', name: '', password: '' })), 'user created')}>
            Create user
          </button>
        </div>
      )}
      {msg && <div className={msg.ok ? 'note' : 'error'}>{msg.text}</div>}
    </details>
  );
}
