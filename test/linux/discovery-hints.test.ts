// Discovery hints: the facts an expensive first open found (where VMCOREINFO is) let a later open of
// the same dump — a cloud shard — skip the RAM scan; a wrong hint is ignored, never trusted.
import { openDumpFile } from '../../lib/image/open';
import { openEngine } from '../../lib/os/open';
import type { BlockCache } from '../../lib/image/byte-source';
import type { LinuxEngine } from '../../lib/os/linux';
import { dumpPath } from '../support/dumps';

jest.setTimeout(120_000);

test('a VMCOREINFO hint cuts the bytes read at open; a wrong hint falls back to the scan', async () => {
  const file = await dumpPath('6.1', 'memory.kdump');
  const cold = await openDumpFile(file);
  const first = openEngine(cold) as LinuxEngine;
  const coldBytes = (cold.source as BlockCache).stats.bytesRead;
  const hints = first.discoveryHints();
  expect(hints).toEqual({ vmcoreinfo_paddr: 0x5148000 }); // where the image README says the note is
  const warm = await openDumpFile(file);
  const second = openEngine(warm, { hints }) as LinuxEngine;
  const warmBytes = (warm.source as BlockCache).stats.bytesRead;
  expect(warmBytes).toBeLessThan(coldBytes / 2);
  expect(second.extract('process').map((p) => p.process_id)).toEqual(first.extract('process').map((p) => p.process_id));
  const wrong = openEngine(await openDumpFile(file), { hints: { vmcoreinfo_paddr: 0x1000 } }) as LinuxEngine;
  expect(wrong.k.vmcoreinfo!.paddr).toBe(0x5148000);
});
