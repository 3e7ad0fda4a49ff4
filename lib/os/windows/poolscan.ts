// One pass over physical RAM for every pool tag the Windows engine scans for (processes for psscan,
// tcpip endpoints for netscan): reading a multi-GiB dump once instead of once per plugin. Results are
// physical addresses of the 16-byte-aligned _POOL_HEADERs carrying each tag, capped per tag.
import type { PhysicalMemory } from '../../image/physical';
import { scanRam } from '../../image/physical';

const MAX_HITS_PER_TAG = 200000;

export function scanPoolTags(pm: PhysicalMemory, tags: string[], tagOffset: number): Map<string, number[]> {
  const out = new Map<string, number[]>(tags.map((t) => [t, []]));
  const needles = tags.map((t) => [t, Buffer.from(t, 'latin1')] as const);
  for (const [base, chunk] of scanRam(pm)) {
    for (const [tag, needle] of needles) {
      const hits = out.get(tag)!;
      for (let at = chunk.indexOf(needle); at >= 0 && hits.length < MAX_HITS_PER_TAG; at = chunk.indexOf(needle, at + 4)) {
        const pool = base + at - tagOffset;
        if (pool % 16 === 0) hits.push(pool);
      }
    }
  }
  return out;
}
