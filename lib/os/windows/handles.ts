// Handle tables: EPROCESS.ObjectTable → _HANDLE_TABLE.TableCode (1–3 levels of pages of 16-byte
// entries). Win8+ entries pack the object header address in ObjectPointerBits; Win7 keeps a pointer
// with flag bits. The object type is ObTypeIndexTable[TypeIndex], where Win10+ XORs TypeIndex with
// ObHeaderCookie and byte 1 of the header address. Names come from the optional name header, or the
// FILE_OBJECT's FileName for files.
import type { Row } from '../../model';
import { readFieldBig } from './layout';
import { cString, isKernelPtr } from './memory';
import type { EProc, WinCtx } from './processes';

const MAX_HANDLES = 1 << 20;
/** 4096 leaf pages = 1M handle slots: more than any real process holds */
const MAX_LEAVES = 4096;

export class ObjectTypes {
  private names = new Map<number, string | null>();
  private cookie: number | null = null;
  constructor(private readonly ctx: WinCtx) {
    const { k, L } = ctx;
    const c = L.sym('ObHeaderCookie');
    if (c !== null && k.kernBase !== null) this.cookie = k.mem.u8(k.kernBase + BigInt(c));
  }
  /** Real type index of the object whose header is at `hdr`. */
  typeIndex(hdr: bigint, raw: number): number {
    if (this.cookie === null) return raw;
    return (raw ^ this.cookie ^ Number((hdr >> 8n) & 0xffn)) & 0xff;
  }
  name(index: number): string | null {
    if (this.names.has(index)) return this.names.get(index)!;
    const { k, L } = this.ctx;
    let n: string | null = null;
    const t = L.sym('ObTypeIndexTable');
    if (t !== null && k.kernBase !== null) {
      const ot = k.mem.u64(k.kernBase + BigInt(t) + BigInt(index * 8));
      if (ot !== null && isKernelPtr(ot)) n = k.mem.unicodeString(ot + BigInt(L.off('_OBJECT_TYPE', 'Name')));
    }
    this.names.set(index, n);
    return n;
  }
}

export function handleRows(ctx: WinCtx, p: EProc, types: ObjectTypes): Row<'handle'>[] {
  const { k, L } = ctx;
  const out: Row<'handle'>[] = [];
  const otF = L.field('_EPROCESS', 'ObjectTable');
  if (!otF) return out;
  const table = readFieldBig(p.buf, 0, otF);
  if (!isKernelPtr(table)) return out;
  const tc = k.mem.u64(table + BigInt(L.off('_HANDLE_TABLE', 'TableCode')));
  if (tc === null) return out;
  const level = Number(tc & 3n);
  const root = tc & ~3n;
  const leaves: bigint[] = [];
  const ptrPage = (va: bigint): bigint[] => {
    const b = k.mem.read(va, 4096);
    if (!b) return [];
    const r: bigint[] = [];
    for (let i = 0; i < 512; i++) {
      const v = b.readBigUInt64LE(i * 8);
      if (v === 0n) break;
      if (isKernelPtr(v)) r.push(v);
    }
    return r;
  };
  if (level === 0) leaves.push(root);
  else if (level === 1) leaves.push(...ptrPage(root));
  else if (level === 2) {
    for (const mid of ptrPage(root)) {
      leaves.push(...ptrPage(mid));
      if (leaves.length >= MAX_LEAVES) break;
    }
  }
  if (leaves.length > MAX_LEAVES) {
    ctx.warn(`pid ${p.pid}: handle table has more than ${MAX_LEAVES} pages; read the first ${MAX_LEAVES}`);
    leaves.length = MAX_LEAVES;
  }
  const ptrBits = L.field('_HANDLE_TABLE_ENTRY', 'ObjectPointerBits');
  const objF = L.field('_HANDLE_TABLE_ENTRY', 'Object');
  const gaBits = L.field('_HANDLE_TABLE_ENTRY', 'GrantedAccessBits') ?? L.field('_HANDLE_TABLE_ENTRY', 'GrantedAccess');
  const typeOff = L.off('_OBJECT_HEADER', 'TypeIndex');
  const maskOff = L.off('_OBJECT_HEADER', 'InfoMask');
  const bodyOff = L.off('_OBJECT_HEADER', 'Body');
  const nameInfoSize = L.size('_OBJECT_HEADER_NAME_INFO');
  const creatorSize = L.has('_OBJECT_HEADER_CREATOR_INFO') ? L.size('_OBJECT_HEADER_CREATOR_INFO') : 0x20;
  const fileNameOff = L.off('_FILE_OBJECT', 'FileName');
  for (let li = 0; li < leaves.length && out.length < MAX_HANDLES; li++) {
    const page = k.mem.read(leaves[li], 4096);
    if (!page) continue;
    for (let i = 1; i < 256; i++) {
      let hdr: bigint;
      if (ptrBits) {
        const bits = readFieldBig(page, i * 16, ptrBits);
        if (bits === 0n) continue;
        hdr = (bits << 4n) | 0xffff000000000000n;
      } else if (objF) {
        const v = page.readBigUInt64LE(i * 16 + objF.o);
        if (v === 0n) continue;
        hdr = v & ~7n;
      } else continue;
      if (!isKernelPtr(hdr)) continue;
      const h = k.mem.read(hdr, bodyOff + 8);
      if (!h) continue;
      const idx = types.typeIndex(hdr, h[typeOff]);
      const type = types.name(idx);
      if (type === null) continue;
      const body = hdr + BigInt(bodyOff);
      let name: string | null = null;
      const infoMask = h[maskOff];
      if (type === 'File') name = k.mem.unicodeString(body + BigInt(fileNameOff));
      else if (type === 'Process') name = processName(ctx, body);
      else if (type === 'Thread') name = threadName(ctx, body);
      else if (infoMask & 2) {
        const ni = hdr - BigInt(nameInfoSize + (infoMask & 1 ? creatorSize : 0));
        name = k.mem.unicodeString(ni + BigInt(L.off('_OBJECT_HEADER_NAME_INFO', 'Name')));
      }
      out.push({
        process_id: p.pid,
        handle_value: (li * 256 + i) * 4,
        object_type: type,
        name: name || null,
        granted_access: gaBits ? Number(readFieldBig(page, i * 16, gaBits)) : 0,
        object_address: body,
      });
    }
  }
  return out;
}

/** Process handles are named as Volatility prints them: ImageFileName(pid). */
function processName(ctx: WinCtx, ep: bigint): string | null {
  const L = ctx.L;
  const b = ctx.k.mem.read(ep, L.off('_EPROCESS', 'ImageFileName') + 16);
  if (!b) return null;
  const pid = b.readBigUInt64LE(L.off('_EPROCESS', 'UniqueProcessId'));
  return `${cString(b, L.off('_EPROCESS', 'ImageFileName'), 15)}(${pid})`;
}

/** Thread handles: "TID <tid> PID <pid>" from the ETHREAD's client id. */
function threadName(ctx: WinCtx, et: bigint): string | null {
  const L = ctx.L;
  const cid = L.off('_ETHREAD', 'Cid');
  const b = ctx.k.mem.read(et + BigInt(cid), 16);
  if (!b) return null;
  const pid = b.readBigUInt64LE(L.off('_CLIENT_ID', 'UniqueProcess'));
  const tid = b.readBigUInt64LE(L.off('_CLIENT_ID', 'UniqueThread'));
  return `TID ${tid} PID ${pid}`;
}
