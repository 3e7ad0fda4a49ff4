// Build-time checks of the generated dump (not memq tests): markers the scenario put in memory are
// found in the image's RAM, with their physical addresses, read through memq's own image layer. The
// keylog check ties the typed keys to the test kit's buffer: the hit's offset within its page must
// equal that of keylog_buffer + 1 (the notifier writes from index 1; a virtual address and its
// physical one share the offset within the 4 KiB page).
import { openDumpFile } from '../../../lib/image/open';
import { scanRam } from '../../../lib/image/physical';

export interface Check {
  name: string;
  ok: boolean;
  [k: string]: unknown;
}

export async function runChecks(kdump: string, keylog: string, keylogBuffer: string | null, markers: string[]): Promise<Check[]> {
  const mem = await openDumpFile(kdump);
  const needles = [keylog, ...markers];
  const hits = new Map<string, number[]>(needles.map((n) => [n, []]));
  for (const [base, buf] of scanRam(mem)) {
    for (const n of needles) {
      const list = hits.get(n)!;
      // bounded: at most 64 hits per marker
      for (let i = buf.indexOf(n, 0, 'latin1'); i >= 0 && list.length < 64; i = buf.indexOf(n, i + 1, 'latin1')) list.push(base + i);
    }
  }
  const hex = (n: number) => '0x' + n.toString(16);
  const checks: Check[] = [];
  const kl = hits.get(keylog)!;
  const want = keylogBuffer ? Number(BigInt(keylogBuffer) & 0xfffn) + 1 : -1;
  const inBuf = kl.filter((p) => (p & 0xfff) === want);
  checks.push({
    name: `keyboard notifier: the keys typed on the PS/2 keyboard ("${keylog}") are in memory at the keylog buffer's page offset`,
    ok: inBuf.length > 0,
    keylog_buffer: keylogBuffer,
    physical_hits: kl.map(hex),
    at_buffer_offset: inBuf.map(hex),
  });
  for (const m of markers) {
    const h = hits.get(m)!;
    checks.push({ name: `marker "${m}" in RAM`, ok: h.length > 0, physical_hits: h.slice(0, 8).map(hex), count: h.length });
  }
  return checks;
}
