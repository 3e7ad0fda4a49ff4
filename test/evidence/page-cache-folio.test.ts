// Large folios in the page cache (multi-index xarray entries: the folio in its first slot, sibling
// entries in the others), which XFS and shmem with huge= create on 6.x and the generated 6.12
// rootkit image does not (its initramfs files are order-0 pages). On that real image, the hidden
// rkd's xarray is rewritten through a copy-on-write overlay so that pairs of its pages whose frames
// are physically adjacent become order-1 folios (the second slot a sibling of the first), as the
// kernel would store them: the export must still give every page at its frame and the same bytes.
import { openDumpFile } from '../../lib/image/open';
import { openEngine } from '../../lib/os/open';
import type { LinuxEngine } from '../../lib/os/linux/index';
import { cachedFile, lookupPath } from '../../lib/os/linux/page-cache';
import { pageCacheLayout } from '../../lib/os/linux/evidence';
import { OverlayMemory } from '../support/overlay';
import { rootkitImage, ROOTKIT_IMAGE_TIMEOUT_MS, type RootkitImage } from '../support/rootkit-images';

jest.setTimeout(300_000);

const RKD = '/var/tmp/.memq-rk-dev/rkd';
let img: RootkitImage;
beforeAll(async () => {
  img = await rootkitImage('6.12');
}, ROOTKIT_IMAGE_TIMEOUT_MS);

/** physical address of slot `index` of the file's xarray (root node over leaf nodes of shift 0) */
function leafSlot(eng: LinuxEngine, inode: bigint, index: number): { slotPa: number; slot: number } {
  const v = eng.ctx.v;
  const mapping = v.p(inode, 'inode', 'i_mapping');
  let entry = v.ptr(mapping + BigInt(v.off('address_space', 'i_pages') + v.off('xarray', 'xa_head')));
  for (let depth = 0; depth < 4; depth++) {
    const node = entry - 2n;
    const shift = v.u8(node + BigInt(v.off('xa_node', 'shift')));
    const slot = Math.floor(index / 2 ** shift) % 64;
    const at = node + BigInt(v.off('xa_node', 'slots') + slot * 8);
    if (shift === 0) return { slotPa: eng.k.space.translate(at)!, slot };
    entry = v.ptr(at);
  }
  throw new Error('xarray deeper than expected');
}

test('order-1 folios as multi-index entries (sibling slots): every page at its frame, the same bytes; a sibling of an empty slot is a hole', async () => {
  const base = openEngine(await openDumpFile(img.kdump)) as unknown as LinuxEngine;
  const ov = new OverlayMemory(await openDumpFile(img.kdump));
  const eng = openEngine(ov) as unknown as LinuxEngine;
  try {
    const inode = lookupPath(base.ctx, RKD);
    const before = cachedFile(base.ctx, inode, 1 << 30);
    const size = Number(((img.groundTruth.rootkit.raw as Record<string, string>).hidden_paths_stat.split('\n').find((l) => l.endsWith(` ${RKD}`)) ?? '').trim().split(/\s+/)[4]);
    expect([before.size, before.pages.size]).toEqual([size, Math.ceil(size / 4096)]);
    // pairs (2k, 2k+1) on adjacent frames: what an order-1 folio is
    const pairs = [...before.pages].filter(([i, pa]) => i % 2 === 0 && before.pages.get(i + 1) === pa + 4096).map(([i]) => i);
    expect(pairs.length).toBeGreaterThan(4);
    for (const i of pairs) {
      const { slotPa, slot } = leafSlot(base, inode, i + 1);
      ov.writeU64(slotPa, (BigInt(slot - 1) << 2n) | 2n); // xa_mk_sibling(slot of index 2k)
    }
    // hostile: a sibling entry whose first slot is empty (that page evicted, the entry left) is a hole, not a guess
    const lone = [...before.pages.keys()].find((i) => i % 2 === 0 && !pairs.includes(i) && before.pages.has(i + 1))!;
    const h = leafSlot(base, inode, lone);
    const n = leafSlot(base, inode, lone + 1);
    ov.writeU64(h.slotPa, 0n);
    ov.writeU64(n.slotPa, (BigInt(h.slot) << 2n) | 2n);

    const after = cachedFile(eng.ctx, inode, 1 << 30);
    const want = new Map(before.pages);
    want.delete(lone);
    want.delete(lone + 1);
    expect([...after.pages].sort((a, b) => a[0] - b[0])).toEqual([...want].sort((a, b) => a[0] - b[0]));
    // the exported layout reads the same bytes for every page the sibling entries now carry
    const layout = pageCacheLayout(eng.ctx, RKD);
    const page = Buffer.alloc(4096);
    const orig = Buffer.alloc(4096);
    for (const i of pairs) {
      const piece = layout.pieces.find((p) => p.offset === (i + 1) * 4096)!;
      expect(piece.pa).toBe(before.pages.get(i + 1));
      expect(eng.mem.readPhys(piece.pa, page, 0, piece.length)).toBe(true);
      expect(base.mem.readPhys(before.pages.get(i + 1)!, orig, 0, piece.length)).toBe(true);
      expect(page.equals(orig)).toBe(true);
    }
  } finally {
    eng.mem.close();
    base.mem.close();
  }
});
