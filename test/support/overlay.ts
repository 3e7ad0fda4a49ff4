// Copy-on-write overlay over a real dump's physical memory, for robustness tests: patch a few bytes
// (unlink a module, corrupt a page table, make the task list cyclic) without touching the file.
import type { PhysicalMemory, PhysRange } from '../../lib/image/physical';

export class OverlayMemory implements PhysicalMemory {
  private patches = new Map<number, Buffer>(); // page number → patched page
  constructor(readonly inner: PhysicalMemory) {}
  get format() { return this.inner.format; }
  get source() { return this.inner.source; }
  get ranges(): readonly PhysRange[] { return this.inner.ranges; }
  get info() { return this.inner.info; }
  get hints() { return this.inner.hints; }

  write(paddr: number, data: Buffer): void {
    for (let i = 0; i < data.length; ) {
      const pa = paddr + i;
      const pn = Math.floor(pa / 4096);
      let page = this.patches.get(pn);
      if (!page) {
        page = Buffer.alloc(4096);
        if (!this.inner.readPhys(pn * 4096, page, 0, 4096)) throw new Error(`page ${pn} absent`);
        this.patches.set(pn, page);
      }
      const n = Math.min(4096 - (pa % 4096), data.length - i);
      data.copy(page, pa % 4096, i, i + n);
      i += n;
    }
  }

  writeU64(paddr: number, v: bigint): void {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(v);
    this.write(paddr, b);
  }

  readPhys(paddr: number, target: Uint8Array, off: number, len: number): boolean {
    if (!this.inner.readPhys(paddr, target, off, len)) return false;
    for (let i = 0; i < len; ) {
      const pa = paddr + i;
      const pn = Math.floor(pa / 4096);
      const n = Math.min(4096 - (pa % 4096), len - i);
      const page = this.patches.get(pn);
      if (page) target.set(page.subarray(pa % 4096, (pa % 4096) + n), off + i);
      i += n;
    }
    return true;
  }
  close(): void {
    this.inner.close();
  }
}
