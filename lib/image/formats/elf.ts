// ELF core files whose PT_LOAD p_paddr are guest-physical addresses: QEMU `dump-guest-memory`
// (paging off), VirtualBox `dumpvmcore`, makedumpfile -E. Each PT_LOAD's file bytes are one
// physical run; device blocks QEMU includes (VGA framebuffer, BIOS ROM in the 32-bit PCI hole) are
// marked ram:false. Notes give hints: the QEMU CPU-state note carries CR3, VMCOREINFO the kernel's
// self-description.
import { readExact, type ByteSource } from '../byte-source';
import type { DumpHints, PhysicalMemory } from '../physical';
import { MemqError } from '../../util/errors';
import { MAX_PHYS, SegmentTable, hx, isDeviceMemory, u64, type Segment } from './segments';

const PT_LOAD = 1;
const PT_NOTE = 4;
const EM_X86_64 = 62;
const EM_AARCH64 = 183;
const ET_CORE = 4;
const PN_XNUM = 0xffff;
const MAX_PHDRS = 1 << 16;
const MAX_NOTES_BYTES = 64 << 20;
const MAX_NOTES = 1 << 16;
/** QEMUCPUState (target/i386/arch_dump.c): version, size, 16 GPRs, rip, rflags, 10 segments × 24, cr[5] */
const QEMU_CR0_OFFSET = 8 + 16 * 8 + 2 * 8 + 10 * 24;

export function looksLikeElfCore(head: Buffer): boolean {
  return head.length >= 64 && head.readUInt32BE(0) === 0x7f454c46 && head.readUInt16LE(16) === ET_CORE;
}

export interface ElfNote {
  name: string;
  type: number;
  /** file offset and size of the descriptor */
  descOff: number;
  descSize: number;
}

export class ElfCoreMemory implements PhysicalMemory {
  readonly format = 'elf';
  readonly ranges;
  readonly info: Record<string, string | number | boolean> = {};
  readonly hints: DumpHints = {};
  readonly notes: ElfNote[] = [];
  private readonly table: SegmentTable;

  constructor(readonly source: ByteSource) {
    const name = source.name;
    const eh = readExact(source, 0, 64);
    if (eh.readUInt32BE(0) !== 0x7f454c46) throw new MemqError(`${name}: expected ELF magic at offset 0`, 'E_FORMAT');
    if (eh[4] !== 2) throw new MemqError(`${name}: ELF class ${eh[4]} at offset 4, expected 2 (64-bit)`, 'E_FORMAT');
    if (eh[5] !== 1) throw new MemqError(`${name}: ELF data encoding ${eh[5]} at offset 5, expected 1 (little-endian)`, 'E_FORMAT');
    const type = eh.readUInt16LE(16);
    if (type !== ET_CORE) throw new MemqError(`${name}: ELF e_type ${type} at offset 0x10, expected 4 (core)`, 'E_FORMAT');
    const machine = eh.readUInt16LE(18);
    const phoff = u64(eh, 32, 'e_phoff', name);
    const phentsize = eh.readUInt16LE(54);
    let phnum = eh.readUInt16LE(56);
    if (phentsize !== 56) throw new MemqError(`${name}: ELF e_phentsize ${phentsize} at offset 0x36, expected 56`, 'E_FORMAT');
    if (phnum === PN_XNUM) {
      // real count in section header 0's sh_info
      const shoff = u64(eh, 40, 'e_shoff', name);
      const sh0 = readExact(source, shoff, 64);
      phnum = sh0.readUInt32LE(44);
    }
    if (phnum === 0 || phnum > MAX_PHDRS) throw new MemqError(`${name}: ELF e_phnum ${phnum} out of range (1..${MAX_PHDRS})`, 'E_FORMAT');
    if (phoff + phnum * 56 > source.size) {
      throw new MemqError(`${name}: ELF program headers (${phnum} × 56 at ${hx(phoff)}) run past end of file (${source.size})`, 'E_TRUNCATED');
    }
    const ph = readExact(source, phoff, phnum * 56);
    const segs: Segment[] = [];
    let loads = 0;
    let zeroPaddr = 0;
    let truncated = 0;
    for (let i = 0; i < phnum; i++) {
      const o = i * 56;
      const pType = ph.readUInt32LE(o);
      const where = `${name}: program header #${i} at ${hx(phoff + o)}`;
      if (pType === PT_NOTE) {
        const off = u64(ph, o + 8, 'p_offset', where);
        const size = u64(ph, o + 32, 'p_filesz', where);
        this.parseNotes(off, size, where);
      } else if (pType === PT_LOAD) {
        loads++;
        const off = u64(ph, o + 8, 'p_offset', where);
        const paddr = u64(ph, o + 24, 'p_paddr', where);
        let filesz = u64(ph, o + 32, 'p_filesz', where);
        if (paddr === 0) zeroPaddr++;
        if (filesz === 0) continue;
        if (paddr + filesz > MAX_PHYS) throw new MemqError(`${where}: p_paddr ${hx(paddr)} + ${hx(filesz)} beyond 2^52`, 'E_FORMAT');
        if (off + filesz > source.size) {
          // a dump cut short: keep what is there and say so (scans then see the missing tail as absent)
          if (off >= source.size) {
            throw new MemqError(`${where}: segment data at ${hx(off)} starts past end of file (${source.size})`, 'E_TRUNCATED');
          }
          truncated++;
          filesz = source.size - off;
        }
        segs.push({
          start: paddr,
          end: paddr + filesz,
          ram: !isDeviceMemory(paddr, paddr + filesz),
          read: (so, t, to, l) => source.readInto(off + so, t, to, l) === l,
        });
      }
    }
    if (loads === 0) throw new MemqError(`${name}: ELF core has no PT_LOAD segments`, 'E_FORMAT');
    if (loads > 1 && zeroPaddr === loads) {
      throw new MemqError(
        `${name}: ELF core has no physical addresses (p_paddr is 0 in all ${loads} PT_LOADs) — a process or paging-on core, not a physical memory dump`,
        'E_FORMAT',
      );
    }
    this.table = new SegmentTable(segs, name);
    this.ranges = this.table.ranges;
    this.info.format = 'ELF core (physical PT_LOAD)';
    this.info['elf.machine'] = machine;
    if (machine === EM_AARCH64 || machine === EM_X86_64) {
      this.hints.arch = machine === EM_AARCH64 ? 'arm64' : 'x86_64';
      this.hints.archSource = `ELF e_machine ${machine} (${machine === EM_AARCH64 ? 'EM_AARCH64' : 'EM_X86_64'})`;
      this.info['elf.arch'] = `${this.hints.arch} (${this.hints.archSource})`;
    }
    this.info['elf.phnum'] = phnum;
    this.info['elf.pt_load'] = loads;
    this.info['elf.device_ranges'] = this.ranges.filter((r) => !r.ram).map((r) => `${hx(r.start)}-${hx(r.end)}`).join(' ');
    this.info['elf.notes'] = [...new Set(this.notes.map((n) => n.name))].join(',');
    if (truncated) this.info['elf.truncated_segments'] = truncated;
    if (this.hints.cr3?.length) this.info['elf.qemu_cr3'] = this.hints.cr3.map(hx).join(',');
    if (this.hints.vmcoreinfo) this.info['elf.vmcoreinfo_bytes'] = this.hints.vmcoreinfo.length;
  }

  private parseNotes(off: number, size: number, where: string): void {
    if (size === 0) return;
    if (size > MAX_NOTES_BYTES) throw new MemqError(`${where}: PT_NOTE of ${size} bytes exceeds ${MAX_NOTES_BYTES}`, 'E_FORMAT');
    if (off + size > this.source.size) throw new MemqError(`${where}: PT_NOTE at ${hx(off)}+${size} runs past end of file`, 'E_TRUNCATED');
    const buf = readExact(this.source, off, size);
    let p = 0;
    let count = 0;
    while (p + 12 <= size) {
      if (++count > MAX_NOTES) throw new MemqError(`${where}: more than ${MAX_NOTES} ELF notes`, 'E_FORMAT');
      const namesz = buf.readUInt32LE(p);
      const descsz = buf.readUInt32LE(p + 4);
      const type = buf.readUInt32LE(p + 8);
      const nameOff = p + 12;
      const descOff = nameOff + align4(namesz);
      const next = descOff + align4(descsz);
      if (next > size) throw new MemqError(`${where}: note #${count} at ${hx(off + p)} (name ${namesz}, desc ${descsz} bytes) overruns the PT_NOTE`, 'E_FORMAT');
      const name = buf.toString('latin1', nameOff, nameOff + namesz).replace(/\0+$/, '');
      this.notes.push({ name, type, descOff: off + descOff, descSize: descsz });
      if (name === 'QEMU' && descsz >= QEMU_CR0_OFFSET + 5 * 8) {
        const cr3 = buf.readBigUInt64LE(descOff + QEMU_CR0_OFFSET + 3 * 8);
        // CR3 bits 12..51 hold the page-table base; low bits are PCID/flags
        const base = Number(cr3 & 0x000f_ffff_ffff_f000n);
        (this.hints.cr3 ??= []).push(base);
      } else if (name === 'VMCOREINFO') {
        this.hints.vmcoreinfo = buf.toString('latin1', descOff, descOff + descsz).replace(/\0+$/, '');
      }
      p = next;
    }
  }

  readPhys(paddr: number, target: Uint8Array, targetOffset: number, length: number): boolean {
    return this.table.readPhys(paddr, target, targetOffset, length);
  }

  close(): void {
    this.source.close();
  }
}

function align4(n: number): number {
  return n + ((4 - (n % 4)) % 4); // arithmetic, not bitwise: sizes may exceed 2^31
}
