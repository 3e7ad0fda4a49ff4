// HTML → PDF through a headless Chromium found on this machine ($MEMQ_CHROMIUM, else the usual install
// paths): `--print-to-pdf` on a temp file, with the network off (the report is self-contained). No
// browser: a MemqError saying how to get one (the cloud API has none: PDF is a local feature there).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { MemqError } from './errors';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable', '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome'];
/** a print that takes longer than this is stuck (a report prints in about a second) */
const PRINT_TIMEOUT_MS = 120_000;

/** The Chromium executable to print with, or null when there is none. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.MEMQ_CHROMIUM) return fs.existsSync(env.MEMQ_CHROMIUM) ? env.MEMQ_CHROMIUM : null;
  return CANDIDATES.find((c) => fs.existsSync(c)) ?? null;
}

export const NO_CHROMIUM = 'PDF export needs a Chromium: install it (apt-get install chromium) or point MEMQ_CHROMIUM at one; the HTML report needs nothing';

/** Prints one HTML document to PDF bytes. */
export async function htmlToPdf(html: string, o: { chromium?: string | null } = {}): Promise<Buffer> {
  const exe = o.chromium === undefined ? findChromium() : o.chromium;
  if (!exe) throw new MemqError(NO_CHROMIUM, 'E_NO_CHROMIUM');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-pdf-'));
  try {
    const src = path.join(dir, 'report.html');
    const out = path.join(dir, 'report.pdf');
    fs.writeFileSync(src, html);
    const args = [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-pdf-header-footer',
      `--user-data-dir=${path.join(dir, 'profile')}`,
      `--print-to-pdf=${out}`,
      'file://' + src,
    ];
    const stderr = await new Promise<string>((resolve, reject) => {
      const child = spawn(exe, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
      const timer = setTimeout(() => child.kill('SIGKILL'), PRINT_TIMEOUT_MS);
      child.on('error', (e) => (clearTimeout(timer), reject(new MemqError(`could not start ${exe}: ${e.message}`, 'E_NO_CHROMIUM'))));
      child.on('close', () => (clearTimeout(timer), resolve(err)));
    });
    if (!fs.existsSync(out) || fs.statSync(out).size === 0) throw new MemqError(`Chromium did not write the PDF: ${stderr.trim().split('\n').pop() ?? 'no output'}`, 'E_PDF');
    return fs.readFileSync(out);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
