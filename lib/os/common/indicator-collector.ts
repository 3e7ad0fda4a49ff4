// Collects `indicator` rows for one process: scans given VA regions of its address space over the
// pages actually present in the dump (runs of contiguous pages are scanned as one buffer so matches
// spanning pages are seen), de-duplicates hits, and stops at a per-process byte budget. Shared by the
// Linux and Windows engines; the scanner itself is ./indicators.ts.
import type { VirtualSpace } from '../../arch/space';
import type { Row } from '../../model';
import { scanIndicators } from './indicators';

const DEFAULT_BUDGET = 64 << 20;
const MAX_RUN = 4 << 20;

export class IndicatorCollector {
  readonly rows: Row<'indicator'>[] = [];
  private seen = new Set<string>();
  private budget: number;
  constructor(
    private readonly space: VirtualSpace,
    private readonly pid: number,
    private readonly opts: { wide?: boolean; budgetBytes?: number } = {},
  ) {
    this.budget = opts.budgetBytes ?? DEFAULT_BUDGET;
  }

  /** true once the byte budget is spent (the caller should warn and stop) */
  get exhausted(): boolean {
    return this.budget <= 0;
  }

  get budgetBytes(): number {
    return this.opts.budgetBytes ?? DEFAULT_BUDGET;
  }

  scanRegion(start: bigint, end: bigint, region: string | null): void {
    let runStart = -1n;
    let runBytes = 0;
    const chunks: Buffer[] = [];
    const flush = () => {
      if (!chunks.length) return;
      for (const h of scanIndicators(Buffer.concat(chunks), runStart, { wide: this.opts.wide })) {
        const key = `${h.kind}\0${h.value}\0${h.address}`;
        if (this.seen.has(key)) continue;
        this.seen.add(key);
        this.rows.push({ process_id: this.pid, kind: h.kind, value: h.value, address: h.address, region });
      }
      chunks.length = 0;
      runBytes = 0;
    };
    for (const m of this.space.mappings(start, end)) {
      if (this.budget <= 0) break;
      const page = Buffer.alloc(m.size);
      if (!this.space.mem.readPhys(m.pa, page, 0, m.size)) {
        flush();
        continue;
      }
      if (!chunks.length || runStart + BigInt(runBytes) !== m.va || runBytes >= MAX_RUN) {
        flush();
        runStart = m.va;
      }
      chunks.push(page);
      runBytes += m.size;
      this.budget -= m.size;
    }
    flush();
  }
}
