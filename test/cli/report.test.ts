// `memq report` (#15): a real hunt over the dev kdump (added with `memq add`) written as one
// self-contained HTML file and as a PDF printed by headless Chromium. The processes involved and the
// evidence under each are checked against the guest's ground truth (roles, /proc cmdline, cwd, exe,
// sockets, bash history); benign processes must not appear. Chromium: see test/web/browser.ts.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { dumpPath, groundTruth } from '../support/dumps';
import { ensureChromium } from '../web/browser';

const BIN = path.resolve(__dirname, '../../bin/memq.js');
const gt = groundTruth('6.1') as any;
let tmp: string;
let store: string;

function memq(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, MEMQ_PROGRESS: '0', ...env }, timeout: 300_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const proc = (role: string) => gt.processes.find((p: any) => p.pid === gt.roles[role]);

/** The report's block of one process (its heading, command line and evidence table). */
function block(html: string, pid: number): string {
  const start = html.indexOf(`<div class="proc" data-pid="${pid}"`);
  if (start < 0) return '';
  const end = html.indexOf('<div class="proc"', start + 1);
  return html.slice(start, end < 0 ? html.indexOf('</section>', start) : end);
}

const decode = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
const evidence = (b: string) => [...b.matchAll(/<li>(.*?)<\/li>/g)].map((m) => decode(m[1]!));

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-report-'));
  store = path.join(tmp, 'store');
  const a = memq(['add', await dumpPath('6.1', 'memory.kdump'), '--store', store, '--project', 'dev', '--machine', 'memq-dev', '--snapshot', 'gt']);
  if (a.code !== 0) throw new Error(`memq add failed: ${a.err}`);
}, 300_000);

afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test('HTML: one self-contained file with the summary, the processes involved and their evidence (ground truth)', () => {
  const out = path.join(tmp, 'report.html');
  const r = memq(['report', '--store', store, '-o', out]);
  expect(r.err).toMatch(/memq report: .*report\.html \(html, \d+ playbooks fired\)/);
  expect(r.code).toBe(0);
  const html = fs.readFileSync(out, 'utf8');
  // self-contained: inline CSS, nothing to fetch, no script
  expect(html).toMatch(/^<!doctype html>/);
  expect(html).toContain('<style>');
  expect(html).not.toMatch(/<(script|link|img|iframe|object)\b|\bsrc=|url\(|@import|href="http/i);
  expect(html).toContain(`default-src 'none'`);
  expect(html).toMatch(/data-section="summary"/);

  // the miner: command line and working directory as /proc showed them
  const miner = block(html, gt.roles.evil_miner);
  expect(miner).toContain(`pid ${gt.roles.evil_miner} ${proc('evil_miner').task_comm}`);
  expect(miner).toContain('data-playbook="cryptominer"');
  expect(evidence(miner)).toContain(`command_line=${proc('evil_miner').cmdline.join(' ')}`);
  expect(evidence(miner)).toContain(`cwd=${proc('evil_miner').cwd}`);
  expect(evidence(miner)).toContain(`exe_path=${proc('evil_miner').exe}`);
  // the deleted executable: /proc says "<path> (deleted)"
  const deleted = block(html, gt.roles.deleted_exe);
  expect(deleted).toContain('data-playbook="linux-deleted-executable"');
  expect(evidence(deleted)).toContain(`exe_path=${proc('deleted_exe').exe.replace(/ \(deleted\)$/, '')}`);
  // the fake kernel thread: a user process named like a kworker
  const fake = block(html, gt.roles.fake_kthread);
  expect(fake).toContain(`pid ${gt.roles.fake_kthread} ${proc('fake_kthread').task_comm}`);
  expect(fake).toContain('data-playbook="linux-kernel-thread-name-masquerade"');
  // the listener's established connection, from the guest's /proc/net/tcp
  const conn = gt.net.tcp.find((c: any) => c.owners.some((o: any) => o.pid === gt.roles.nc_listener));
  expect(evidence(block(html, gt.roles.nc_listener))).toContainEqual(
    expect.stringContaining(`local_address=${conn.local_addr} local_port=${conn.local_port} remote_address=${conn.remote_addr} remote_port=${conn.remote_port} state=${conn.state}`),
  );
  // the shell: history lines typed into bash, with their commands
  const shell = evidence(block(html, gt.shell_history.pid));
  const typed = gt.shell_history.entries.map((e: any) => e.command);
  expect(shell.filter((e) => typed.some((c: string) => e.includes(`command=${c}`))).length).toBeGreaterThan(0);
  // benign processes are not in the report
  for (const role of ['agetty', 'syslogd']) expect(block(html, gt.roles[role])).toBe('');
}, 300_000);

test('PDF: printed by headless Chromium, with pages', () => {
  const chromium = ensureChromium();
  const out = path.join(tmp, 'report.pdf');
  const r = memq(['report', '--store', store, '-o', out], { MEMQ_CHROMIUM: chromium });
  expect(r.code).toBe(0);
  const pdf = fs.readFileSync(out);
  expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  const pages = pdf.toString('latin1').match(/\/Type\s*\/Page\b/g) ?? [];
  expect(pages.length).toBeGreaterThan(0);
  expect(pdf.toString('latin1')).toContain('/Title (memq hunt report)');
}, 300_000);

test('PDF without a Chromium: a clear error before any work, exit 2', () => {
  const r = memq(['report', '--store', store, '-o', path.join(tmp, 'x.pdf')], { MEMQ_CHROMIUM: path.join(tmp, 'no-such-chromium') });
  expect(r.code).toBe(2);
  expect(r.err).toMatch(/PDF export needs a Chromium/);
  expect(fs.existsSync(path.join(tmp, 'x.pdf'))).toBe(false);
});
