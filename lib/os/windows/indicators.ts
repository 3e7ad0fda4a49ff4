// Indicator table for Windows: IPs, domains and URLs (ASCII and UTF-16LE) in each process's writable
// VADs — heaps, stacks, private and mapped data, where a process keeps what it received or was told —
// found by the shared scanner over the pages present in the dump. Bounded per process.
import type { Row } from '../../model';
import { scanIndicators } from '../common/indicators';
import type { Mem } from './memory';
import { PagedReader } from './memory';
import type { EProc } from './processes';
import { vadKind, type Vad } from './vads';

const MAX_BYTES_PER_PROCESS = 64 << 20;
const MAX_RUN = 4 << 20;

export function indicatorRows(p: EProc, um: Mem, vads: Vad[], warn: (m: string) => void): Row<'indicator'>[] {
  if (!(um.r instanceof PagedReader)) return [];
  const space = um.r.space;
  const out: Row<'indicator'>[] = [];
  const seen = new Set<string>();
  let budget = MAX_BYTES_PER_PROCESS;
  for (const v of vads) {
    const prot = v.protection & 7;
    if (prot !== 4 && prot !== 5 && prot !== 6 && prot !== 7) continue; // writable
    const region = v.fileName ?? vadKind(v);
    let runStart = -1n;
    let runBytes = 0;
    const chunks: Buffer[] = [];
    const flush = () => {
      if (!chunks.length) return;
      for (const h of scanIndicators(Buffer.concat(chunks), runStart, { wide: true })) {
        const key = `${h.kind}\0${h.value}\0${h.address}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push({ process_id: p.pid, kind: h.kind, value: h.value, address: h.address, region });
      }
      chunks.length = 0;
      runBytes = 0;
    };
    for (const m of space.mappings(v.start, v.end)) {
      if (budget <= 0) break;
      const page = Buffer.alloc(m.size);
      if (!space.mem.readPhys(m.pa, page, 0, m.size)) {
        flush();
        continue;
      }
      if (!chunks.length || runStart + BigInt(runBytes) !== m.va || runBytes >= MAX_RUN) {
        flush();
        runStart = m.va;
      }
      chunks.push(page);
      runBytes += m.size;
      budget -= m.size;
    }
    flush();
    if (budget <= 0) {
      warn(`indicators: pid ${p.pid} has more than ${MAX_BYTES_PER_PROCESS >> 20} MiB of writable memory; scan truncated`);
      break;
    }
  }
  return out;
}
