// How the UI names things: snapshots by machine, short id and time (never the dump's file name), the
// OS once ("Linux 6.1.0-56-amd64", "Windows 10 19041"), times in UTC, links to a process page.
import type { Snapshot } from './types';

/** "Linux 6.1.0-56-amd64" / "Windows 10 19041": the kernel string when it already names the OS. */
export function osLabel(os: string | null | undefined, kernel: string | null | undefined): string {
  const o = (os ?? '').trim();
  const k = (kernel ?? '').trim();
  if (!o) return k;
  if (k.toLowerCase().startsWith(o.toLowerCase())) return k;
  const name = o === 'linux' ? 'Linux' : o === 'windows' ? 'Windows' : o.charAt(0).toUpperCase() + o.slice(1);
  return k ? `${name} ${k}` : name;
}

/** UTC "2026-11-25 16:54:01" (or with milliseconds). */
export function utc(t: number | string | Date, ms = false): string {
  const d = t instanceof Date ? t : new Date(t);
  if (Number.isNaN(d.getTime())) return '';
  return d.toISOString().slice(0, ms ? 23 : 19).replace('T', ' ');
}

/** The snapshot id without its kind prefix, shortened: stable and recognizable ("0mx9hpdb70"). */
export function shortId(id: string): string {
  return id.replace(/^[a-z]+_/, '').slice(0, 10);
}

/** When the dump was taken, when the store knows it; otherwise when it was uploaded (said so). */
export function snapshotTime(s: Pick<Snapshot, 'created_at'> & { captured_at?: string | null }): { at: string; label: string } {
  if (s.captured_at) return { at: s.captured_at, label: `captured ${utc(s.captured_at)} UTC` };
  return { at: s.created_at, label: `added ${utc(s.created_at)} UTC` };
}

/** "memq-dev / 0mx9hpdb70": machine and snapshot id (the file name stays a detail). */
export function snapshotName(s: Pick<Snapshot, 'id'>, machine: string | undefined): string {
  return machine ? `${machine} / ${shortId(s.id)}` : `snapshot ${shortId(s.id)}`;
}

/** The per-process page (route of ProcessPage; the same href as components/ProcessLink, without JSX for the jest-tested libs). */
export function processHref(snapshotId: string, pid: number | string): string {
  return `#/snapshots/${encodeURIComponent(snapshotId)}/processes/${encodeURIComponent(String(pid))}`;
}
