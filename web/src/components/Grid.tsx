// Result grid: virtualized rows (@tanstack/react-virtual: only the visible ~40 rows are in the DOM,
// so 100k rows scroll smoothly), click a header to sort, a filter box per column, a column chooser,
// and CSV/JSON export of what is shown.
import { useMemo, useRef, useState } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import { cellText, toCsv, toJson, view, type Row } from '../lib/grid';

export interface GridProps {
  columns: string[];
  rows: Row[];
  /** column docs for header tooltips */
  docs?: Record<string, string>;
  onRowClick?(row: Row): void;
  exportName?: string;
  height?: number;
  /** display text of a cell (e.g. ids → names); sorting, filtering and export use the raw value */
  format?(column: string, value: unknown): string;
}

const ROW_H = 26;

function download(name: string, type: string, text: string): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([text], { type }));
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

export function Grid({ columns, rows, docs = {}, onRowClick, exportName = 'memq-results', height = 480, format }: GridProps) {
  const [sort, setSort] = useState<{ col: number; desc: boolean } | null>(null);
  const [filters, setFilters] = useState<Record<number, string>>({});
  const [hidden, setHidden] = useState<Set<number>>(new Set());
  const [chooser, setChooser] = useState(false);
  const shown = useMemo(() => view(rows, filters, sort), [rows, filters, sort]);
  const visible = columns.map((_c, i) => i).filter((i) => !hidden.has(i));
  const parent = useRef<HTMLDivElement>(null);
  const virt = useVirtualizer({ count: shown.length, getScrollElement: () => parent.current, estimateSize: () => ROW_H, overscan: 20 });
  // fixed column widths (from the header and a sample of rows) keep header and rows aligned
  const widths = useMemo(
    () =>
      columns.map((c, i) => {
        let n = c.length + 2;
        for (let r = 0; r < Math.min(rows.length, 200); r++) n = Math.max(n, (format ? format(c, rows[r]![i]) : cellText(rows[r]![i])).length);
        return Math.max(80, Math.min(420, n * 7.5 + 16));
      }),
    [columns, rows, format],
  );
  const template = visible.map((i) => `${widths[i]}px`).join(' ');

  return (
    <div className="grid" data-testid="grid">
      <div className="grid-tools">
        <span data-testid="grid-count">
          {shown.length === rows.length ? `${rows.length} rows` : `${shown.length} of ${rows.length} rows`}
        </span>
        <button onClick={() => setChooser(!chooser)} data-testid="grid-columns">
          Columns
        </button>
        <button onClick={() => download(`${exportName}.csv`, 'text/csv', toCsv(columns, shown, visible))} data-testid="grid-export-csv">
          Export CSV
        </button>
        <button onClick={() => download(`${exportName}.json`, 'application/json', toJson(columns, shown, visible))} data-testid="grid-export-json">
          Export JSON
        </button>
      </div>
      {chooser && (
        <div className="chooser">
          {columns.map((c, i) => (
            <label key={c}>
              <input
                type="checkbox"
                checked={!hidden.has(i)}
                onChange={() => {
                  const h = new Set(hidden);
                  if (h.has(i)) h.delete(i);
                  else h.add(i);
                  setHidden(h);
                }}
              />
              {c}
            </label>
          ))}
        </div>
      )}
      <div className="grid-scroll" ref={parent} style={{ height }}>
        <div className="grid-head" style={{ gridTemplateColumns: template }}>
          {visible.map((i) => (
            <div key={i} className="grid-th">
              <div
                className="grid-th-label"
                title={docs[columns[i]!] ?? columns[i]}
                onClick={() => setSort(sort?.col === i ? (sort.desc ? null : { col: i, desc: true }) : { col: i, desc: false })}
                data-testid={`grid-sort-${columns[i]}`}
              >
                {columns[i]} {sort?.col === i ? (sort.desc ? '▼' : '▲') : ''}
              </div>
              <input
                className="grid-filter"
                placeholder="filter"
                value={filters[i] ?? ''}
                onChange={(e) => setFilters({ ...filters, [i]: e.target.value })}
                data-testid={`grid-filter-${columns[i]}`}
              />
            </div>
          ))}
        </div>
        <div style={{ height: virt.getTotalSize(), position: 'relative' }}>
          {virt.getVirtualItems().map((v) => {
            const r = shown[v.index]!;
            return (
              <div
                key={v.key}
                className={`grid-row ${onRowClick ? 'clickable' : ''}`}
                data-testid="grid-row"
                style={{ position: 'absolute', top: 0, left: 0, right: 0, height: ROW_H, transform: `translateY(${v.start}px)`, gridTemplateColumns: template }}
                onClick={() => onRowClick?.(r)}
              >
                {visible.map((i) => (
                  <div key={i} className="grid-td" title={cellText(r[i])}>
                    {format ? format(columns[i]!, r[i]) : cellText(r[i])}
                  </div>
                ))}
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
