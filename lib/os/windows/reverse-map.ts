// Physical → kernel virtual address recovery for objects found by physical pool scans: one walk of
// the kernel half of the page tables (skipping the self-referencing PML4 slot, which would only
// re-enumerate the page tables) until every wanted physical page has a VA.
import type { X86_64Space } from '../../arch/x86_64';

const TWO32 = 4294967296;

export function kernelVasOf(space: X86_64Space, wantedPages: Set<number>, maxMappings = 1 << 23): Map<number, bigint> {
  const out = new Map<number, bigint>();
  if (!wantedPages.size) return out;
  const e = Buffer.alloc(8);
  let budget = maxMappings;
  for (let i = 256; i < 512 && out.size < wantedPages.size; i++) {
    if (!space.mem.readPhys(space.dtb + i * 8, e, 0, 8)) continue;
    const lo = e.readUInt32LE(0);
    if (!(lo & 1)) continue;
    const frame = (e.readUInt32LE(4) & 0xfffff) * TWO32 + ((lo & 0xfffff000) >>> 0);
    if (frame === space.dtb) continue; // self-map
    const start = 0xffff000000000000n | (BigInt(i) << 39n);
    for (const m of space.mappings(start, start + (1n << 39n), budget)) {
      budget--;
      for (let off = 0; off < m.size; off += 4096) {
        const pa = m.pa + off;
        if (wantedPages.has(pa) && !out.has(pa)) out.set(pa, m.va + BigInt(off));
      }
      if (out.size >= wantedPages.size || budget <= 0) break;
    }
  }
  return out;
}
