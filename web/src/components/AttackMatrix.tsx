// Hunt results as the ATT&CK Enterprise matrix: tactics as columns in the matrix's own order and
// names, the library's techniques as cells coloured by hits (strength) and severity (hue). A cell is a
// button: it opens its hits below, each row labelled with machine and snapshot and its pid linked to
// the process page.
import { useMemo, useState } from 'react';
import { ATTACK_RELEASE, buildMatrix, cellColor, type MatrixCell } from '../lib/attack';
import { snapshotName } from '../lib/labels';
import type { HuntHit, Machine, Snapshot } from '../lib/api';
import { ProcessLink } from './ProcessLink';

export function AttackMatrix({ library, hits, snaps, machines, huntId }: { library: { id: string; name: string; tactics: string[] }[]; hits: HuntHit[]; snaps: Snapshot[]; machines: Machine[]; huntId?: string | null }) {
  const [showEmpty, setShowEmpty] = useState(false);
  const cols = useMemo(() => buildMatrix(library, hits, showEmpty), [library, hits, showEmpty]);
  const max = Math.max(1, ...cols.flatMap((c) => c.cells.map((x) => x.count)));
  const [sel, setSel] = useState<{ tactic: string; id: string } | null>(null);
  const selected: MatrixCell | undefined = sel ? cols.find((c) => c.tactic.shortname === sel.tactic)?.cells.find((x) => x.technique.id === sel.id) : undefined;
  const snapLabel = (id: string) => {
    const s = snaps.find((x) => x.id === id);
    return s ? snapshotName(s, machines.find((m) => m.id === s.machine_id)?.name) : id;
  };
  return (
    <div data-testid="attack-matrix">
      <div className="matrix-legend">
        <span>
          <span className="swatch" style={{ background: '#7f1d1d' }} /> critical
        </span>
        <span>
          <span className="swatch" style={{ background: '#dc2626' }} /> high
        </span>
        <span>
          <span className="swatch" style={{ background: '#f59e0b' }} /> medium
        </span>
        <span>
          <span className="swatch" style={{ background: '#0ea5e9' }} /> low
        </span>
        <span>stronger = more hits · white = covered by a playbook, nothing found</span>
        <span className="spacer" />
        <label>
          <input type="checkbox" checked={showEmpty} onChange={(e) => setShowEmpty(e.target.checked)} /> tactics without playbooks
        </label>
        <small>{ATTACK_RELEASE.replace(/\s*\(.*\)$/, '')}</small>
      </div>
      <div className="matrix-wrap">
        <div className="matrix" role="grid">
          {cols.map((c) => (
            <div key={c.tactic.shortname} className="matrix-col" role="row" data-testid="matrix-tactic" data-tactic={c.tactic.shortname}>
              <div className="matrix-head" role="columnheader">
                {c.tactic.name}
                <small>
                  {c.tactic.id} · {c.count} hits
                </small>
              </div>
              {c.cells.map((x) => {
                const on = sel?.tactic === c.tactic.shortname && sel.id === x.technique.id;
                return (
                  <button
                    key={x.technique.id}
                    role="gridcell"
                    className={`matrix-cell ${x.count ? 'has-hits' : ''} ${on ? 'sel' : ''}`}
                    style={cellColor(x, max)}
                    aria-pressed={on}
                    onClick={() => setSel(on ? null : { tactic: c.tactic.shortname, id: x.technique.id })}
                    data-testid="matrix-cell"
                    data-technique={x.technique.id}
                    data-count={x.count}
                    data-severity={x.severity ?? ''}
                    title={`${x.technique.id} ${x.technique.name}: ${x.count} hits`}
                  >
                    {x.count > 0 && <span className="n">{x.count}</span>}
                    {x.technique.name}
                    <small style={x.count ? { color: 'inherit', opacity: 0.8 } : undefined}>{x.technique.id}</small>
                  </button>
                );
              })}
            </div>
          ))}
        </div>
      </div>
      {selected && (
        <div className="card" data-testid="matrix-hits">
          <h3>
            {selected.technique.id} {selected.technique.name} <small className="muted">{selected.count} hits</small>
          </h3>
          {selected.hits.length === 0 && <p className="muted">No playbook for this technique fired.</p>}
          {selected.hits.map((h, i) => {
            const pc = h.columns.indexOf('process_id');
            const nc = h.columns.indexOf('name');
            const sc = h.columns.indexOf('snapshot');
            return (
              <div key={i} className="hit" data-testid="matrix-hit" data-playbook={h.playbook_id}>
                <span className={`sev ${h.severity}`}>{h.severity}</span> <b>{h.title}</b> <small className="muted">{h.playbook_id}</small>
                <ul>
                  {h.rows.slice(0, 100).map((r, j) => {
                    const snap = String((sc >= 0 ? r[sc] : null) ?? h.snapshot_id);
                    return (
                      <li key={j} data-testid="matrix-hit-row">
                        <span className="muted">{snapLabel(snap)}</span> ·{' '}
                        {pc >= 0 ? (
                          <ProcessLink snapshotId={snap} pid={r[pc] as number} hunt={huntId}>
                            pid {String(r[pc])}
                            {nc >= 0 ? ` ${String(r[nc])}` : ''}
                          </ProcessLink>
                        ) : (
                          h.columns
                            .map((c, k) => [c, r[k]] as const)
                            .filter(([c]) => !['project', 'machine', 'snapshot'].includes(c))
                            .slice(0, 4)
                            .map(([c, v]) => `${c}=${String(v)}`)
                            .join(' ')
                        )}
                      </li>
                    );
                  })}
                </ul>
              </div>
            );
          })}
        </div>
      )}
    </div>
  );
}
