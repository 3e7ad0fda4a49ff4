// ETHREAD walking: EPROCESS.ThreadListHead → ETHREAD.ThreadListEntry, decoded into thread rows.
import type { Row } from '../../model';
import { filetimeToDate } from '../../image/formats/windows/dump-header';
import { readFieldBig, readFieldNum } from './layout';
import { isKernelPtr } from './memory';
import type { EProc, WinCtx } from './processes';

const KTHREAD_STATES = ['initialized', 'ready', 'running', 'standby', 'terminated', 'waiting', 'transition', 'deferred-ready', 'gate-wait', 'waiting-swap'];
const MAX_THREADS = 100000;

export function threadStateName(s: number): string {
  return KTHREAD_STATES[s] ?? `state-${s}`;
}

/** Decodes one ETHREAD buffer (at `va`) into a thread row. */
export function threadRowFrom(ctx: WinCtx, va: bigint, buf: Buffer, pidFallback: number): Row<'thread'> {
  const L = ctx.L;
  const cid = L.off('_ETHREAD', 'Cid');
  const up = L.off('_CLIENT_ID', 'UniqueProcess');
  const ut = L.off('_CLIENT_ID', 'UniqueThread');
  const tcb = L.off('_ETHREAD', 'Tcb');
  const stateF = L.field('_KTHREAD', 'State');
  const w32 = L.field('_ETHREAD', 'Win32StartAddress');
  const sa = L.field('_ETHREAD', 'StartAddress');
  const ct = L.field('_ETHREAD', 'CreateTime');
  const pid = Number(buf.readBigUInt64LE(cid + up) & 0xffffffn);
  let start: bigint | null = w32 ? readFieldBig(buf, 0, w32) : null;
  if (!start && sa) start = readFieldBig(buf, 0, sa);
  return {
    process_id: pid || pidFallback,
    thread_id: Number(buf.readBigUInt64LE(cid + ut) & 0xffffffn),
    name: '',
    state: stateF ? threadStateName(readFieldNum(buf, tcb, stateF)) : 'unknown',
    start_address: start || null,
    create_time: ct ? filetimeToDate(readFieldBig(buf, 0, ct)) : null,
    object_address: va,
  };
}

export function processThreads(ctx: WinCtx, p: EProc): Row<'thread'>[] {
  const L = ctx.L;
  const out: Row<'thread'>[] = [];
  const headOff = L.field('_EPROCESS', 'ThreadListHead');
  const entryOff = L.field('_ETHREAD', 'ThreadListEntry');
  if (!headOff || !entryOff) return out;
  const size = L.size('_ETHREAD');
  for (const e of ctx.k.mem.walkList(p.va + BigInt(headOff.o), MAX_THREADS)) {
    if (!isKernelPtr(e)) break;
    const va = e - BigInt(entryOff.o);
    const buf = ctx.k.mem.read(va, size);
    if (!buf) {
      ctx.warn(`pid ${p.pid}: ETHREAD at 0x${va.toString(16)} unreadable; thread walk stopped`);
      break;
    }
    out.push(threadRowFrom(ctx, va, buf, p.pid));
  }
  return out;
}
