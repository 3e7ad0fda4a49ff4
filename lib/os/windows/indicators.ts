// Indicator table for Windows: IPs, domains and URLs (ASCII and UTF-16LE) in each process's writable
// VADs — heaps, stacks, private and mapped data, where a process keeps what it received or was told —
// found by the shared collector over the pages present in the dump. Bounded per process.
import type { Row } from '../../model';
import { IndicatorCollector } from '../common/indicator-collector';
import type { Mem } from './memory';
import { PagedReader } from './memory';
import type { EProc } from './processes';
import { vadKind, type Vad } from './vads';

export function indicatorRows(p: EProc, um: Mem, vads: Vad[], warn: (m: string) => void): Row<'indicator'>[] {
  if (!(um.r instanceof PagedReader)) return [];
  const c = new IndicatorCollector(um.r.space, p.pid, { wide: true });
  for (const v of vads) {
    const prot = v.protection & 7;
    if (prot !== 4 && prot !== 5 && prot !== 6 && prot !== 7) continue; // writable
    c.scanRegion(v.start, v.end, v.fileName ?? vadKind(v));
    if (c.exhausted) {
      warn(`indicators: pid ${p.pid} has more than ${c.budgetBytes >> 20} MiB of writable memory; scan truncated`);
      break;
    }
  }
  return c.rows;
}
