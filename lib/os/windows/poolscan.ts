// One pass over physical RAM for every pool tag the Windows engine scans for (processes for psscan,
// tcpip endpoints for netscan): reading a multi-GiB dump once instead of once per plugin. Results are
// physical addresses of the 16-byte-aligned _POOL_HEADERs carrying each tag, capped per tag.
import type { PhysicalMemory } from '../../image/physical';
import { scanRam } from '../../image/physical';
import { SegmentedDump } from '../../image/formats/windows-crashdump';

const MAX_HITS_PER_TAG = 200000;

export function scanPoolTags(pm: PhysicalMemory, tags: string[], tagOffset: number): Map<string, number[]> {
  const out = new Map<string, number[]>(tags.map((t) => [t, []]));
  const needles = tags.map((t) => [t, Buffer.from(t, 'latin1')] as const);
  const scanChunk = (chunk: Buffer, toPhys: (off: number) => number) => {
    for (const [tag, needle] of needles) {
      const hits = out.get(tag)!;
      for (let at = chunk.indexOf(needle); at >= 0 && hits.length < MAX_HITS_PER_TAG; at = chunk.indexOf(needle, at + 4)) {
        // pool headers are 16-byte aligned inside a page, so a header never straddles two pages
        if (at < tagOffset) continue;
        const pool = toPhys(at - tagOffset);
        if (pool % 16 === 0) hits.push(pool);
      }
    }
  };
  if (pm instanceof SegmentedDump) {
    // crash dumps: read the page data in file order (fragmented bitmaps would otherwise mean many small reads)
    for (const [chunk, toPhys] of pm.scanFileOrder()) scanChunk(chunk, toPhys);
  } else {
    for (const [base, chunk] of scanRam(pm)) scanChunk(chunk, (off) => base + off);
  }
  return out;
}
