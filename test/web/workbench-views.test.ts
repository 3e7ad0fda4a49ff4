// End-to-end (#15) for the workbench views in Debian's headless Chromium (browser.ts) against
// `memq serve` internals on a temp store holding the real dev kdump (uploaded through the API): the
// wall-clock timeline (marks checked against the guest's /proc start times and bash history
// timestamps; zoom, brush, a mark opens its process), the ATT&CK matrix of a hunt (tactics in MITRE's
// order and names, the deleted-executable playbook's technique cell and its hit labelled with machine
// and snapshot; the hunt's report downloaded from the playbooks page), the process tree's folding, the
// fleet overview's hit counts (the server's, the same after a reload and in a new browser), the query
// page's scope from a snapshot and a stored finding's report, readable audit entries, the navigation at 900 px and visible keyboard focus.
// Screenshots of every page at 1400 and 900 px go to test-output/web/. Expected values come from
// ground-truth.json, the playbook YAML and the bundled ATT&CK table.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startServer, type RunningServer } from '../../lib/api/server';
import { tactics as attackTactics, technique } from '../../lib/hunt/attack';
import { loadPlaybooks } from '../../lib/hunt/loader';
import { dumpPath, groundTruth } from '../support/dumps';
import { ensureChromium } from './browser';

const ROOT = path.resolve(__dirname, '../..');
const SHOTS = path.join(ROOT, 'test-output', 'web');
const gt = groundTruth('6.1');
type GtProc = { pid: number; ppid: number; start_time: number; task_comm: string; is_kernel_thread: boolean };
const gtProcs = (gt as unknown as { processes: GtProc[] }).processes;
const history = (gt as unknown as { shell_history: { pid: number; entries: { timestamp: number; command: string }[] } }).shell_history;

let server: RunningServer;
let ctx: BrowserContext;
let page: Page;
let tmp: string;
let snapshotId: string;

/** Screenshots at 1400 and 900 px wide; at both widths the page must not scroll sideways (wide content scrolls in its own box). */
async function shots(name: string, checkWidth = true): Promise<void> {
  for (const width of [1400, 900]) {
    await page.setViewportSize({ width, height: 900 });
    await page.waitForTimeout(150); // let ResizeObserver-driven charts re-layout
    await page.screenshot({ path: path.join(SHOTS, `views-${name}-${width}.png`), fullPage: true });
    if (checkWidth) expect([name, width, await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')]).toEqual([name, width, 0]);
  }
  await page.setViewportSize({ width: 1400, height: 900 });
}

/** Clicks a download button and returns the downloaded file's text (saved under the test's temp folder). */
async function downloaded(testId: string, name: string, p: Page = page): Promise<Buffer> {
  const [d] = await Promise.all([p.waitForEvent('download'), p.getByTestId(testId).click()]);
  const file = path.join(tmp, name);
  await d.saveAs(file);
  return fs.readFileSync(file);
}

/** The README's pictures (docs/*.png are copies): the top of the page at 1200 px, viewport only. */
async function readmeShot(name: string): Promise<void> {
  await page.setViewportSize({ width: 1200, height: 760 });
  await page.waitForTimeout(150);
  await page.screenshot({ path: path.join(SHOTS, `readme-${name}.png`) });
  await page.setViewportSize({ width: 1400, height: 900 });
}

async function call<T = any>(method: string, p: string, body?: unknown, token?: string): Promise<T> {
  const r = await fetch(`${server.url}/api/v1${p}`, { method, headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${p}: HTTP ${r.status} ${text.slice(0, 300)}`);
  return (text ? JSON.parse(text) : null) as T;
}

beforeAll(async () => {
  const executablePath = ensureChromium();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-e2e-views-'));
  fs.mkdirSync(SHOTS, { recursive: true });
  const webOut = path.join(tmp, 'web');
  const b = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', 'web', '--outDir', webOut, '--logLevel', 'error'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, VITE_CONFIG_NATIVE_IGNORE_WARNING: 'true' } });
  if (b.status !== 0) throw new Error(`vite build failed: ${b.stderr}${b.stdout}`);
  server = await startServer({ store: path.join(tmp, 'store'), port: 0, webDir: webOut, admin: { email: 'admin@e2e.test', password: 'admin-password' }, validateResponses: true });
  // the dev kdump goes in through the same API the upload page uses
  const { token } = await call<{ token: string }>('POST', '/auth/login', { email: 'admin@e2e.test', password: 'admin-password' });
  const project = await call('POST', '/projects', { name: 'incident-7' }, token);
  const dump = await dumpPath('6.1', 'memory.kdump');
  const reg = await call('POST', '/snapshots', { project_id: project.id, machine_name: 'memq-dev', dump_name: path.basename(dump), size: fs.statSync(dump).size, classification: 'AMBER' }, token);
  const put = await fetch(server.url + reg.upload.url, { method: 'PUT', headers: { authorization: `Bearer ${token}` }, body: fs.readFileSync(dump) });
  if (!put.ok) throw new Error(`upload: HTTP ${put.status}`);
  snapshotId = reg.snapshot.id;
  for (let i = 0; ; i++) {
    const s = await call('GET', `/snapshots/${snapshotId}`, undefined, token);
    if (s.status === 'ready') break;
    if (s.status === 'failed' || i > 600) throw new Error(`analysis did not finish: ${s.status} ${s.error}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  ctx = await chromium.launchPersistentContext(path.join(tmp, 'profile'), {
    executablePath,
    headless: true,
    acceptDownloads: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1400, height: 900 },
  });
  page = ctx.pages()[0] ?? (await ctx.newPage());
  page.setDefaultTimeout(30_000);
  await page.goto(server.url + '/');
  await shots('00-sign-in');
  await page.getByTestId('login-email').fill('admin@e2e.test');
  await page.getByTestId('login-password').fill('admin-password');
  await page.getByTestId('login-submit').click();
  await page.getByTestId('current-user').waitFor();
}, 20 * 60_000);

afterAll(async () => {
  await ctx?.close();
  await server?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test('snapshot: titled by machine and id, OS once; process tree folds kernel threads and marks flagged branches', async () => {
  await page.goto(`${server.url}/#/snapshots/${snapshotId}`);
  await page.getByTestId('process-tree').waitFor();
  expect(await page.getByTestId('snapshot-title').textContent()).toBe(`memq-dev / ${snapshotId.replace(/^snp_/, '').slice(0, 10)}`);
  const sub = (await page.getByTestId('snapshot-subtitle').textContent())!;
  expect(sub).toContain(`Linux ${gt.kernel.release}`);
  expect(sub.toLowerCase().match(/linux/g)!.length).toBe(1);

  const kthreadd = gtProcs.find((p) => p.task_comm === 'kthreadd')!;
  const underKthreadd = gtProcs.filter((p) => p.ppid === kthreadd.pid);
  const shownPids = async () => (await page.getByTestId('tree-row').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-pid')))));
  // folded by default: kthreadd is shown, none of its kernel threads
  let pids = await shownPids();
  expect(pids).toContain(kthreadd.pid);
  for (const k of underKthreadd) expect(pids).not.toContain(k.pid);
  // every user process of the guest is visible, and init's branch is marked (flagged processes below it)
  for (const p of gtProcs.filter((x) => !x.is_kernel_thread)) expect(pids).toContain(p.pid);
  const init = page.locator('[data-testid="tree-row"][data-pid="1"]');
  expect(await init.getByTestId('flagged-branch').count()).toBe(1);
  expect(await page.locator(`[data-testid="tree-row"][data-pid="${kthreadd.pid}"]`).getByTestId('flagged-branch').count()).toBe(0);
  for (const role of ['deleted_exe', 'fake_kthread', 'evil_miner'] as const) expect(await page.locator(`[data-testid="tree-row"][data-pid="${gt.roles[role]}"]`).getAttribute('class')).toContain('flagged');
  await shots('01-snapshot-process-tree');
  // unfold kthreadd: its kernel threads appear under it
  await page.locator(`[data-testid="tree-row"][data-pid="${kthreadd.pid}"]`).getByTestId('tree-toggle').click();
  pids = await shownPids();
  for (const k of underKthreadd) expect(pids).toContain(k.pid);
  expect(await page.locator(`[data-testid="tree-row"][data-pid="${kthreadd.pid}"]`).getByTestId('tree-toggle').getAttribute('aria-expanded')).toBe('true');
  // fold init with the keyboard: focus its toggle, Enter → only the roots remain
  await page.locator('[data-testid="tree-row"][data-pid="1"]').getByTestId('tree-toggle').focus();
  await page.keyboard.press('Enter');
  pids = await shownPids();
  expect(pids).not.toContain(gt.roles.agetty);
  await page.getByTestId('tree-fold-kernel').click();
  await page.getByTestId('tab-flags').click();
  await shots('02-snapshot-flags');
  await page.getByTestId('tab-modules').click();
  await shots('03-snapshot-modules');
}, 120_000);

test('timeline: wall-clock marks match the guest’s start times and bash history; zoom, brush, a mark opens its process', async () => {
  await page.goto(`${server.url}/#/snapshots/${snapshotId}`);
  await page.getByTestId('tab-timeline').click();
  const chart = page.getByTestId('timeline-chart');
  await chart.waitFor();
  const marks = async (lane: string) =>
    page.locator(`[data-testid="timeline-mark"][data-lane="${lane}"]`).evaluateAll((els) => els.map((e) => ({ pid: Number(e.getAttribute('data-pid')), t: Date.parse(e.getAttribute('data-time')!) })));
  const procs = await marks('process');
  const at = (pid: number) => procs.find((m) => m.pid === pid)!.t;
  // /proc start_time is in clock ticks (1/100 s) since boot: differences between processes must agree
  const init = gtProcs.find((p) => p.pid === 1)!;
  for (const role of ['agetty', 'evil_miner', 'deleted_exe', 'shell'] as const) {
    const p = gtProcs.find((x) => x.pid === gt.roles[role])!;
    expect(Math.abs(at(p.pid) - at(1) - (p.start_time - init.start_time) * 10)).toBeLessThanOrEqual(10);
  }
  // the boot the chart uses puts init at its start_time after boot
  const boot = Date.parse((await chart.getAttribute('data-boot'))!);
  expect(Math.abs(at(1) - boot - init.start_time * 10)).toBeLessThanOrEqual(10);
  // shell history marks are the bash timestamps themselves (wall clock, to the second)
  const shell = await marks('shell');
  expect(shell.map((m) => m.t).sort((a, b) => a - b)).toEqual(history.entries.map((e) => e.timestamp * 1000).sort((a, b) => a - b));
  // and the two clocks agree: the shell started before its first command, within the capture's minute
  const firstCmd = Math.min(...history.entries.map((e) => e.timestamp * 1000));
  expect(at(history.pid)).toBeLessThan(firstCmd);
  expect(firstCmd - at(history.pid)).toBeLessThan(120_000);
  // kernel log lines are placed too (the Linux banner is the first record)
  expect((await marks('kernel')).length).toBeGreaterThan(0);
  expect(await page.getByTestId('timeline').textContent()).toContain(gt.kernel.release);
  await shots('04-snapshot-timeline');
  await readmeShot('timeline');

  // zoom in: the view narrows (fewer marks in it); reset shows all again
  const total = await page.getByTestId('timeline-mark').count();
  for (let i = 0; i < 4; i++) await page.getByTestId('timeline-zoom-in').click();
  expect(await page.getByTestId('timeline-mark').count()).toBeLessThan(total);
  await page.getByTestId('timeline-reset').click();
  expect(await page.getByTestId('timeline-mark').count()).toBe(total);
  // brush the shell-history stretch on the overview strip: only marks in that range remain, the history among them
  const brush = page.getByTestId('timeline-brush');
  const box = (await brush.boundingBox())!;
  const [from, to] = (await brush.getAttribute('data-bounds'))!.split(',').map(Number) as [number, number];
  const [plotX, plotW] = (await brush.getAttribute('data-plot'))!.split(',').map(Number) as [number, number];
  const x0 = box.x + plotX + ((firstCmd - 500 - from) / (to - from)) * plotW;
  await page.mouse.move(x0, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width - 2, box.y + box.height / 2, { steps: 5 });
  await page.mouse.up();
  const inView = await marks('shell');
  expect(inView.length).toBe(history.entries.length);
  expect(await page.getByTestId('timeline-mark').count()).toBeLessThan(total);
  expect((await marks('process')).every((m) => m.t >= firstCmd - 1500)).toBe(true);
  await shots('05-snapshot-timeline-brushed');
  // a process mark opens the process page
  await page.getByTestId('timeline-reset').click();
  // (marks of processes started within milliseconds overlap: reach this one with the keyboard)
  await page.locator(`[data-testid="timeline-mark"][data-lane="process"][data-pid="${gt.roles.evil_miner}"]`).focus();
  await page.keyboard.press('Enter');
  await page.waitForURL(new RegExp(`#/snapshots/${snapshotId}/processes/${gt.roles.evil_miner}$`));
}, 120_000);

test('ATT&CK matrix: tactics in matrix order and names; the deleted-executable technique cell opens its hit with machine and snapshot', async () => {
  const playbook = loadPlaybooks().find((p) => p.id === 'linux-deleted-executable')!;
  const techId = playbook.attack[0]!;
  await page.goto(`${server.url}/#/playbooks`);
  await page.getByTestId('playbook-list').waitFor();
  await page.getByTestId('run-playbooks').click();
  const matrix = page.getByTestId('attack-matrix');
  await matrix.waitFor({ timeout: 120_000 });
  const heads = await page.getByTestId('matrix-tactic').evaluateAll((els) => els.map((e) => e.getAttribute('data-tactic')!));
  const order = attackTactics.map((t) => t.shortname);
  expect(heads.map((h) => order.indexOf(h))).toEqual([...heads.map((h) => order.indexOf(h))].sort((a, b) => a - b));
  expect(heads.every((h) => order.includes(h))).toBe(true);
  const de = page.locator('[data-testid="matrix-tactic"][data-tactic="defense-evasion"]');
  expect(await de.textContent()).toContain('Defense Evasion');
  const cell = de.locator(`[data-testid="matrix-cell"][data-technique="${techId}"]`);
  expect(await cell.textContent()).toContain(technique(techId).name);
  expect(Number(await cell.getAttribute('data-count'))).toBeGreaterThan(0);
  expect(await cell.getAttribute('data-severity')).toBe(playbook.severity);
  // a technique no playbook matched on this Linux dump stays white: PowerShell (Windows only)
  expect(await page.locator('[data-testid="matrix-cell"][data-technique="T1059.001"]').first().getAttribute('data-count')).toBe('0');
  await cell.click();
  const hits = page.getByTestId('matrix-hits');
  await hits.waitFor();
  const row = hits.locator(`[data-testid="matrix-hit"][data-playbook="${playbook.id}"]`).getByTestId('matrix-hit-row').first();
  const text = (await row.textContent())!;
  expect(text).toContain(`memq-dev / ${snapshotId.replace(/^snp_/, '').slice(0, 10)}`);
  expect(text).toContain(`pid ${gt.roles.deleted_exe}`);
  await shots('06-hunt-attack-matrix');
  await readmeShot('attack-matrix');
  // the hunt downloads as a report from here: the HTML names the processes it found, with their playbooks
  const deleted = gtProcs.find((x) => x.pid === gt.roles.deleted_exe)!;
  const fake = gtProcs.find((x) => x.pid === gt.roles.fake_kthread)!;
  const report = (await downloaded('hunt-report-html', 'hunt-report.html')).toString('utf8');
  expect(report).toContain(`pid ${deleted.pid} ${deleted.task_comm}`);
  expect(report).toContain(`pid ${fake.pid} ${fake.task_comm}`);
  expect(report).toContain(`data-playbook="${playbook.id}"`);
  expect(report).toContain('data-tlp="AMBER"');
  expect(report).not.toMatch(/<(script|link|img)\b|\bsrc=/i);
  expect((await downloaded('hunt-report-pdf', 'hunt-report.pdf')).subarray(0, 5).toString('latin1')).toBe('%PDF-');
  // the hit's pid opens the process page with the hunt
  await row.getByTestId('process-link').click();
  await page.waitForURL(new RegExp(`#/snapshots/${snapshotId}/processes/${gt.roles.deleted_exe}\\?hunt=`));
}, 180_000);

test('fleet overview counts the latest hunt’s hits per snapshot as the server keeps them (after a reload, in a new browser); the query page opens on the snapshot it came from; a finding downloads as a report', async () => {
  await page.goto(`${server.url}/#/projects`);
  await page.getByTestId('fleet').waitFor();
  const row = page.locator('[data-testid="snapshot-row"][data-machine="memq-dev"]').first();
  await page.getByTestId('hunt-project').click();
  // (the playbooks page's hunt already left counts: wait for this hunt to finish)
  await page.getByTestId('hunt-project').getByText('Hunt project').waitFor({ timeout: 120_000 });
  await page.locator('[data-testid="fleet-hits"]:not([data-hits=""])').first().waitFor();
  // the count is the distinct hit rows of that hunt, as the API reports them for this snapshot
  const { token } = await call<{ token: string }>('POST', '/auth/login', { email: 'admin@e2e.test', password: 'admin-password' });
  const apiHuntStarted = Date.now();
  let job = await call('POST', '/hunts', { scope: { snapshot_ids: [snapshotId] } }, token);
  while (job.status === 'running') job = await (new Promise((r) => setTimeout(r, 300)).then(() => call('GET', `/hunts/${job.id}`, undefined, token)));
  const distinct = new Set(job.result.hits.flatMap((h: { playbook_id: string; rows: unknown[] }) => h.rows.map((r) => `${h.playbook_id}\0${JSON.stringify(r)}`))).size;
  expect(Number(await row.getByTestId('fleet-hits').getAttribute('data-hits'))).toBe(distinct);
  // the guest's deleted executable alone makes it non-zero
  expect(job.result.hits.some((h: { playbook_id: string }) => h.playbook_id === 'linux-deleted-executable')).toBe(true);
  expect(await row.getByTestId('snapshot-status').textContent()).toBe('ready');
  // the counts are the server's: after a reload the grid shows the latest hunt over the snapshot — the
  // one just run through the API, not in this browser — with its id and when it finished
  await page.reload();
  const cell = page.locator(`[data-testid="snapshot-row"][data-machine="memq-dev"] [data-testid="fleet-hits"][data-hunt="${job.id}"]`);
  await cell.waitFor();
  expect(Number(await cell.getAttribute('data-hits'))).toBe(distinct);
  expect(Date.parse((await cell.getAttribute('data-at'))!)).toBeGreaterThanOrEqual(apiHuntStarted);
  expect(await cell.getByTestId('fleet-hunt').textContent()).toContain(job.id.replace(/^hunt_/, '').slice(0, 10));
  await shots('07-project-fleet');
  // a browser that never ran a hunt (new profile: no local storage) sees the same counts
  const other = await chromium.launch({ executablePath: ensureChromium(), headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  try {
    const p2 = await (await other.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
    p2.setDefaultTimeout(30_000);
    await p2.goto(server.url + '/');
    await p2.getByTestId('login-email').fill('admin@e2e.test');
    await p2.getByTestId('login-password').fill('admin-password');
    await p2.getByTestId('login-submit').click();
    await p2.getByTestId('current-user').waitFor();
    await p2.goto(`${server.url}/#/projects`);
    const cell2 = p2.locator('[data-testid="snapshot-row"][data-machine="memq-dev"] [data-testid="fleet-hits"]');
    await p2.locator(`[data-testid="snapshot-row"][data-machine="memq-dev"] [data-testid="fleet-hits"][data-hunt="${job.id}"]`).waitFor();
    expect(Number(await cell2.getAttribute('data-hits'))).toBe(distinct);
    expect(await p2.evaluate('localStorage.getItem("memq.hunt-counts")')).toBeNull();
  } finally {
    await other.close();
  }

  await row.getByRole('link').click();
  await page.getByTestId('query-snapshot').click();
  await page.getByTestId('query-editor').waitFor();
  await page.locator(`[data-testid="scope"] option[value="s:${snapshotId}"]`).waitFor({ state: 'attached' });
  expect(await page.getByTestId('scope').inputValue()).toBe(`s:${snapshotId}`);
  // highlighting, completion at the cursor (above the grid, not under the error box), stale result dimmed on error
  await page.getByTestId('query-editor').fill('process.process_object.name == "agetty"');
  await page.getByTestId('run-query').click();
  await page.getByTestId('grid-row').first().waitFor();
  expect(await page.getByTestId('query-highlight').locator('.tok-field').first().textContent()).toBe('name');
  await page.getByTestId('save-name').fill('gettys');
  await page.getByTestId('save-query').click();
  await page.getByTestId('saved-chip').getByText('gettys').waitFor();
  const editor = page.getByTestId('query-editor');
  await editor.fill('process.process_object.name == "agetty" &&\n');
  await editor.press('End');
  await editor.pressSequentially('process.vad');
  const comp = page.getByTestId('completion');
  await comp.waitFor();
  const cBox = (await comp.boundingBox())!;
  const eBox = (await editor.boundingBox())!;
  expect(cBox.y).toBeGreaterThan(eBox.y + 20); // below the second line, inside/just under the editor
  expect(cBox.y).toBeLessThan(eBox.y + eBox.height);
  await shots('08-query-completion');
  await editor.fill('process.process_object.nme == "agetty"');
  await page.getByTestId('query-error').waitFor();
  await page.locator('[data-testid="query-result"][data-stale="true"]').waitFor();
  await shots('09-query-error-stale');
  // saved query: one click runs it, the result is current again
  await page.getByTestId('saved-chip').getByText('gettys').click();
  await page.locator('[data-testid="query-result"][data-stale="false"]').waitFor();
  expect(await page.getByTestId('grid-row').first().textContent()).toContain(String(gt.roles.agetty));
  // stored as a finding, it downloads as a report naming the process it holds
  page.once('dialog', (d) => void d.accept('gettys finding'));
  await page.getByTestId('store-finding').click();
  const finding = page.getByTestId('finding').filter({ hasText: 'gettys finding' });
  await finding.waitFor();
  const [d] = await Promise.all([page.waitForEvent('download'), finding.getByTestId('finding-report-html').click()]);
  const file = path.join(tmp, 'finding-report.html');
  await d.saveAs(file);
  const html = fs.readFileSync(file, 'utf8');
  const agetty = gtProcs.find((x) => x.pid === gt.roles.agetty)!;
  expect(html).toContain(`pid ${agetty.pid} ${agetty.task_comm}`);
  expect(html).toContain('process.process_object.name == &quot;agetty&quot;');
  expect(html).not.toMatch(/<(script|link|img)\b|\bsrc=/i);
  await page.getByTestId('finding-report-note').getByText('downloaded (HTML)').waitFor();
}, 300_000);

test('audit, IOC and shared pages read well; the navigation fits 900 px; keyboard focus is visible', async () => {
  await page.goto(`${server.url}/#/audit`);
  await page.getByTestId('audit-entry').first().waitFor();
  const audit = (await page.getByTestId('audit-log').textContent())!;
  expect(audit).toContain('uploaded a snapshot: memory.kdump');
  expect(audit).toContain('ran a hunt');
  expect(audit).not.toContain('{'); // no raw JSON
  await shots('10-audit');
  await page.goto(`${server.url}/#/ioc`);
  await page.getByTestId('ioc-input').fill('10.9.8.7');
  await page.getByTestId('ioc-search').click();
  await page.getByTestId('ioc-hit').first().waitFor();
  expect(await page.getByTestId('ioc-results').textContent()).toContain(`memq-dev / ${snapshotId.replace(/^snp_/, '').slice(0, 10)}`);
  await shots('11-ioc');
  await page.goto(`${server.url}/#/shared`);
  await page.getByTestId('shared-list').waitFor();
  await shots('12-shared');
  await page.goto(`${server.url}/#/snapshots/${snapshotId}/processes/${gt.roles.evil_miner}`);
  await page.waitForTimeout(1000);
  await shots('13-process-page', false); // the process page is tested in workbench-process.e2e.test.ts

  // 900 px: the header keeps one line and every nav item is fully visible
  await page.setViewportSize({ width: 900, height: 700 });
  await page.goto(`${server.url}/#/projects`);
  await page.getByTestId('fleet').waitFor();
  const header = await page.evaluate(`(() => {
    const h = document.querySelector('.shell header');
    const nav = h.querySelector('nav');
    const items = [...nav.querySelectorAll('a')].map((a) => a.getBoundingClientRect());
    const tops = new Set(items.map((r) => Math.round(r.top)));
    return { height: h.getBoundingClientRect().height, rows: tops.size, overflow: nav.scrollWidth - nav.clientWidth, right: Math.max(...items.map((r) => r.right)), width: window.innerWidth, docOverflow: document.documentElement.scrollWidth - window.innerWidth };
  })()`) as { height: number; rows: number; overflow: number; right: number; width: number; docOverflow: number };
  expect(header.rows).toBe(1);
  expect(header.height).toBeLessThanOrEqual(56);
  expect(header.overflow).toBeLessThanOrEqual(0);
  expect(header.right).toBeLessThanOrEqual(header.width);
  expect(header.docOverflow).toBeLessThanOrEqual(0);
  // keyboard: Tab from the top reaches the nav links, and the focused one shows an outline
  await page.reload(); // sequential focus starts at the top of a fresh page
  await page.getByTestId('fleet').waitFor();
  let focused = '';
  for (let i = 0; i < 5 && !focused.startsWith('nav-'); i++) {
    await page.keyboard.press('Tab');
    focused = (await page.evaluate('document.activeElement && document.activeElement.getAttribute("data-testid") || ""')) as string;
  }
  expect(focused).toMatch(/^nav-/);
  const outline = (await page.evaluate('getComputedStyle(document.activeElement).outlineStyle + " " + getComputedStyle(document.activeElement).outlineWidth')) as string;
  expect(outline).toMatch(/^solid [1-9]/);
  await page.keyboard.press('Enter');
  await page.waitForURL(new RegExp(`#/${focused.slice(4)}`));
  await page.setViewportSize({ width: 1400, height: 900 });
}, 120_000);
