// Wall-clock timeline of a snapshot: one lane per kind of event (processes, threads, module loads,
// shell history, kernel log) drawn in SVG. Zoom with the wheel or the +/− buttons (around the
// pointer / the centre), drag on the overview strip below to brush a range, drag on the chart to pan.
// Clicking a mark opens its object (a process page for anything with a pid) or selects it; the list
// under the chart shows the events of the visible range.
import { useEffect, useMemo, useRef, useState } from 'react';
import { ZoomIn, ZoomOut, Maximize2 } from 'lucide-react';
import { LANES, ticks, tickLabel, zoom, type TimelineData, type TimelineEvent } from '../lib/timeline';
import { processHref, utc } from '../lib/labels';

const LANE_H = 30;
const LABEL_W = 120;
const AXIS_H = 22;
const STRIP_H = 34;
const LANE_COLOR: Record<string, string> = { process: '#2563eb', thread: '#7c3aed', module: '#d97706', shell: '#059669', kernel: '#64748b' };

function useWidth(): [React.RefObject<HTMLDivElement | null>, number] {
  const ref = useRef<HTMLDivElement>(null);
  const [w, setW] = useState(900);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setW(el.clientWidth));
    ro.observe(el);
    setW(el.clientWidth);
    return () => ro.disconnect();
  }, []);
  return [ref, w];
}

/** Marks with a process behind them (its creation, a thread of it, a command its shell ran) open its page. */
const opensProcess = (e: TimelineEvent): e is TimelineEvent & { pid: number } => e.pid !== null && e.lane !== 'kernel' && e.lane !== 'module';

export function Timeline({ data, snapshotId }: { data: TimelineData; snapshotId: string }) {
  const [box, outer] = useWidth();
  const width = Math.max(320, outer - 18); // inside the card's padding
  const bounds = useMemo<[number, number]>(() => {
    if (!data.events.length) return [0, 1];
    const a = data.events[0]!.t;
    const b = data.events[data.events.length - 1]!.t;
    const pad = Math.max(50, (b - a) * 0.02);
    return [a - pad, b + pad];
  }, [data]);
  const [view, setView] = useState<[number, number]>(bounds);
  useEffect(() => setView(bounds), [bounds]);
  const [selected, setSelected] = useState<TimelineEvent | null>(null);
  const [brush, setBrush] = useState<[number, number] | null>(null);
  const drag = useRef<{ x: number; view: [number, number] } | null>(null);
  const plotW = Math.max(200, width - LABEL_W - 16);
  const x = (t: number) => LABEL_W + ((t - view[0]) / (view[1] - view[0])) * plotW;
  const xs = (t: number) => LABEL_W + ((t - bounds[0]) / (bounds[1] - bounds[0])) * plotW;
  const tOf = (px: number, v: [number, number]) => v[0] + ((px - LABEL_W) / plotW) * (v[1] - v[0]);
  const tk = ticks(view[0], view[1], Math.max(3, Math.floor(plotW / 110)));
  const inView = data.events.filter((e) => e.t >= view[0] && e.t <= view[1]);
  const lanes = LANES.filter((l) => data.events.some((e) => e.lane === l.id));
  const chartH = AXIS_H + lanes.length * LANE_H;

  const onWheel = (e: React.WheelEvent<SVGSVGElement>) => {
    const r = e.currentTarget.getBoundingClientRect();
    setView((v) => zoom(v, e.deltaY < 0 ? 0.8 : 1.25, tOf(e.clientX - r.left, v), bounds));
  };
  const zoomBy = (f: number) => setView((v) => zoom(v, f, (v[0] + v[1]) / 2, bounds));
  const pan = (e: React.PointerEvent<SVGSVGElement>) => {
    if (!drag.current) return;
    const dt = ((e.clientX - drag.current.x) / plotW) * (drag.current.view[1] - drag.current.view[0]);
    const [a, b] = drag.current.view;
    const span = b - a;
    const from = Math.min(bounds[1] - span, Math.max(bounds[0], a - dt));
    setView([from, from + span]);
  };
  // the brush strip: drag to choose a range; a click without drag recentres the view
  const stripT = (e: React.PointerEvent<SVGSVGElement>) => {
    const r = e.currentTarget.getBoundingClientRect();
    return Math.min(bounds[1], Math.max(bounds[0], bounds[0] + ((e.clientX - r.left - LABEL_W) / plotW) * (bounds[1] - bounds[0])));
  };
  const open = (ev: TimelineEvent) => {
    setSelected(ev);
    if (opensProcess(ev)) window.location.hash = processHref(snapshotId, ev.pid);
  };

  if (!data.events.length)
    return (
      <div className="timeline-chart" ref={box} data-testid="timeline-chart">
        <p className="muted">No timed events in this snapshot.</p>
        {data.notes.map((n) => (
          <div key={n} className="hint">
            {n}
          </div>
        ))}
      </div>
    );
  return (
    <div className="timeline-chart" ref={box} data-testid="timeline-chart" data-boot={data.bootMs === null ? '' : new Date(data.bootMs).toISOString()}>
      <div className="row timeline-tools">
        <span className="muted">
          {utc(view[0], true)} → {utc(view[1], true)} UTC · {inView.length} of {data.events.length} events
          {data.bootMs !== null && <> · boot {utc(data.bootMs, true)} UTC</>}
        </span>
        <span className="spacer" />
        <button className="icon" onClick={() => zoomBy(0.5)} title="zoom in" aria-label="zoom in" data-testid="timeline-zoom-in">
          <ZoomIn size={16} />
        </button>
        <button className="icon" onClick={() => zoomBy(2)} title="zoom out" aria-label="zoom out">
          <ZoomOut size={16} />
        </button>
        <button className="icon" onClick={() => setView(bounds)} title="show everything" aria-label="show everything" data-testid="timeline-reset">
          <Maximize2 size={16} />
        </button>
      </div>
      <svg
        width={width}
        height={chartH}
        className="timeline-svg"
        onWheel={onWheel}
        onPointerDown={(e) => {
          if ((e.target as Element).closest('a')) return;
          drag.current = { x: e.clientX, view };
        }}
        onPointerMove={pan}
        onPointerUp={() => (drag.current = null)}
        onPointerLeave={() => (drag.current = null)}
      >
        <defs>
          <clipPath id="tl-plot">
            <rect x={LABEL_W - 6} y={0} width={plotW + 12} height={chartH} />
          </clipPath>
        </defs>
        {tk.at.map((t) => (
          <g key={t}>
            <line x1={x(t)} x2={x(t)} y1={AXIS_H - 4} y2={chartH} className="tick-line" />
            <text x={x(t) + 3} y={12} className="tick-label">
              {tickLabel(t, tk.step)}
            </text>
          </g>
        ))}
        {lanes.map((l, i) => (
          <g key={l.id} transform={`translate(0, ${AXIS_H + i * LANE_H})`}>
            <rect x={0} y={0} width={width} height={LANE_H} className={i % 2 ? 'lane odd' : 'lane'} />
            <text x={8} y={LANE_H / 2 + 4} className="lane-label">
              {l.label}
            </text>
          </g>
        ))}
        <g clipPath="url(#tl-plot)">
          {inView.map((e, i) => {
            const lane = lanes.findIndex((l) => l.id === e.lane);
            const cy = AXIS_H + lane * LANE_H + LANE_H / 2;
            return (
              <a
                key={i}
                href={opensProcess(e) ? processHref(snapshotId, e.pid) : undefined}
                onClick={(ev) => (ev.preventDefault(), open(e))}
                data-testid="timeline-mark"
                data-lane={e.lane}
                data-pid={e.pid ?? ''}
                data-time={new Date(e.t).toISOString()}
                tabIndex={0}
                onKeyDown={(ev) => ev.key === 'Enter' && open(e)}
                aria-label={`${e.lane} ${e.title} at ${utc(e.t, true)}`}
              >
                <title>{`${utc(e.t, true)} UTC — ${e.title}${e.detail && e.detail !== e.title ? `\n${e.detail}` : ''}`}</title>
                <rect x={x(e.t) - 3} y={cy - 8} width={6} height={16} rx={2} fill={LANE_COLOR[e.lane]} opacity={e.dim ? 0.35 : 0.9} className={selected === e ? 'mark selected' : 'mark'} />
              </a>
            );
          })}
        </g>
      </svg>
      <svg
        width={width}
        height={STRIP_H}
        className="timeline-strip"
        data-testid="timeline-brush"
        data-bounds={`${bounds[0]},${bounds[1]}`}
        data-plot={`${LABEL_W},${plotW}`}
        onPointerDown={(e) => {
          e.currentTarget.setPointerCapture(e.pointerId);
          const t = stripT(e);
          setBrush([t, t]);
        }}
        onPointerMove={(e) => brush && e.buttons === 1 && setBrush([brush[0], stripT(e)])}
        onPointerUp={(e) => {
          if (!brush) return;
          const [a, b] = [Math.min(brush[0], stripT(e)), Math.max(brush[0], stripT(e))];
          const span = view[1] - view[0];
          if (xs(b) - xs(a) < 4) setView(zoom([a - span / 2, a + span / 2], 1, a, bounds));
          else setView([a, b]);
          setBrush(null);
        }}
      >
        <text x={8} y={STRIP_H / 2 + 4} className="lane-label">
          Overview
        </text>
        <rect x={LABEL_W} y={2} width={plotW} height={STRIP_H - 4} className="strip-bg" />
        {data.events.map((e, i) => (
          <line key={i} x1={xs(e.t)} x2={xs(e.t)} y1={6} y2={STRIP_H - 6} stroke={LANE_COLOR[e.lane]} opacity={0.5} />
        ))}
        <rect x={xs(view[0])} y={2} width={Math.max(2, xs(view[1]) - xs(view[0]))} height={STRIP_H - 4} className="strip-view" />
        {brush && <rect x={xs(Math.min(...brush))} y={2} width={Math.abs(xs(brush[1]) - xs(brush[0]))} height={STRIP_H - 4} className="strip-brush" />}
      </svg>
      {data.notes.map((n) => (
        <div key={n} className="hint">
          {n}
        </div>
      ))}
      {selected && (
        <div className="timeline-selected" data-testid="timeline-selected">
          <b>{utc(selected.t, true)} UTC</b> · {LANES.find((l) => l.id === selected.lane)?.label} · {selected.title}
          {selected.detail && selected.detail !== selected.title && <div className="mono">{selected.detail}</div>}
        </div>
      )}
      <div className="timeline-list">
      <table className="timeline" data-testid="timeline">
        <tbody>
          {inView.slice(0, 500).map((e, i) => (
            <tr key={i} className={e.dim ? 'dim' : ''}>
              <td className="mono nowrap">{utc(e.t, true)}</td>
              <td>
                <span className="nowrap">
                  <span className="lane-dot" style={{ background: LANE_COLOR[e.lane] }} /> {LANES.find((l) => l.id === e.lane)?.label}
                </span>
              </td>
              <td className="mono">
                {opensProcess(e) ? <a href={processHref(snapshotId, e.pid)}>{e.title}</a> : e.title}
                {e.detail && e.detail !== e.title && <small className="muted"> {e.detail}</small>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      </div>
      {inView.length > 500 && <small className="muted">first 500 of {inView.length} events in this range: zoom in for the rest</small>}
    </div>
  );
}
