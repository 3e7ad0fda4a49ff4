// VMCOREINFO: the plain-text note every kernel with CONFIG_CRASH_CORE keeps in RAM (OSRELEASE=,
// SYMBOL(x)=, OFFSET(a.b)=, NUMBER(n)=, KERNELOFFSET=). Values are runtime (already KASLR-slid).
// Found by scanning RAM for "OSRELEASE=" followed by a digit (the bare format string also exists).
import type { PhysicalMemory } from '../image/physical';
import { scanRam } from '../image/physical';

export interface VmcoreInfo {
  /** physical address where the text was found; -1 when it came from the dump header (HEADER_PADDR) */
  paddr: number;
  raw: string;
  osrelease: string;
  symbols: Map<string, bigint>;
  offsets: Map<string, number>;
  sizes: Map<string, number>;
  numbers: Map<string, bigint>;
  kernelOffset: bigint | null;
}

const MARK = Buffer.from('OSRELEASE=');

export function parseVmcoreInfo(text: string, paddr: number): VmcoreInfo | null {
  const symbols = new Map<string, bigint>();
  const offsets = new Map<string, number>();
  const sizes = new Map<string, number>();
  const numbers = new Map<string, bigint>();
  let osrelease = '';
  let kernelOffset: bigint | null = null;
  for (const line of text.split('\n')) {
    let m: RegExpMatchArray | null;
    if ((m = line.match(/^OSRELEASE=(\S+)$/))) osrelease = m[1];
    else if ((m = line.match(/^SYMBOL\(([\w.]+)\)=([0-9a-f]+)$/))) symbols.set(m[1], BigInt('0x' + m[2]));
    else if ((m = line.match(/^OFFSET\(([\w.]+)\)=(\d+)$/))) offsets.set(m[1], Number(m[2]));
    else if ((m = line.match(/^SIZE\(([\w.]+)\)=(\d+)$/))) sizes.set(m[1], Number(m[2]));
    else if ((m = line.match(/^NUMBER\(([\w.]+)\)=(-?\d+|0x[0-9a-fA-F]+)$/))) numbers.set(m[1], BigInt(m[2])); // arm64 writes some in hex
    else if ((m = line.match(/^KERNELOFFSET=([0-9a-f]+)$/))) kernelOffset = BigInt('0x' + m[1]);
  }
  if (!/^\d+\.\d+/.test(osrelease) || symbols.size === 0) return null;
  return { paddr, raw: text, osrelease, symbols, offsets, sizes, numbers, kernelOffset };
}

const found = new WeakMap<PhysicalMemory, VmcoreInfo | null>();

/** VmcoreInfo.paddr of a note taken from the dump header rather than from RAM */
export const HEADER_PADDR = -1;

/**
 * The kernel's VMCOREINFO (memoized per dump): from the dump header when the format carries it (kdump
 * sub-header offset_vmcoreinfo, an ELF VMCOREINFO note), else at the hinted physical address (an
 * earlier open's discovery), else by scanning RAM for the first block that parses with symbols.
 */
export function findVmcoreInfo(mem: PhysicalMemory, hintPaddr?: number): VmcoreInfo | null {
  if (found.has(mem)) return found.get(mem)!;
  const header = mem.hints?.vmcoreinfo;
  const r =
    (header ? parseVmcoreInfo(header, HEADER_PADDR) : null) ??
    (hintPaddr !== undefined && hintPaddr >= 0 ? parseAt(mem, hintPaddr) : null) ??
    scanVmcoreInfo(mem);
  found.set(mem, r);
  return r;
}

/** Parses the note at a known physical address (a hint from an earlier open); null if it is not there. */
function parseAt(mem: PhysicalMemory, at: number): VmcoreInfo | null {
  const r = mem.ranges.find((x) => at >= x.start && at < x.end);
  if (!r) return null;
  const n = Math.min(8192, r.end - at);
  const buf = Buffer.alloc(n);
  if (!mem.readPhys(at, buf, 0, n) || buf.indexOf(MARK) !== 0) return null;
  const nul = buf.indexOf(0);
  return parseVmcoreInfo(buf.subarray(0, nul < 0 ? n : nul).toString('latin1'), at);
}

function scanVmcoreInfo(mem: PhysicalMemory): VmcoreInfo | null {
  for (const [base, chunk] of scanRam(mem)) {
    let i = chunk.indexOf(MARK);
    while (i >= 0) {
      const d = chunk[i + MARK.length];
      if (d >= 0x30 && d <= 0x39 && (i === 0 || chunk[i - 1] === 0 || chunk[i - 1] === 0x0a)) {
        // the note is at most a page or two of text: read up to 8 KiB until the first NUL
        const buf = Buffer.alloc(8192);
        const at = base + i;
        const n = Math.min(8192, mem.ranges.find((r) => at >= r.start && at < r.end)!.end - at);
        if (mem.readPhys(at, buf, 0, n)) {
          const nul = buf.indexOf(0);
          const info = parseVmcoreInfo(buf.subarray(0, nul < 0 ? n : nul).toString('latin1'), at);
          if (info) return info;
        }
      }
      i = chunk.indexOf(MARK, i + 1);
    }
  }
  return null;
}
