// Collapsible process tree: kernel threads folded under kthreadd by default, branches holding a
// flagged process open and marked, a pid opens the process page. Toggle with the chevron (a button:
// Tab reaches it, Enter/Space toggles).
import { useMemo, useState } from 'react';
import { ChevronDown, ChevronRight, TriangleAlert } from 'lucide-react';
import { buildTree, defaultCollapsed, flaggedAncestors, visibleRows } from '../lib/tree';
import { ProcessLink } from './ProcessLink';

type Proc = Record<string, unknown>;

export function ProcessTree({ procs, flagCols, snapshotId, focusPid }: { procs: Proc[]; flagCols: string[]; snapshotId: string; focusPid?: string }) {
  const flagsOf = (p: Proc) => flagCols.filter((c) => p[c] === true).map((c) => c.replace(/^flag_/, ''));
  const roots = useMemo(() => buildTree(procs, (p) => p.process_id as number, (p) => p.parent_process_id as number), [procs]);
  const isFlagged = (p: Proc) => flagsOf(p).length > 0;
  const isKthread = (p: Proc) => p.is_kernel_thread === true;
  const initial = useMemo(() => defaultCollapsed(roots, isKthread, isFlagged), [roots]);
  const marked = useMemo(() => flaggedAncestors(roots, isFlagged), [roots]);
  const [collapsed, setCollapsed] = useState<Set<number>>(initial);
  const rows = visibleRows(roots, collapsed);
  const toggle = (pid: number) =>
    setCollapsed((c) => {
      const n = new Set(c);
      if (n.has(pid)) n.delete(pid);
      else n.add(pid);
      return n;
    });
  return (
    <div>
      <div className="row">
        <button onClick={() => setCollapsed(new Set())} data-testid="tree-expand-all">
          Expand all
        </button>
        <button onClick={() => setCollapsed(initial)} data-testid="tree-fold-kernel">
          Fold kernel threads
        </button>
        <small className="muted">
          {rows.length} of {procs.length} processes shown
        </small>
      </div>
      <table className="tree" data-testid="process-tree">
        <thead>
          <tr>
            <th>Process</th>
            <th>PID</th>
            <th>Command line</th>
            <th>Flags</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(({ node, depth, collapsed: isCollapsed, descendants }) => {
            const p = node.item;
            const fl = flagsOf(p);
            return (
              <tr
                key={node.pid}
                data-testid="tree-row"
                data-pid={node.pid}
                className={`${fl.length ? 'flagged' : ''} ${String(node.pid) === focusPid ? 'focus' : ''} ${isKthread(p) ? 'kthread' : ''}`}
              >
                <td style={{ paddingLeft: 6 + depth * 18 }} className="nowrap">
                  {node.children.length > 0 ? (
                    <button
                      className="toggle"
                      onClick={() => toggle(node.pid)}
                      aria-expanded={!isCollapsed}
                      aria-label={`${isCollapsed ? 'expand' : 'fold'} ${String(p.name)} (${descendants} below)`}
                      data-testid="tree-toggle"
                    >
                      {isCollapsed ? <ChevronRight size={14} /> : <ChevronDown size={14} />}
                    </button>
                  ) : (
                    <span className="toggle-space" />
                  )}
                  <span className="pname">{String(p.name)}</span>
                  {isCollapsed && <small className="muted"> +{descendants}</small>}
                  {marked.has(node.pid) && (
                    <span className="branch-mark" title="a flagged process is below" data-testid="flagged-branch">
                      <TriangleAlert size={12} />
                    </span>
                  )}
                </td>
                <td>
                  <ProcessLink snapshotId={snapshotId} pid={node.pid} />
                </td>
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
    </div>
  );
}
