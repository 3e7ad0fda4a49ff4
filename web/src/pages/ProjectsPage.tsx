// Projects → machines → snapshots, with status and progress, and drag-and-drop upload of a dump:
// POST /snapshots registers it and says where to send the bytes (the API locally, a presigned URL in
// the cloud); progress comes from the upload, then from the analysis status.
import { useEffect, useRef, useState } from 'react';
import { api, uploadFile, uploadMultipart, type Machine, type Snapshot, type Tlp } from '../lib/api';
import { go } from '../lib/router';
import { TlpBadge } from '../components/TlpBadge';
import { MembersPanel } from '../components/MembersPanel';
import type { Session } from '../App';

export function ProjectsPage({ session, projectId }: { session: Session; projectId?: string }) {
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const create = async () => {
    try {
      const p = await api('POST', '/projects', { name });
      setName('');
      await session.reload();
      go('projects', p.id);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const current = session.projects.find((p) => p.id === projectId) ?? (projectId ? undefined : session.projects[0]);
  return (
    <div className="split">
      <aside>
        <h2>Projects</h2>
        <ul className="list" data-testid="project-list">
          {session.projects.map((p) => (
            <li key={p.id} className={p.id === current?.id ? 'active' : ''}>
              <a href={`#/projects/${p.id}`}>{p.name}</a> <small>{p.role}</small>
            </li>
          ))}
        </ul>
        <div className="row">
          <input placeholder="new project" value={name} onChange={(e) => setName(e.target.value)} data-testid="new-project-name" />
          <button onClick={create} disabled={!name.trim()} data-testid="create-project">
            Create
          </button>
        </div>
        {error && <div className="error">{error}</div>}
      </aside>
      <section>{current ? <ProjectView key={current.id} session={session} projectId={current.id} /> : <p>Create a project to start.</p>}</section>
    </div>
  );
}

function fmtSize(n: number): string {
  return n > 2 ** 30 ? `${(n / 2 ** 30).toFixed(1)} GiB` : `${(n / 2 ** 20).toFixed(1)} MiB`;
}

function ProjectView({ session, projectId }: { session: Session; projectId: string }) {
  const project = session.projects.find((p) => p.id === projectId)!;
  const [machines, setMachines] = useState<Machine[]>([]);
  const [snaps, setSnaps] = useState<Snapshot[]>([]);
  const [machineName, setMachineName] = useState('');
  const [tlp, setTlp] = useState<Tlp>('AMBER');
  const [uploads, setUploads] = useState<Record<string, number>>({});
  const [error, setError] = useState<string | null>(null);
  const [drag, setDrag] = useState(false);
  const fileInput = useRef<HTMLInputElement>(null);

  const refresh = async () => {
    const [m, s] = await Promise.all([api<Machine[]>('GET', `/projects/${projectId}/machines`), api<Snapshot[]>('GET', `/snapshots?project_id=${encodeURIComponent(projectId)}`)]);
    setMachines(m);
    setSnaps(s);
    return s;
  };
  useEffect(() => {
    let stop = false;
    let timer: number | undefined;
    const tick = async () => {
      const s = await refresh().catch(() => [] as Snapshot[]);
      if (!stop && s.some((x) => x.status === 'analyzing' || x.status === 'uploading')) timer = window.setTimeout(tick, 700);
    };
    void tick();
    const onKick = () => {
      clearTimeout(timer);
      void tick();
    };
    window.addEventListener('memq:snapshots-changed', onKick);
    return () => {
      stop = true;
      clearTimeout(timer);
      window.removeEventListener('memq:snapshots-changed', onKick);
    };
  }, [projectId]);

  const upload = async (file: File) => {
    setError(null);
    const machine = machineName.trim() || file.name.replace(/\.[^.]*$/, '') || 'machine';
    try {
      const r = await api('POST', '/snapshots', { project_id: projectId, machine_name: machine, dump_name: file.name, size: file.size, classification: tlp });
      window.dispatchEvent(new Event('memq:snapshots-changed'));
      setUploads((u) => ({ ...u, [r.snapshot.id]: 0 }));
      const progress = (f: number) => setUploads((u) => ({ ...u, [r.snapshot.id]: f }));
      if (r.upload.multipart) await uploadMultipart(r.snapshot.id, file, progress); // completing starts analysis
      else {
        await uploadFile(r.upload.url, file, r.upload.headers ?? {}, progress);
        if (!r.upload.via_api) await api('POST', `/snapshots/${r.snapshot.id}/complete`);
      }
      setUploads((u) => {
        const { [r.snapshot.id]: _done, ...rest } = u;
        return rest;
      });
      window.dispatchEvent(new Event('memq:snapshots-changed'));
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const onDrop = (e: React.DragEvent) => {
    e.preventDefault();
    setDrag(false);
    for (const f of Array.from(e.dataTransfer.files)) void upload(f);
  };
  const canUpload = project.role === 'owner' || project.role === 'analyst' || session.user.org_admin;
  return (
    <div>
      <h2 data-testid="project-title">{project.name}</h2>
      <MembersPanel session={session} projectId={projectId} canManage={project.role === 'owner' || session.user.org_admin} />
      {canUpload && (
        <div
          className={`dropzone ${drag ? 'drag' : ''}`}
          data-testid="dropzone"
          onDragOver={(e) => {
            e.preventDefault();
            setDrag(true);
          }}
          onDragLeave={() => setDrag(false)}
          onDrop={onDrop}
          onClick={() => fileInput.current?.click()}
        >
          Drop a memory dump here (raw, LiME, ELF core, kdump, Windows crash dump; .gz/.xz) or click to choose
          <input ref={fileInput} type="file" hidden data-testid="file-input" onChange={(e) => e.target.files?.[0] && void upload(e.target.files[0])} />
        </div>
      )}
      {canUpload && (
        <div className="row" onClick={(e) => e.stopPropagation()}>
          <label>
            Machine <input value={machineName} onChange={(e) => setMachineName(e.target.value)} placeholder="(from file name)" data-testid="upload-machine" />
          </label>
          <label>
            Classification{' '}
            <select value={tlp} onChange={(e) => setTlp(e.target.value as Tlp)} data-testid="upload-tlp">
              {session.catalog.tlp.map((t) => (
                <option key={t}>{t}</option>
              ))}
            </select>
          </label>
        </div>
      )}
      {error && <div className="error">{error}</div>}
      {machines.length === 0 && snaps.length === 0 && <p>No machines yet.</p>}
      {machines.map((m) => (
        <div key={m.id} className="machine">
          <h3>{m.name}</h3>
          <table className="snapshots" data-testid="snapshot-table">
            <thead>
              <tr>
                <th>Snapshot</th>
                <th>Status</th>
                <th>OS / kernel</th>
                <th>Size</th>
                <th>Classification</th>
              </tr>
            </thead>
            <tbody>
              {snaps
                .filter((s) => s.machine_id === m.id)
                .map((s) => (
                  <tr key={s.id} data-testid="snapshot-row" data-status={s.status}>
                    <td>
                      {s.status === 'ready' ? <a href={`#/snapshots/${s.id}`}>{s.name}</a> : s.name}
                    </td>
                    <td>
                      <span className={`status ${s.status}`} data-testid="snapshot-status">
                        {s.status}
                      </span>{' '}
                      {uploads[s.id] !== undefined && <progress value={uploads[s.id]} max={1} />}
                      {s.status === 'analyzing' && (
                        <>
                          <progress value={s.progress} max={1} /> <small>{s.stage}</small>
                        </>
                      )}
                      {s.error && <div className="error">{s.error}</div>}
                    </td>
                    <td>
                      {s.os ?? ''} {s.kernel ?? ''}
                    </td>
                    <td>{fmtSize(s.size)}</td>
                    <td>
                      <TlpBadge tlp={s.classification} tags={s.tags} />
                    </td>
                  </tr>
                ))}
            </tbody>
          </table>
        </div>
      ))}
    </div>
  );
}
