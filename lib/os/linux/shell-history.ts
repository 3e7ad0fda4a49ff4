// Bash command history from the shell's own heap, without bash symbols: bash keeps each history line
// as a HIST_ENTRY { char *line; char *timestamp; histdata_t data; } (readline's history.h — a
// userland ABI unchanged for decades) and its timestamp as a "#<epoch seconds>" string. Find those
// strings, then the pointers to them: each is a HIST_ENTRY's `timestamp` field, 8 bytes after `line`.
// Bounded by heap size; only processes running bash are scanned.
import type { Row } from '../../model';
import type { LinuxContext, Task } from './context';
import { vmasOf } from './vmas';

const MAX_HEAP = 64 << 20;
const TIMESTAMP = /#(\d{9,11})\0/g;
const MAX_LINE = 4096;

function isBash(ctx: LinuxContext, t: Task): boolean {
  if (t.comm === 'bash') return true;
  const exe = ctx.safe('exe', () => {
    const f = ctx.v.p(t.mm, 'mm_struct', 'exe_file');
    return f ? ctx.paths.fromPathStruct(f + BigInt(ctx.v.off('file', 'f_path'))).path : '';
  }, '');
  return /\/bash$/.test(exe);
}

export function shellHistoryRows(ctx: LinuxContext, tasks: Task[]): Row<'shell_history'>[] {
  const out: Row<'shell_history'>[] = [];
  for (const t of tasks) {
    if (ctx.isKernelThread(t) || !isBash(ctx, t)) continue;
    const space = ctx.userSpace(t);
    if (!space) continue;
    // bash allocates with its own malloc on the brk heap; big histories can spill into anonymous maps
    const regions = vmasOf(ctx, t).filter((m) => m.file === 0n && (m.flags & 0x3) === 0x3);
    let budget = MAX_HEAP;
    const heaps: { start: bigint; buf: Buffer }[] = [];
    for (const r of regions) {
      const len = Math.min(Number(r.end - r.start), budget);
      if (len <= 0) break;
      const buf = Buffer.alloc(len);
      // pages absent from the dump stay zero
      for (let off = 0; off < len; off += 4096) space.readInto(r.start + BigInt(off), buf, off, Math.min(4096, len - off));
      heaps.push({ start: r.start, buf });
      budget -= len;
    }
    // 1. timestamp strings and their addresses
    const stamps = new Map<bigint, number>();
    for (const h of heaps) {
      const text = h.buf.toString('latin1');
      for (const m of text.matchAll(TIMESTAMP)) stamps.set(h.start + BigInt(m.index!), Number(m[1]));
    }
    if (!stamps.size) continue;
    // 2. qwords pointing at a timestamp string: HIST_ENTRY.timestamp
    const found: Row<'shell_history'>[] = [];
    for (const h of heaps) {
      const words = new BigUint64Array(h.buf.buffer, h.buf.byteOffset, h.buf.length >> 3);
      for (let i = 1; i < words.length; i++) {
        const ts = stamps.get(words[i]);
        if (ts === undefined) continue;
        const entry = h.start + BigInt((i - 1) * 8);
        const line = words[i - 1];
        const cmd = ctx.safe('history line', () => readLine(heaps, line), null);
        if (cmd === null) continue;
        found.push({ process_id: t.tgid, command: cmd, timestamp: new Date(ts * 1000), entry_address: entry });
      }
    }
    found.sort((a, b) => a.timestamp!.getTime() - b.timestamp!.getTime() || (a.entry_address < b.entry_address ? -1 : 1));
    out.push(...found);
  }
  return out;
}

/** A NUL-terminated printable line inside the scanned heap regions, or null. */
function readLine(heaps: { start: bigint; buf: Buffer }[], va: bigint): string | null {
  for (const h of heaps) {
    if (va < h.start || va >= h.start + BigInt(h.buf.length)) continue;
    const off = Number(va - h.start);
    const end = h.buf.indexOf(0, off);
    if (end <= off || end - off > MAX_LINE) return null;
    const s = h.buf.toString('utf8', off, end);
    return /^[^\x00-\x08\x0e-\x1f]+$/.test(s) ? s : null;
  }
  return null;
}
