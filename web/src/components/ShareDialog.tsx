// Share dialog: classification (TLP + tags) and shares of one object with users (by e-mail) or
// projects of the organization; active shares can be revoked. The server decides who may do what;
// the dialog shows its answer when it says no.
import { useEffect, useState } from 'react';
import { api, type Share, type Tlp } from '../lib/api';
import type { Session } from '../App';
import { TlpBadge } from './TlpBadge';

export function ShareDialog({ session, kind, id, tlp, tags, onClose, onChanged }: { session: Session; kind: 'snapshot' | 'saved_query' | 'result_set' | 'playbook'; id: string; tlp: Tlp; tags: string[]; onClose(): void; onChanged(): void }) {
  const [shares, setShares] = useState<Share[]>([]);
  const [users, setUsers] = useState<{ id: string; email: string; name: string }[]>([]);
  const [email, setEmail] = useState('');
  const [project, setProject] = useState('');
  const [cls, setCls] = useState<Tlp>(tlp);
  const [tagText, setTagText] = useState(tags.join(', '));
  const [error, setError] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const load = async () => {
    setShares(await api('GET', `/objects/${kind}/${id}/shares`));
    setUsers(await api('GET', '/users'));
  };
  useEffect(() => {
    void load().catch((e) => setError(e.message));
  }, [id]);
  const act = async (f: () => Promise<unknown>, ok: string) => {
    setError(null);
    setNote(null);
    try {
      await f();
      setNote(ok);
      await load();
      onChanged();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const who = (s: Share) => (s.target_kind === 'user' ? users.find((u) => u.id === s.target_id)?.email ?? s.target_id : `project ${session.projects.find((p) => p.id === s.target_id)?.name ?? s.target_id}`);
  return (
    <div className="modal-backdrop" onClick={onClose}>
      <div className="modal" onClick={(e) => e.stopPropagation()} data-testid="share-dialog">
        <h3>
          Share and classify <TlpBadge tlp={tlp} tags={tags} />
        </h3>
        <fieldset>
          <legend>Classification</legend>
          <select value={cls} onChange={(e) => setCls(e.target.value as Tlp)} data-testid="share-tlp">
            {session.catalog.tlp.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
          <input value={tagText} onChange={(e) => setTagText(e.target.value)} placeholder="tags, comma separated" data-testid="share-tags" />
          <button
            data-testid="share-classify"
            onClick={() => act(() => api('PUT', `/objects/${kind}/${id}/classification`, { classification: cls, tags: tagText.split(',').map((t) => t.trim()).filter(Boolean) }), 'classification saved')}
          >
            Save
          </button>
          {cls === 'RED' && <p className="hint">TLP:RED — only you and the people you name below will see it (not the project, not admins).</p>}
        </fieldset>
        <fieldset>
          <legend>Share with a person</legend>
          <input list="share-users" value={email} onChange={(e) => setEmail(e.target.value)} placeholder="e-mail" data-testid="share-email" />
          <datalist id="share-users">
            {users.map((u) => (
              <option key={u.id} value={u.email}>
                {u.name}
              </option>
            ))}
          </datalist>
          <button data-testid="share-user" disabled={!email} onClick={() => act(() => api('POST', `/objects/${kind}/${id}/shares`, { target_kind: 'user', email }), `shared with ${email}`)}>
            Share
          </button>
        </fieldset>
        <fieldset>
          <legend>Share with a project</legend>
          <select value={project} onChange={(e) => setProject(e.target.value)} data-testid="share-project-select">
            <option value="">choose…</option>
            {session.projects.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
          <button disabled={!project} onClick={() => act(() => api('POST', `/objects/${kind}/${id}/shares`, { target_kind: 'project', target_id: project }), 'shared with the project')}>
            Share
          </button>
        </fieldset>
        <h4>Shares</h4>
        <ul className="list" data-testid="share-list">
          {shares.map((s) => (
            <li key={s.id} className={s.revoked_at ? 'revoked' : ''}>
              {who(s)} {s.revoked_at ? <small>revoked {s.revoked_at.slice(0, 19)}</small> : <button onClick={() => act(() => api('DELETE', `/shares/${s.id}`), 'share revoked')}>Revoke</button>}
            </li>
          ))}
          {shares.length === 0 && <li>Not shared.</li>}
        </ul>
        {note && <div className="note" data-testid="share-note">{note}</div>}
        {error && <div className="error" data-testid="share-error">{error}</div>}
        <button onClick={onClose} data-testid="share-close">
          Close
        </button>
      </div>
    </div>
  );
}
