// End-to-end (#15) in Debian's headless Chromium (browser.ts) against `memq serve` internals on a temp
// store: a dump added with the CLI (`memq add`) is in the UI without uploading it again; a hunt run on
// the playbooks page links its hits to the process page, which shows the playbook's evidence, the
// process as the guest's /proc saw it, and its actions (query this process, find the executable in every
// snapshot, copy as JSON); the hunt exports as a self-contained HTML report and as PDF. Screenshots
// at 1400 and 900 px go to test-output/web/. Expected values come from ground-truth.json.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startServer, type RunningServer } from '../../lib/api/server';
import { dumpPath, groundTruth } from '../support/dumps';
import { ensureChromium } from './browser';

const ROOT = path.resolve(__dirname, '../..');
const SHOTS = path.join(ROOT, 'test-output', 'web');
const BIN = path.join(ROOT, 'bin', 'memq.js');
const gt = groundTruth('6.1') as any;
const proc = (role: string) => gt.processes.find((p: any) => p.pid === gt.roles[role]);

let server: RunningServer;
let ctx: BrowserContext;
let page: Page;
let tmp: string;

/** Full-page screenshots at 1400 and 900 px wide, and the first screen at 1400 (what the README shows). */
async function shots(name: string): Promise<void> {
  for (const width of [1400, 900]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: path.join(SHOTS, `${name}-${width}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1400, height: 900 });
  await page.screenshot({ path: path.join(SHOTS, `${name}-1400-top.png`) });
  await page.setViewportSize({ width: 1400, height: 900 });
}

beforeAll(async () => {
  const executablePath = ensureChromium();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-e2e-process-'));
  fs.mkdirSync(SHOTS, { recursive: true });
  const webOut = path.join(tmp, 'web');
  const b = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', 'web', '--outDir', webOut, '--logLevel', 'warn'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, VITE_CONFIG_NATIVE_IGNORE_WARNING: 'true' } });
  if (b.status !== 0) throw new Error(`vite build failed: ${b.stderr}${b.stdout}`);
  // the dump goes in with the CLI, before the server ever ran
  const store = path.join(tmp, 'store');
  const add = spawnSync(process.execPath, [BIN, 'add', await dumpPath('6.1', 'memory.kdump'), '--store', store, '--project', 'dev', '--machine', 'memq-dev', '--snapshot', 's1'], { encoding: 'utf8', env: { ...process.env, MEMQ_PROGRESS: '0' }, timeout: 300_000 });
  if (add.status !== 0) throw new Error(`memq add failed: ${add.stderr}`);
  server = await startServer({ store, port: 0, webDir: webOut, admin: { email: 'admin@e2e.test', password: 'admin-password' }, validateResponses: true });
  ctx = await chromium.launchPersistentContext(path.join(tmp, 'profile'), {
    executablePath,
    headless: true,
    acceptDownloads: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1400, height: 900 },
  });
  await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
  page = ctx.pages()[0] ?? (await ctx.newPage());
  page.setDefaultTimeout(30_000);
}, 20 * 60_000);

afterAll(async () => {
  await ctx?.close();
  await server?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test('CLI add → in the UI; hunt hit → process page with its evidence; report exports', async () => {
  const deleted = proc('deleted_exe');
  await page.goto(server.url + '/');
  await page.getByTestId('login-email').fill('admin@e2e.test');
  await page.getByTestId('login-password').fill('admin-password');
  await page.getByTestId('login-submit').click();
  await page.getByTestId('current-user').waitFor();

  // one store: the project memq add created is listed, its snapshot ready, nothing uploaded
  await page.getByTestId('project-list').getByRole('link', { name: 'dev', exact: true }).click();
  await page.getByTestId('project-title').getByText('dev').waitFor();
  const row = page.locator('[data-testid="snapshot-row"][data-status="ready"]');
  await row.waitFor();
  expect(await row.count()).toBe(1);
  expect(await row.textContent()).toContain(String(gt.kernel.release));
  await shots('20-one-store-cli-add');

  // a hunt on the playbooks page; the deleted executable's hit links to its process page
  await page.getByTestId('nav-playbooks').click();
  await page.getByTestId('run-playbooks').click();
  const link = page.locator(`[data-testid="process-link"][data-pid="${deleted.pid}"]`).first();
  await link.waitFor({ timeout: 90_000 });
  await link.click();
  const pp = page.getByTestId('process-page');
  await pp.waitFor();
  expect(await pp.getAttribute('data-pid')).toBe(String(deleted.pid));
  expect(await page.getByTestId('process-title').textContent()).toContain(deleted.task_comm);
  // the playbook that fired, with the evidence it matched on this process
  const hit = page.locator('[data-testid="process-hit"][data-playbook="linux-deleted-executable"]');
  await hit.waitFor();
  expect(await hit.getByTestId('hit-evidence').textContent()).toContain('exe_deleted=true');
  expect(await page.getByTestId('process-flags').textContent()).toContain('deleted_exe');
  // the process as /proc showed it: command line, parent, memory map, environment, open files
  expect(await page.getByTestId('process-cmdline').textContent()).toBe(deleted.cmdline.join(' '));
  expect(await page.getByTestId('process-ancestors').getByTestId('process-link').first().getAttribute('data-pid')).toBe(String(deleted.ppid));
  expect(await page.getByTestId('section-vma').locator('tbody tr').count()).toBe(deleted.maps.length);
  expect(await page.getByTestId('section-env_var').locator('tbody tr').count()).toBe(deleted.environ.length);
  const envText = await page.getByTestId('section-env_var').textContent();
  for (const kv of deleted.environ) expect(envText).toContain(kv.split('=')[0]);
  expect(await page.getByTestId('section-open_file').locator('tbody tr').count()).toBe(Object.keys(deleted.fds).length);
  await shots('21-process-page-from-hunt-hit');

  // copy as JSON: the same view the API returned
  await page.getByTestId('copy-json').click();
  await page.getByTestId('process-note').getByText('copied as JSON').waitFor();
  const copied = JSON.parse((await page.evaluate('navigator.clipboard.readText()')) as string);
  expect(copied.process_id).toBe(deleted.pid);
  expect(copied.hits.map((h: any) => h.playbook_id)).toContain('linux-deleted-executable');

  // find the executable in every snapshot (IOC search): found on this very process
  await page.getByTestId('find-exe').click();
  await page.getByTestId('exe-hit').first().waitFor({ timeout: 60_000 });
  const exeHits = await page.getByTestId('exe-hits').textContent();
  expect(exeHits).toContain(deleted.exe.replace(/ \(deleted\)$/, ''));
  expect(await page.getByTestId('exe-hits').locator(`[data-testid="process-link"][data-pid="${deleted.pid}"]`).count()).toBeGreaterThan(0);

  // the hunt as a report: HTML (self-contained, the process and its evidence) and PDF
  const [html] = await Promise.all([page.waitForEvent('download'), page.getByTestId('report-html').click()]);
  const htmlFile = path.join(tmp, 'report.html');
  await html.saveAs(htmlFile);
  const report = fs.readFileSync(htmlFile, 'utf8');
  expect(report).toContain(`pid ${deleted.pid} ${deleted.task_comm}`);
  expect(report).toContain('data-playbook="linux-deleted-executable"');
  expect(report).not.toMatch(/<(script|link|img)\b|\bsrc=/i);
  const [pdf] = await Promise.all([page.waitForEvent('download'), page.getByTestId('report-pdf').click()]);
  const pdfFile = path.join(tmp, 'report.pdf');
  await pdf.saveAs(pdfFile);
  const bytes = fs.readFileSync(pdfFile);
  expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  expect((bytes.toString('latin1').match(/\/Type\s*\/Page\b/g) ?? []).length).toBeGreaterThan(0);
  // the report as it reads (opened from the file: nothing to fetch)
  const back = page.url();
  await page.goto('file://' + htmlFile);
  await page.getByText(`pid ${deleted.pid} ${deleted.task_comm}`).first().waitFor();
  await shots('22-hunt-report');
  await page.goto(back);
  await page.getByTestId('process-page').waitFor();

  // the parent link keeps the hunt: pid 1's page lists its children as /proc did
  const hunt = await page.getByTestId('process-page').getByTestId('process-hits').locator('.muted').first().textContent();
  await page.getByTestId('process-ancestors').getByTestId('process-link').first().click();
  await page.locator(`[data-testid="process-page"][data-pid="${deleted.ppid}"]`).waitFor();
  const init = gt.processes.find((p: any) => p.pid === deleted.ppid);
  expect(await page.getByTestId('process-title').textContent()).toContain(init.task_comm);
  const kids = await page.getByTestId('process-children').getByTestId('process-link').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-pid'))));
  expect(kids.sort((a, b) => a - b)).toEqual(gt.processes.filter((p: any) => p.ppid === init.pid).map((p: any) => p.pid).sort((a: number, b: number) => a - b));
  expect(await page.getByTestId('process-hits').locator('.muted').first().textContent()).toBe(hunt);
  await page.goBack();
  await page.locator(`[data-testid="process-page"][data-pid="${deleted.pid}"]`).waitFor();

  // query this process: the query page opens scoped to this snapshot with a query naming the pid
  await page.getByTestId('query-process').click();
  await page.waitForURL(/#\/query/);
  expect(await page.evaluate(`sessionStorage.getItem('memq.query')`)).toBe(`process.process_object.process_id == ${deleted.pid}`);
  expect(JSON.parse((await page.evaluate(`sessionStorage.getItem('memq.scope')`)) as string)).toEqual({ snapshot_ids: ['s1'] });
}, 300_000);
