// VAD tree walking: EPROCESS.VadRoot (Win8+ _RTL_AVL_TREE of _MMVAD_SHORT nodes; Win7 _MM_AVL_TABLE
// with 64-bit VPNs and Left/RightChild), VAD flags decoded from the build's _MMVAD_FLAGS bitfields,
// and the mapped file name through Subsection → ControlArea → FilePointer → FILE_OBJECT.FileName.
import type { Row } from '../../model';
import { readFieldBig } from './layout';
import { isKernelPtr, type Mem } from './memory';
import type { EProc, WinCtx } from './processes';

const MAX_VADS = 200000;
const VAD_IMAGE_MAP = 2;
/** MM protection (low 3 bits) → r/w/x */
const PROT = ['---', 'r--', '--x', 'r-x', 'rw-', 'rw-', 'rwx', 'rwx'];

export interface Vad {
  va: bigint;
  start: bigint;
  end: bigint;
  flags: bigint;
  protection: number;
  vadType: number;
  privateMemory: boolean;
  fileName: string | null;
}

export function walkVads(ctx: WinCtx, p: EProc): Vad[] {
  const { L, k } = ctx;
  const mem = k.mem;
  const out: Vad[] = [];
  const rootF = L.field('_EPROCESS', 'VadRoot');
  if (!rootF) return out;
  const win7 = L.has('_MM_AVL_TABLE') && !L.has('_MMVAD_SHORT', 'VadNode');
  let roots: bigint[];
  let left: number;
  let right: number;
  if (win7) {
    const br = p.va + BigInt(rootF.o + L.off('_MM_AVL_TABLE', 'BalancedRoot'));
    const b = mem.read(br, 0x20);
    if (!b) return out;
    roots = [b.readBigUInt64LE(L.off('_MMADDRESS_NODE', 'LeftChild')), b.readBigUInt64LE(L.off('_MMADDRESS_NODE', 'RightChild'))];
    left = L.off('_MMVAD_SHORT', 'LeftChild');
    right = L.off('_MMVAD_SHORT', 'RightChild');
  } else {
    roots = [p.buf.readBigUInt64LE(rootF.o + L.off('_RTL_AVL_TREE', 'Root'))];
    const node = L.off('_MMVAD_SHORT', 'VadNode');
    left = node + L.off('_RTL_BALANCED_NODE', 'Left');
    right = node + L.off('_RTL_BALANCED_NODE', 'Right');
  }
  const sv = L.field('_MMVAD_SHORT', 'StartingVpn')!;
  const ev = L.field('_MMVAD_SHORT', 'EndingVpn')!;
  const svh = L.field('_MMVAD_SHORT', 'StartingVpnHigh');
  const evh = L.field('_MMVAD_SHORT', 'EndingVpnHigh');
  const flagsAt = L.field('_MMVAD_SHORT', 'u.VadFlags') ?? L.field('_MMVAD_SHORT', 'u');
  const vt = L.field('_MMVAD_FLAGS', 'VadType');
  const pr = L.field('_MMVAD_FLAGS', 'Protection');
  const pm = L.field('_MMVAD_FLAGS', 'PrivateMemory');
  const size = Math.max(L.size('_MMVAD_SHORT'), 0x40);
  const stack = roots.filter(isKernelPtr);
  const seen = new Set<bigint>();
  while (stack.length && out.length < MAX_VADS) {
    const va = stack.pop()!;
    if (seen.has(va)) continue;
    seen.add(va);
    const b = mem.read(va, size);
    if (!b) continue;
    const l = b.readBigUInt64LE(left);
    const r = b.readBigUInt64LE(right);
    if (isKernelPtr(r)) stack.push(r);
    if (isKernelPtr(l)) stack.push(l);
    let s = readFieldBig(b, 0, sv);
    let e = readFieldBig(b, 0, ev);
    if (svh) s |= readFieldBig(b, 0, svh) << 32n;
    if (evh) e |= readFieldBig(b, 0, evh) << 32n;
    if (e < s) continue;
    const flagsBase = flagsAt ? flagsAt.o : 0;
    const rawFlags = flagsAt ? readFieldBig(b, 0, { o: flagsAt.o, s: flagsAt.s }) : 0n;
    const vad: Vad = {
      va,
      start: s << 12n,
      end: (e + 1n) << 12n,
      flags: rawFlags,
      vadType: vt ? Number(readFieldBig(b, flagsBase, vt)) : 0,
      protection: pr ? Number(readFieldBig(b, flagsBase, pr)) : 0,
      privateMemory: pm ? readFieldBig(b, flagsBase, pm) === 1n : false,
      fileName: null,
    };
    if (!vad.privateMemory) vad.fileName = vadFileName(ctx, mem, va);
    out.push(vad);
  }
  out.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  return out;
}

function vadFileName(ctx: WinCtx, mem: Mem, vad: bigint): string | null {
  const L = ctx.L;
  const sub = L.field('_MMVAD', 'Subsection');
  if (!sub) return null;
  const subsection = mem.u64(vad + BigInt(sub.o));
  if (subsection === null || !isKernelPtr(subsection)) return null;
  const ca = mem.u64(subsection + BigInt(L.off('_SUBSECTION', 'ControlArea')));
  if (ca === null || !isKernelPtr(ca)) return null;
  const fp = mem.u64(ca + BigInt(L.off('_CONTROL_AREA', 'FilePointer')));
  if (fp === null) return null;
  const fo = fp & ~0xfn; // _EX_FAST_REF: low 4 bits are a reference count
  if (!isKernelPtr(fo)) return null;
  return mem.unicodeString(fo + BigInt(L.off('_FILE_OBJECT', 'FileName')));
}

export function vadKind(v: Vad): string {
  return v.vadType === VAD_IMAGE_MAP ? 'image' : v.privateMemory ? 'private' : 'mapped';
}

export function vadRow(p: EProc, v: Vad, um: Mem | null): Row<'vma'> {
  const prot = PROT[v.protection & 7];
  let pe: boolean | null = null;
  if (um) {
    const h = um.read(v.start, 2);
    pe = h ? h[0] === 0x4d && h[1] === 0x5a : null;
  }
  return {
    process_id: p.pid,
    start: v.start,
    end: v.end,
    size: Number(v.end - v.start),
    protection: prot + (v.privateMemory ? 'p' : 's'),
    flags: Number(v.flags & 0x1fffffffffffffn),
    page_offset: 0,
    file_name: v.fileName,
    inode: null,
    kind: vadKind(v),
    is_private: v.privateMemory,
    is_writable: prot[1] === 'w',
    is_executable: prot[2] === 'x',
    has_pe_header: pe,
    object_address: v.va,
  };
}
