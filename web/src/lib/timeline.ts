// Timeline data as pure functions: events on the wall clock from a snapshot's tables (process and
// thread creation, module loads and other kernel-log lines, shell history), the boot time they hang
// off, and axis ticks. Linux keeps kernel-log times as ns since boot; the dump's own clock converts
// them: every process row has both start_time_ns (since boot) and create_time (wall clock, computed at
// analysis from the timekeeper in tk_core), so boot = create_time − start_time_ns (median over rows).
import { records } from './grid';
import type { Page } from './types';

export type Lane = 'process' | 'thread' | 'module' | 'shell' | 'kernel';
export const LANES: { id: Lane; label: string }[] = [
  { id: 'process', label: 'Processes' },
  { id: 'thread', label: 'Threads' },
  { id: 'module', label: 'Module loads' },
  { id: 'shell', label: 'Shell history' },
  { id: 'kernel', label: 'Kernel log' },
];

export interface TimelineEvent {
  /** wall clock, ms since the epoch (fractional: kernel-log ns precision kept) */
  t: number;
  lane: Lane;
  title: string;
  detail: string;
  pid: number | null;
  /** kernel thread / kernel-internal: drawn dimmer */
  dim?: boolean;
}

const MODULE_LINE = /\bmodule\b|taint|insmod|loading out-of-tree|module verification|\.ko\b/i;

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : null);
const time = (v: unknown): number | null => {
  if (typeof v !== 'string' && !(v instanceof Date)) return null;
  const t = new Date(v).getTime();
  return Number.isFinite(t) ? t : null;
};

/** Boot time on the wall clock (ms) from process rows holding both clocks; null when none do. */
export function bootTimeMs(processes: Record<string, unknown>[]): number | null {
  const d: number[] = [];
  for (const p of processes) {
    const wall = time(p.create_time);
    const ns = num(p.start_time_ns);
    if (wall !== null && ns !== null) d.push(wall - ns / 1e6);
  }
  if (!d.length) return null;
  d.sort((a, b) => a - b);
  return d[d.length >> 1]!;
}

export interface TimelineInput {
  processes: Page;
  threads?: Page | null;
  kernelLog?: Page | null;
  shellHistory?: Page | null;
}

export interface TimelineData {
  events: TimelineEvent[];
  bootMs: number | null;
  /** what could not be placed, and why (shown under the chart) */
  notes: string[];
}

export function buildTimeline(input: TimelineInput): TimelineData {
  const procs = records(input.processes.columns, input.processes.rows);
  const bootMs = bootTimeMs(procs);
  const events: TimelineEvent[] = [];
  const notes: string[] = [];
  const sinceBoot = (ns: number | null) => (ns === null || bootMs === null ? null : bootMs + ns / 1e6);
  const names = new Map<number, string>();
  for (const p of procs) {
    const pid = num(p.process_id);
    if (pid !== null) names.set(pid, String(p.name ?? ''));
    const t = time(p.create_time) ?? sinceBoot(num(p.start_time_ns));
    if (t === null) continue;
    events.push({ t, lane: 'process', title: `${pid} ${p.name}`, detail: String(p.command_line || p.exe_path || (p.is_kernel_thread ? 'kernel thread' : '')), pid, dim: p.is_kernel_thread === true });
  }
  if (input.threads) {
    for (const th of records(input.threads.columns, input.threads.rows)) {
      const pid = num(th.process_id);
      const tid = num(th.thread_id);
      if (tid === null || tid === pid) continue; // the leader is the process itself
      const t = time(th.create_time);
      if (t === null) continue;
      events.push({ t, lane: 'thread', title: `thread ${tid} of ${pid} ${names.get(pid ?? -1) ?? ''}`.trim(), detail: String(th.name ?? ''), pid });
    }
  }
  if (input.kernelLog) {
    const rows = records(input.kernelLog.columns, input.kernelLog.rows);
    if (rows.length && bootMs === null) notes.push(`${rows.length} kernel-log lines not placed: the dump gives no boot time (no process has a wall-clock start)`);
    for (const l of rows) {
      const t = sinceBoot(num(l.timestamp_ns));
      if (t === null) continue;
      const msg = String(l.message ?? '');
      events.push({ t, lane: MODULE_LINE.test(msg) ? 'module' : 'kernel', title: msg, detail: '', pid: null, dim: num(l.level) !== null && num(l.level)! >= 6 });
    }
  }
  if (input.shellHistory) {
    let untimed = 0;
    for (const h of records(input.shellHistory.columns, input.shellHistory.rows)) {
      const t = time(h.timestamp);
      if (t === null) {
        untimed++;
        continue;
      }
      const pid = num(h.process_id);
      events.push({ t, lane: 'shell', title: String(h.command ?? ''), detail: `${names.get(pid ?? -1) ?? 'shell'} (pid ${pid})`, pid });
    }
    if (untimed) notes.push(`${untimed} shell-history entries without a timestamp (HISTTIMEFORMAT unset) not placed`);
  }
  events.sort((a, b) => a.t - b.t);
  return { events, bootMs, notes };
}

const STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 15e3, 3e4, 6e4, 12e4, 3e5, 6e5, 9e5, 18e5, 36e5, 72e5, 108e5, 216e5, 432e5, 864e5, 1728e5, 6048e5];

/** Tick positions (ms) for a view [from, to] with about `count` ticks, at round wall-clock steps. */
export function ticks(from: number, to: number, count = 8): { step: number; at: number[] } {
  const span = Math.max(1e-3, to - from);
  const step = STEPS.find((s) => span / s <= count) ?? STEPS[STEPS.length - 1]!;
  const at: number[] = [];
  for (let t = Math.ceil(from / step) * step; t <= to && at.length < 200; t += step) at.push(t);
  return { step, at };
}

/** Tick label: as much of the UTC time as the step needs. */
export function tickLabel(t: number, step: number): string {
  const iso = new Date(t).toISOString();
  if (step >= 864e5) return iso.slice(0, 10);
  if (step >= 6e4) return iso.slice(11, 16);
  if (step >= 1e3) return iso.slice(11, 19);
  return iso.slice(11, 23);
}

/** Zoom the view [from, to] by `factor` (<1 zooms in) around `at`, kept inside [min, max]. */
export function zoom(view: [number, number], factor: number, at: number, bounds: [number, number]): [number, number] {
  const [a, b] = view;
  const span = Math.min(bounds[1] - bounds[0], Math.max(1, (b - a) * factor));
  const f = (at - a) / Math.max(1e-9, b - a);
  let from = at - span * f;
  let to = from + span;
  if (from < bounds[0]) (from = bounds[0]), (to = from + span);
  if (to > bounds[1]) (to = bounds[1]), (from = to - span);
  return [from, to];
}
