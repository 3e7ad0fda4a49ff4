// The browser for the end-to-end test: Debian's Chromium (playwright-core drives it). `npm test` on a
// fresh machine brings it itself: when /usr/bin/chromium is missing and the test runs as root, it is
// installed with apt-get (once, a few minutes); otherwise the test fails with one line saying what to
// run. A missing browser never skips or passes the test. (@sparticuz/chromium, the npm-shipped build,
// unpacks here but hangs on a headless screenshot: it is built for Amazon Linux.)
import * as fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { ensureDebianPackage } from '../support/debian';

export const CHROMIUM = process.env.MEMQ_CHROMIUM || '/usr/bin/chromium';

function works(exe: string): boolean {
  if (!fs.existsSync(exe)) return false;
  const r = spawnSync(exe, ['--headless', '--no-sandbox', '--version'], { encoding: 'utf8', timeout: 60_000 });
  return r.status === 0 && /chrom/i.test(r.stdout);
}

/** Path of a working Chromium, installing Debian's package when possible; throws one clear line otherwise. */
export function ensureChromium(log: (line: string) => void = (l) => process.stderr.write(l + '\n')): string {
  if (works(CHROMIUM)) return CHROMIUM;
  const fix = 'install it with `apt-get install chromium` (as root) or point MEMQ_CHROMIUM at a Chromium binary';
  if (process.env.MEMQ_CHROMIUM) throw new Error(`MEMQ_CHROMIUM=${CHROMIUM} is not a working Chromium: ${fix}`);
  ensureDebianPackage('chromium', `Chromium at ${CHROMIUM}`, () => works(CHROMIUM), fix, log);
  return CHROMIUM;
}
