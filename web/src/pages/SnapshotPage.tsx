// Snapshot overview: process tree, processes grouped by container (Linux), kernel modules/drivers,
// sockets, a timeline (process starts and module-related kernel log lines), the flags raised (process.flag_* columns from the catalog, hidden
// modules, hooked syscalls) and a browser for every table. One API round trip for the overview.
import { useEffect, useMemo, useState } from 'react';
import { api, type Page, type Snapshot } from '../lib/api';
import { records } from '../lib/grid';
import { buildTree, flatten } from '../lib/tree';
import { groupByContainer } from '../lib/containers';
import { go } from '../lib/router';
import { Grid } from '../components/Grid';
import { TlpBadge } from '../components/TlpBadge';
import { ShareDialog } from '../components/ShareDialog';
import type { Session } from '../App';

interface Overview {
  snapshot: Snapshot;
  processes: Page;
  modules: Page;
  sockets: Page;
  kernel_log: Page;
  hooked_syscalls: Page;
}

const tabs = ['Process tree', 'Containers', 'Modules', 'Sockets', 'Timeline', 'Flags', 'Tables'] as const;

export function SnapshotPage({ session, snapshotId, focusPid }: { session: Session; snapshotId: string; focusPid?: string }) {
  const [ov, setOv] = useState<Overview | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tab, setTab] = useState<(typeof tabs)[number]>('Process tree');
  const [sharing, setSharing] = useState(false);
  const [table, setTable] = useState('process');
  const [page, setPage] = useState<Page | null>(null);
  const [containers, setContainers] = useState<Page | null>(null);
  const load = () =>
    api<Overview>('GET', `/snapshots/${snapshotId}/overview`)
      .then((o) => {
        setOv(o);
        (window as any).__memqOverviewRendered = performance.now();
      })
      .catch((e) => setError(e.message));
  useEffect(() => {
    void load();
  }, [snapshotId]);
  useEffect(() => {
    // the container rows (runtime, pod, hostname) come from their own table, read when the tab opens
    if (tab === 'Containers' && !containers) void api<Page>('GET', `/snapshots/${snapshotId}/tables/container?limit=10000`).then(setContainers).catch((e) => setError(e.message));
  }, [tab, snapshotId]);
  useEffect(() => {
    if (tab === 'Tables') void api<Page>('GET', `/snapshots/${snapshotId}/tables/${table}?limit=10000`).then(setPage).catch((e) => setError(e.message));
  }, [tab, table, snapshotId]);

  const derived = useMemo(() => {
    if (!ov) return null;
    const procs = records(ov.processes.columns, ov.processes.rows);
    const flagCols = session.catalog.tables.process!.columns.filter((c) => c.name.startsWith('flag_'));
    const flags: { pid: number; name: string; flag: string; doc: string }[] = [];
    for (const p of procs) for (const f of flagCols) if (p[f.name] === true) flags.push({ pid: p.process_id as number, name: String(p.name), flag: f.name.replace(/^flag_/, ''), doc: f.doc });
    for (const m of records(ov.modules.columns, ov.modules.rows)) if (m.hidden === true) flags.push({ pid: 0, name: String(m.name), flag: 'hidden_module', doc: 'kernel module found in memory but not in the module list' });
    for (const s of records(ov.hooked_syscalls.columns, ov.hooked_syscalls.rows)) flags.push({ pid: 0, name: `${s.table_name}[${s.index}] → ${s.symbol ?? s.handler}`, flag: 'hooked_syscall', doc: 'system call handler outside the kernel image' });
    const tree = flatten(buildTree(procs, (p) => p.process_id as number, (p) => p.parent_process_id as number));
    const timeline = [
      ...procs.filter((p) => typeof p.start_time_ns === 'number' && !p.is_kernel_thread).map((p) => ({ t: p.start_time_ns as number, what: 'process start', text: `${p.process_id} ${p.name} ${p.command_line ?? ''}` })),
      ...records(ov.kernel_log.columns, ov.kernel_log.rows)
        .filter((l) => /module|taint|insmod|loading/i.test(String(l.message)))
        .map((l) => ({ t: l.timestamp_ns as number, what: 'module / kernel', text: String(l.message) })),
    ].sort((a, b) => a.t - b.t);
    return { procs, flags, tree, timeline, flagCols };
  }, [ov]);

  if (error) return <div className="error">{error}</div>;
  if (!ov || !derived) return <div className="loading">Loading snapshot…</div>;
  const s = ov.snapshot;
  const project = session.projects.find((p) => p.id === s.project_id);
  const canShare = project?.role === 'owner' || project?.role === 'analyst' || s.created_by === session.user.id;
  const del = async () => {
    if (!confirm(`Delete snapshot ${s.name}?`)) return;
    try {
      await api('DELETE', `/snapshots/${s.id}`);
      go('projects', s.project_id);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const flagged = new Set(derived.flags.filter((f) => f.pid).map((f) => f.pid));
  return (
    <div data-testid="snapshot-page">
      <div className="snap-head">
        <h2 data-testid="snapshot-title">{s.name}</h2>
        <TlpBadge tlp={s.classification} tags={s.tags} />
        <span>
          {s.os} {s.kernel} · {s.counts.process ?? 0} processes · {s.counts.kernel_module ?? 0} modules · {s.counts.socket ?? 0} sockets
        </span>
        {canShare && (
          <button onClick={() => setSharing(true)} data-testid="open-share">
            Share / classify
          </button>
        )}
        <button onClick={() => go('query') } title="query this snapshot">Query</button>
        <button onClick={del} className="danger">
          Delete
        </button>
      </div>
      <div className="tabs">
        {tabs.map((t) => (
          <button key={t} className={t === tab ? 'active' : ''} onClick={() => setTab(t)} data-testid={`tab-${t.replace(/\s/g, '-').toLowerCase()}`}>
            {t}
            {t === 'Flags' && derived.flags.length > 0 && <span className="count">{derived.flags.length}</span>}
          </button>
        ))}
      </div>
      {tab === 'Process tree' && (
        <table className="tree" data-testid="process-tree">
          <thead>
            <tr>
              <th>PID</th>
              <th>Name</th>
              <th>Command line</th>
              <th>Flags</th>
            </tr>
          </thead>
          <tbody>
            {derived.tree.map(({ node, depth }) => {
              const p = node.item;
              const fl = derived.flagCols.filter((c) => p[c.name] === true).map((c) => c.name.replace(/^flag_/, ''));
              return (
                <tr key={node.pid} className={`${flagged.has(node.pid) ? 'flagged' : ''} ${String(node.pid) === focusPid ? 'focus' : ''} ${p.is_kernel_thread ? 'kthread' : ''}`}>
                  <td>{node.pid}</td>
                  <td style={{ paddingLeft: 8 + depth * 16 }}>{String(p.name)}</td>
                  <td className="mono">{String(p.command_line ?? '')}</td>
                  <td>
                    {fl.map((f) => (
                      <span key={f} className="flag">
                        {f}
                      </span>
                    ))}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {tab === 'Containers' && (
        <div data-testid="containers">
          {groupByContainer(derived.procs, containers ? records(containers.columns, containers.rows) : []).map((g) => (
            <table key={g.id ?? 'host'} className="tree">
              <caption>
                {g.id === null
                  ? `Host (no container): ${g.processes.length} processes`
                  : [g.container?.runtime ?? 'container', g.id.slice(0, 12), g.container?.pod_name ? `pod ${g.container.pod_name}` : null, g.container?.hostname ? `hostname ${g.container.hostname}` : null, `${g.processes.length} processes`]
                      .filter(Boolean)
                      .join(' · ')}
              </caption>
              {g.id !== null && (
                <tbody>
                  {g.processes.map((p) => (
                    <tr key={String(p.process_id)}>
                      <td>{String(p.process_id)}</td>
                      <td title="pid inside the container's pid namespace">{p.ns_pid === null || p.ns_pid === undefined ? '' : String(p.ns_pid)}</td>
                      <td>{String(p.name)}</td>
                      <td className="mono">{String(p.command_line ?? '')}</td>
                    </tr>
                  ))}
                </tbody>
              )}
            </table>
          ))}
          {!derived.procs.some((p) => typeof p.container_id === 'string') && <p>No process runs in a container.</p>}
        </div>
      )}
      {tab === 'Modules' && <Grid columns={ov.modules.columns.map((c) => c.name)} rows={ov.modules.rows} exportName={`${s.name}-modules`} height={400} />}
      {tab === 'Sockets' && <Grid columns={ov.sockets.columns.map((c) => c.name)} rows={ov.sockets.rows} exportName={`${s.name}-sockets`} height={400} />}
      {tab === 'Timeline' && (
        <table className="timeline" data-testid="timeline">
          <tbody>
            {derived.timeline.map((e, i) => (
              <tr key={i}>
                <td className="mono">{(e.t / 1e9).toFixed(3)} s</td>
                <td>{e.what}</td>
                <td className="mono">{e.text}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {tab === 'Flags' && (
        <table data-testid="flags">
          <tbody>
            {derived.flags.map((f, i) => (
              <tr key={i}>
                <td>
                  <span className="flag">{f.flag}</span>
                </td>
                <td>{f.pid || ''}</td>
                <td>{f.name}</td>
                <td>
                  <small>{f.doc}</small>
                </td>
              </tr>
            ))}
            {derived.flags.length === 0 && (
              <tr>
                <td>No flags raised.</td>
              </tr>
            )}
          </tbody>
        </table>
      )}
      {tab === 'Tables' && (
        <div>
          <select value={table} onChange={(e) => setTable(e.target.value)} data-testid="table-select">
            {Object.keys(session.catalog.tables).map((t) => (
              <option key={t} value={t}>
                {t} ({s.counts[t] ?? 0})
              </option>
            ))}
          </select>
          <small> {session.catalog.tables[table]?.doc}</small>
          {page && (
            <Grid
              columns={page.columns.map((c) => c.name)}
              rows={page.rows}
              docs={Object.fromEntries(session.catalog.tables[table]!.columns.map((c) => [c.name, `${c.kind}: ${c.doc}`]))}
              exportName={`${s.name}-${table}`}
            />
          )}
        </div>
      )}
      {sharing && <ShareDialog session={session} kind="snapshot" id={s.id} tlp={s.classification} tags={s.tags} onClose={() => setSharing(false)} onChanged={() => void load()} />}
    </div>
  );
}
