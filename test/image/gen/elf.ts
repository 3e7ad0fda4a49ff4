// Writes ELF64 little-endian core files (e_type ET_CORE) from the ELF spec: 64-byte header,
// 56-byte program headers (PT_NOTE first, then PT_LOADs whose p_paddr is the physical address),
// notes {namesz, descsz, type, name (4-aligned), desc (4-aligned)}, then segment data.
// QEMU's CPU note is QEMUCPUState (target/i386/arch_dump.c): u32 version, u32 size, 16 GPRs, rip,
// rflags, 10 segment descriptors {u32 selector, limit, flags, pad; u64 base}, u64 cr[5], kernel_gs_base.
export interface LoadSpec {
  paddr: number;
  data: Buffer;
  /** p_vaddr (default 0, as QEMU writes with paging off) */
  vaddr?: number;
  /** p_memsz if larger than data */
  memsz?: number;
}
export interface NoteSpec {
  name: string;
  type: number;
  desc: Buffer;
}
export interface ElfOptions {
  /** write e_phnum = PN_XNUM and the real count in section header 0's sh_info */
  xnum?: boolean;
  eType?: number;
}

function pad4(b: Buffer): Buffer {
  const r = b.length % 4;
  return r ? Buffer.concat([b, Buffer.alloc(4 - r)]) : b;
}

export function note(n: NoteSpec): Buffer {
  const name = Buffer.from(n.name + '\0', 'latin1');
  const h = Buffer.alloc(12);
  h.writeUInt32LE(name.length, 0);
  h.writeUInt32LE(n.desc.length, 4);
  h.writeUInt32LE(n.type, 8);
  return Buffer.concat([h, pad4(name), pad4(n.desc)]);
}

export function qemuCpuState(cr3: bigint): Buffer {
  const b = Buffer.alloc(4 + 4 + 16 * 8 + 2 * 8 + 10 * 24 + 5 * 8 + 8);
  b.writeUInt32LE(1, 0);
  b.writeUInt32LE(b.length, 4);
  const cr = 8 + 16 * 8 + 2 * 8 + 10 * 24;
  b.writeBigUInt64LE(0x80050033n, cr); // cr0
  b.writeBigUInt64LE(cr3, cr + 3 * 8);
  b.writeBigUInt64LE(0x6f0n, cr + 4 * 8);
  return b;
}

export function makeElfCore(loads: LoadSpec[], notes: NoteSpec[] = [], opts: ElfOptions = {}): Buffer {
  const noteBlob = Buffer.concat(notes.map(note));
  const phnum = loads.length + (notes.length ? 1 : 0);
  const phoff = 64;
  const shoff = opts.xnum ? phoff + phnum * 56 : 0;
  let dataOff = phoff + phnum * 56 + (opts.xnum ? 64 : 0);
  const eh = Buffer.alloc(64);
  eh.writeUInt32BE(0x7f454c46, 0);
  eh[4] = 2;
  eh[5] = 1;
  eh[6] = 1;
  eh.writeUInt16LE(opts.eType ?? 4, 16);
  eh.writeUInt16LE(62, 18);
  eh.writeUInt32LE(1, 20);
  eh.writeBigUInt64LE(BigInt(phoff), 32);
  eh.writeBigUInt64LE(BigInt(shoff), 40);
  eh.writeUInt16LE(64, 52);
  eh.writeUInt16LE(56, 54);
  eh.writeUInt16LE(opts.xnum ? 0xffff : phnum, 56);
  eh.writeUInt16LE(opts.xnum ? 64 : 0, 58);
  eh.writeUInt16LE(opts.xnum ? 1 : 0, 60);
  const phdrs: Buffer[] = [];
  const bodies: Buffer[] = [];
  if (notes.length) {
    const p = Buffer.alloc(56);
    p.writeUInt32LE(4, 0);
    p.writeBigUInt64LE(BigInt(dataOff), 8);
    p.writeBigUInt64LE(BigInt(noteBlob.length), 32);
    p.writeBigUInt64LE(BigInt(noteBlob.length), 40);
    phdrs.push(p);
    bodies.push(noteBlob);
    dataOff += noteBlob.length;
  }
  for (const l of loads) {
    const p = Buffer.alloc(56);
    p.writeUInt32LE(1, 0);
    p.writeUInt32LE(7, 4);
    p.writeBigUInt64LE(BigInt(dataOff), 8);
    p.writeBigUInt64LE(BigInt(l.vaddr ?? 0), 16);
    p.writeBigUInt64LE(BigInt(l.paddr), 24);
    p.writeBigUInt64LE(BigInt(l.data.length), 32);
    p.writeBigUInt64LE(BigInt(l.memsz ?? l.data.length), 40);
    phdrs.push(p);
    bodies.push(l.data);
    dataOff += l.data.length;
  }
  const sh = Buffer.alloc(opts.xnum ? 64 : 0);
  if (opts.xnum) sh.writeUInt32LE(phnum, 44);
  return Buffer.concat([eh, ...phdrs, sh, ...bodies]);
}
