// Registers the Windows engine with lib/os/open.ts: any Windows crash dump, or a raw image in which a
// Windows kernel (low stub or self-referencing PML4 plus an ntoskrnl image) can be found.
import { registerEngine } from '../open';
import { WindowsBitmapDump, WindowsFullDump, WindowsTriageDump } from '../../image/formats/windows-crashdump';
import { findLowStubDtb } from './kernel';
import { WindowsEngine } from './engine';

registerEngine({
  os: 'windows',
  detect(mem) {
    if (mem instanceof WindowsTriageDump || mem instanceof WindowsFullDump || mem instanceof WindowsBitmapDump) {
      return `Windows crash dump (${mem.format})`;
    }
    if (mem.format === 'raw' || mem.format === 'elf' || mem.format === 'lime') {
      const dtb = findLowStubDtb(mem);
      if (dtb !== null) return `Windows low stub with PML4 ${dtb.toString(16)}`;
      // no low stub: claim it only if an ntoskrnl CodeView name is in low memory (the engine then scans)
      if (looksWindows(mem)) return 'Windows kernel image found by scan';
    }
    return null;
  },
  open(mem, opts) {
    return new WindowsEngine(mem, opts);
  },
});

/** Cheap content check for raw images without a low stub: an 'ntoskrnl'/'ntkrnlmp' PDB name in the first 256 MiB. */
function looksWindows(mem: import('../../image/physical').PhysicalMemory): boolean {
  const needle = Buffer.from('ntkrnlmp.pdb', 'latin1');
  const buf = Buffer.alloc(4 << 20);
  let scanned = 0;
  for (const r of mem.ranges) {
    for (let p = r.start; p < r.end && scanned < 256 << 20; p += buf.length) {
      const n = Math.min(buf.length, r.end - p);
      if (!mem.readPhys(p, buf, 0, n)) continue;
      scanned += n;
      if (buf.subarray(0, n).indexOf(needle) >= 0) return true;
    }
  }
  return false;
}

export { WindowsEngine };
