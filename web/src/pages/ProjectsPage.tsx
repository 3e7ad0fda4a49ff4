// Projects, and a project's fleet overview: machines × snapshots (newest first) with status, OS,
// classification and the hit counts of the latest hunt over each snapshot, as the server keeps them
// (GET /projects/{id}/hunt-summaries: any hunt, by anyone who may read the snapshot, from any browser;
// "Hunt project" runs every playbook over the project), plus drag-and-drop upload of a dump: POST /snapshots registers it and says where
// to send the bytes (the API locally, a presigned URL in the cloud); progress comes from the upload,
// then from the analysis status.
import { useEffect, useRef, useState } from 'react';
import { ShieldAlert, Upload } from 'lucide-react';
import { api, uploadFile, uploadMultipart, type HuntJob, type HuntSummary, type Machine, type Snapshot, type Tlp } from '../lib/api';
import { osLabel, shortId, snapshotTime, utc } from '../lib/labels';
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

/** Machines with their snapshots, newest first; machines ordered by their newest snapshot. */
function fleet(machines: Machine[], snaps: Snapshot[]): { machine: Machine; list: Snapshot[] }[] {
  const at = (s: Snapshot) => snapshotTime(s).at;
  const rows = machines.map((machine) => ({ machine, list: snaps.filter((s) => s.machine_id === machine.id).sort((a, b) => at(b).localeCompare(at(a))) }));
  const orphans = snaps.filter((s) => !machines.some((m) => m.id === s.machine_id));
  if (orphans.length) rows.push({ machine: { id: '', name: 'unknown machine', project_id: '', os: '' }, list: orphans });
  return rows.filter((r) => r.list.length).sort((a, b) => at(b.list[0]!).localeCompare(at(a.list[0]!)));
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
  const [hitCounts, setHitCounts] = useState<Map<string, HuntSummary>>(new Map());
  const [hunting, setHunting] = useState<string | null>(null);
  const loadCounts = () =>
    api<HuntSummary[]>('GET', `/projects/${encodeURIComponent(projectId)}/hunt-summaries`).then(
      (list) => setHitCounts(new Map(list.map((x) => [x.snapshot_id, x]))),
      (e) => setError(`hit counts: ${(e as Error).message}`),
    );
  useEffect(() => void loadCounts(), [projectId]);
  const huntProject = async () => {
    setError(null);
    setHunting('starting…');
    try {
      let job = await api<HuntJob>('POST', '/hunts', { scope: { project_id: projectId } });
      for (let delay = 300; job.status === 'running'; delay = Math.min(2000, delay * 1.5)) {
        setHunting(`${job.progress.done}/${job.progress.total}`);
        await new Promise((r) => setTimeout(r, delay));
        job = await api<HuntJob>('GET', `/hunts/${job.id}`);
      }
      if (job.status === 'failed' || !job.result) throw new Error(job.error ?? 'the hunt failed');
      await loadCounts(); // the server kept this hunt's counts per snapshot
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setHunting(null);
    }
  };

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
          <Upload size={18} aria-hidden style={{ verticalAlign: -3 }} /> Drop a memory dump here (raw, LiME, ELF core, kdump, Windows crash dump; .gz/.xz) or click to choose
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
      {snaps.length > 0 && (
        <div className="row">
          <h3 style={{ margin: 0 }}>Fleet</h3>
          <small className="muted">
            {machines.length} machines · {snaps.length} snapshots · newest first
          </small>
          <span className="spacer" />
          <button onClick={() => void huntProject()} disabled={hunting !== null || !snaps.some((x) => x.status === 'ready')} data-testid="hunt-project" title="run every playbook over this project's snapshots">
            <ShieldAlert size={15} aria-hidden /> {hunting ? `Hunting… ${hunting}` : 'Hunt project'}
          </button>
        </div>
      )}
      {snaps.length > 0 && (
        <div className="table-scroll">
        <table className="fleet snapshots" data-testid="fleet">
          <thead>
            <tr>
              <th>Machine</th>
              <th>Snapshot</th>
              <th>OS</th>
              <th>Status</th>
              <th>Hits</th>
              <th>Classification</th>
            </tr>
          </thead>
          <tbody>
            {fleet(machines, snaps).map(({ machine, list }) =>
              list.map((s, i) => {
                const when = snapshotTime(s);
                const h = hitCounts.get(s.id);
                return (
                  <tr key={s.id} data-testid="snapshot-row" data-status={s.status} data-machine={machine.name}>
                    {i === 0 && (
                      <th rowSpan={list.length} scope="row" className="machine-cell" data-testid="fleet-machine">
                        {machine.name}
                        <div className="muted small">
                          {list.length} snapshot{list.length === 1 ? '' : 's'}
                        </div>
                      </th>
                    )}
                    <td>
                      {s.status === 'ready' ? <a href={`#/snapshots/${s.id}`}>{shortId(s.id)}</a> : shortId(s.id)}
                      <div className="muted small" title={`file ${s.dump_name}`}>
                        {when.label} · {fmtSize(s.size)}
                      </div>
                    </td>
                    <td>{osLabel(s.os, s.kernel)}</td>
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
                    <td className="count" data-testid="fleet-hits" data-hits={h ? h.hits : ''} data-hunt={h?.hunt_id ?? ''} data-at={h?.finished_at ?? ''}>
                      {h ? (
                        <>
                          <span
                            className={`cnt ${h.hits ? 'some' : 'zero'}${h.severity ? ` sev-${h.severity}` : ''}`}
                            title={`${h.playbooks} of ${h.playbooks_run} playbooks fired${h.severity ? ` (highest severity ${h.severity})` : ''}${h.errors ? ` · ${h.errors} queries failed` : ''}`}
                          >
                            {h.hits}
                          </span>
                          <div className="muted small" data-testid="fleet-hunt" title={`hunt ${h.hunt_id}${h.owner_id === session.user.id ? ' (yours)' : ''}, finished ${utc(h.finished_at)} UTC`}>
                            {utc(h.finished_at).slice(0, 16)} · {shortId(h.hunt_id)}
                          </div>
                        </>
                      ) : (
                        <small className="muted" title="no hunt over this snapshot yet: Hunt project">
                          —
                        </small>
                      )}
                    </td>
                    <td>
                      <TlpBadge tlp={s.classification} tags={s.tags} />
                    </td>
                  </tr>
                );
              }),
            )}
          </tbody>
        </table>
        </div>
      )}
    </div>
  );
}
