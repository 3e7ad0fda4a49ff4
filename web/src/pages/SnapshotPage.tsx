// Snapshot overview: collapsible process tree, processes grouped by container (Linux), kernel modules/drivers, sockets, a wall-clock timeline
// (process and thread creation, module loads, shell history, kernel log), the flags raised
// (process.flag_* columns from the catalog, hidden modules, hooked syscalls) and a browser for every
// table. One API round trip for the overview; the timeline adds the thread and shell-history tables.
import { useEffect, useMemo, useState } from 'react';
import { Search, Share2, Trash2 } from 'lucide-react';
import { api, type Machine, type Page, type Snapshot } from '../lib/api';
import { records } from '../lib/grid';
import { bootTimeMs, buildTimeline } from '../lib/timeline';
import { osLabel, snapshotName, snapshotTime, utc } from '../lib/labels';
import { groupByContainer } from '../lib/containers';
import { go } from '../lib/router';
import { Grid } from '../components/Grid';
import { ProcessTree } from '../components/ProcessTree';
import { ProcessLink } from '../components/ProcessLink';
import { Timeline } from '../components/Timeline';
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
  const [extra, setExtra] = useState<{ threads: Page | null; shellHistory: Page | null } | null>(null);
  const [machine, setMachine] = useState<Machine | null>(null);
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
    if (ov) void api<Machine[]>('GET', `/projects/${ov.snapshot.project_id}/machines`).then((ms) => setMachine(ms.find((m) => m.id === ov.snapshot.machine_id) ?? null)).catch(() => undefined);
  }, [ov?.snapshot.project_id]);
  useEffect(() => {
    if (tab !== 'Timeline' || extra) return;
    const get = (t: string) => api<Page>('GET', `/snapshots/${snapshotId}/tables/${t}?limit=10000`).catch(() => null);
    void Promise.all([get('thread'), get('shell_history')]).then(([threads, shellHistory]) => setExtra({ threads, shellHistory }));
  }, [tab, snapshotId]);
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
    // the dump's own clock (process create_time − start_time_ns): when the machine booted
    const boot = bootTimeMs(procs);
    return { procs, flags, flagCols, boot };
  }, [ov]);
  const timeline = useMemo(() => (ov && extra ? buildTimeline({ processes: ov.processes, kernelLog: ov.kernel_log, threads: extra.threads, shellHistory: extra.shellHistory }) : null), [ov, extra]);

  if (error) return <div className="error">{error}</div>;
  if (!ov || !derived) return <div className="loading">Loading snapshot…</div>;
  const s = ov.snapshot;
  const project = session.projects.find((p) => p.id === s.project_id);
  const canShare = project?.role === 'owner' || project?.role === 'analyst' || s.created_by === session.user.id;
  const del = async () => {
    if (!confirm(`Delete snapshot ${title}?`)) return;
    try {
      await api('DELETE', `/snapshots/${s.id}`);
      go('projects', s.project_id);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const when = snapshotTime(s);
  const title = snapshotName(s, machine?.name);
  return (
    <div data-testid="snapshot-page">
      <div className="snap-head">
        <div>
          <h2 data-testid="snapshot-title">{title}</h2>
          <div className="muted" data-testid="snapshot-subtitle">
            {osLabel(s.os, s.kernel)} · {when.label}
            {derived.boot !== null && <> · booted {utc(derived.boot)} UTC</>} · {s.counts.process ?? 0} processes · {s.counts.kernel_module ?? 0} modules · {s.counts.socket ?? 0} sockets ·{' '}
            <span title={`uploaded ${utc(s.created_at)} UTC`}>{s.dump_name}</span>
          </div>
        </div>
        <TlpBadge tlp={s.classification} tags={s.tags} />
        <span className="spacer" />
        <button
          onClick={() => {
            sessionStorage.setItem('memq.scope', JSON.stringify({ snapshot_ids: [s.id] }));
            go('query');
          }}
          title="query this snapshot"
          data-testid="query-snapshot"
        >
          <Search size={15} /> Query
        </button>
        {canShare && (
          <button onClick={() => setSharing(true)} data-testid="open-share">
            <Share2 size={15} /> Share / classify
          </button>
        )}
        <button onClick={del} className="danger">
          <Trash2 size={15} /> Delete
        </button>
      </div>
      <div className="tabs" role="tablist">
        {tabs.map((t) => (
          <button key={t} role="tab" aria-selected={t === tab} className={t === tab ? 'active' : ''} onClick={() => setTab(t)} data-testid={`tab-${t.replace(/\s/g, '-').toLowerCase()}`}>
            {t}
            {t === 'Flags' && derived.flags.length > 0 && <span className="count">{derived.flags.length}</span>}
          </button>
        ))}
      </div>
      {tab === 'Process tree' && <ProcessTree procs={derived.procs} flagCols={derived.flagCols.map((c) => c.name)} snapshotId={s.id} focusPid={focusPid} />}
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
                      <td>
                        <ProcessLink snapshotId={s.id} pid={Number(p.process_id)} />
                      </td>
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
      {tab === 'Modules' && <Grid columns={ov.modules.columns.map((c) => c.name)} rows={ov.modules.rows} exportName={`${title.replace(/\W+/g, '-')}-modules`} height={400} />}
      {tab === 'Sockets' && <Grid columns={ov.sockets.columns.map((c) => c.name)} rows={ov.sockets.rows} exportName={`${title.replace(/\W+/g, '-')}-sockets`} height={400} />}
      {tab === 'Timeline' && (timeline ? <Timeline data={timeline} snapshotId={s.id} /> : <div className="loading">Loading timeline…</div>)}
      {tab === 'Flags' && (
        <table data-testid="flags">
          <tbody>
            {derived.flags.map((f, i) => (
              <tr key={i}>
                <td>
                  <span className="flag">{f.flag}</span>
                </td>
                <td>{f.pid ? <ProcessLink snapshotId={s.id} pid={f.pid} /> : ''}</td>
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
              exportName={`${title.replace(/\W+/g, '-')}-${table}`}
            />
          )}
        </div>
      )}
      {sharing && <ShareDialog session={session} kind="snapshot" id={s.id} tlp={s.classification} tags={s.tags} onClose={() => setSharing(false)} onChanged={() => void load()} />}
    </div>
  );
}
