// Create form for a custom playbook: the YAML (same format as the bundled files), the project it lives
// in and its TLP label. The server validates it; its message (field, line, query position) is shown as is.
import { useState } from 'react';
import { api, type Tlp } from '../lib/api';
import type { Session } from '../App';

const template = `id: my-playbook
title: My playbook
description: what it looks for and why
attack: [T1059]
severity: medium
platform: linux
queries:
  - process.process_object.name == "agetty"
`;

export function PlaybookForm({ session, onCreated, onClose }: { session: Session; onCreated(): void; onClose(): void }) {
  const [yaml, setYaml] = useState(template);
  const [project, setProject] = useState(session.projects[0]?.id ?? '');
  const [tlp, setTlp] = useState<Tlp>('AMBER');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const create = async () => {
    setBusy(true);
    setError(null);
    try {
      await api('POST', '/playbooks', { project_id: project, yaml, classification: tlp });
      onCreated();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="playbook-form" data-testid="playbook-form">
      <div className="row">
        <select value={project} onChange={(e) => setProject(e.target.value)} data-testid="playbook-project">
          {session.projects.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
            </option>
          ))}
        </select>
        <select value={tlp} onChange={(e) => setTlp(e.target.value as Tlp)} data-testid="playbook-tlp">
          {session.catalog.tlp.map((t) => (
            <option key={t}>{t}</option>
          ))}
        </select>
      </div>
      <textarea value={yaml} onChange={(e) => setYaml(e.target.value)} rows={12} cols={90} spellCheck={false} data-testid="playbook-yaml" />
      {error && (
        <div className="error" data-testid="playbook-error">
          {error}
        </div>
      )}
      <div className="row">
        <button onClick={create} disabled={busy || !project || !yaml.trim()} data-testid="playbook-create">
          Create playbook
        </button>
        <button onClick={onClose}>Cancel</button>
      </div>
    </div>
  );
}
