// End-to-end: the built web UI in Debian's headless Chromium (playwright-core, /usr/bin/chromium,
// installed by the test itself when missing: see browser.ts) against `memq serve` internals
// (startServer) on a temp store. Uploads the real dev kdump, waits for analysis, opens the overview, runs the seed query and sees agetty, runs the playbooks and
// sees hits, shares the snapshot with a second user who then sees it, with its classification shown.
// Screenshots go to test-output/web/. Expected values come from the guest's ground-truth.json.
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

// browser globals used inside page functions (the test's own TypeScript has no DOM types)
declare const DataTransfer: new () => { items: { add(f: unknown): void } };
declare const File: new (parts: unknown[], name: string) => unknown;
declare const atob: (s: string) => string;

let server: RunningServer;
let ctx: BrowserContext;
let page: Page;
let tmp: string;

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

async function signIn(email: string, password: string): Promise<void> {
  await page.goto(server.url + '/');
  await page.getByTestId('login-email').fill(email);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('current-user').waitFor();
}

beforeAll(async () => {
  const executablePath = ensureChromium();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-e2e-'));
  fs.mkdirSync(SHOTS, { recursive: true });
  // build the UI exactly as `npm run build:web` does, into a temp folder (no network)
  const webOut = path.join(tmp, 'web');
  const b = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', 'web', '--outDir', webOut, '--logLevel', 'warn'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, VITE_CONFIG_NATIVE_IGNORE_WARNING: 'true' } });
  if (b.status !== 0) throw new Error(`vite build failed: ${b.stderr}${b.stdout}`);
  server = await startServer({ store: path.join(tmp, 'store'), port: 0, webDir: webOut, admin: { email: 'admin@e2e.test', password: 'admin-password' }, validateResponses: true });
  const admin = await server.platform.subject((await server.platform.repo.find('user', 'email', 'admin@e2e.test'))[0]!);
  await server.platform.createUser(admin, { email: 'bob@e2e.test', name: 'Bob', password: 'bob-password' });
  ctx = await chromium.launchPersistentContext(path.join(tmp, 'profile'), {
    executablePath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1400, height: 900 },
  });
  page = ctx.pages()[0] ?? (await ctx.newPage());
  page.setDefaultTimeout(30_000);
}, 20 * 60_000); // a first run may install Chromium with apt-get

afterAll(async () => {
  await ctx?.close();
  await server?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test('upload → analysis → overview → seed query → playbooks → share with a second user', async () => {
  const gt = groundTruth('6.1');
  const dump = await dumpPath('6.1', 'memory.kdump');

  // sign in (first-run admin) and create a project
  await signIn('admin@e2e.test', 'admin-password');
  await page.getByTestId('new-project-name').fill('incident-1');
  await page.getByTestId('create-project').click();
  await page.getByTestId('project-title').getByText('incident-1').waitFor();

  // upload the real dump by dropping it on the drop zone (a DataTransfer holding the file's bytes)
  await page.getByTestId('upload-machine').fill('memq-dev');
  await page.getByTestId('upload-tlp').selectOption('AMBER');
  const dataTransfer = await page.evaluateHandle(
    ([b64, name]) => {
      const bin = atob(b64);
      const bytes = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], name));
      return dt;
    },
    [fs.readFileSync(dump).toString('base64'), path.basename(dump)] as const,
  );
  await page.getByTestId('dropzone').dispatchEvent('dragover', { dataTransfer });
  await page.getByTestId('dropzone').dispatchEvent('drop', { dataTransfer });
  await dataTransfer.dispose();
  const row = page.getByTestId('snapshot-row').first();
  await row.waitFor();
  await page.locator('[data-testid="snapshot-row"][data-status="ready"]').waitFor({ timeout: 90_000 });
  expect(await row.getByTestId('snapshot-status').textContent()).toBe('ready');
  expect(await row.getByTestId('tlp-badge').textContent()).toBe('TLP:AMBER');
  await shot('01-project-snapshot-ready');

  // overview: the process tree holds the scenario processes
  await row.getByRole('link').click();
  await page.getByTestId('process-tree').getByText('agetty', { exact: true }).waitFor();
  const treeText = await page.getByTestId('process-tree').textContent();
  for (const role of ['agetty', 'evil_miner', 'fake_kthread'] as const) {
    const p = gt.processes.find((x) => x.pid === gt.roles[role])!;
    expect(treeText).toContain(p.task_comm);
  }
  expect(await page.getByTestId('snapshot-page').getByTestId('tlp-badge').first().textContent()).toBe('TLP:AMBER');
  await shot('02-overview-process-tree');
  await page.getByTestId('tab-flags').click();
  const flags = await page.getByTestId('flags').textContent();
  expect(flags).toContain('deleted_exe');
  expect(flags).toContain('kernel_thread_name');
  await shot('03-overview-flags');
  await page.getByTestId('tab-timeline').click();
  expect(await page.getByTestId('timeline').textContent()).toContain('evil-miner');
  const snapshotUrl = page.url();

  // query: completion from the catalog, inline error with position, then the seed query finds agetty
  await page.getByTestId('nav-query').click();
  const editor = page.getByTestId('query-editor');
  await editor.fill('');
  await editor.pressSequentially('process.proc');
  await page.getByTestId('completion').waitFor();
  expect(await page.getByTestId('completion').textContent()).toContain('process_object');
  await editor.fill('process.process_object.parent_proces_id == 1');
  await page.getByTestId('query-error').waitFor();
  expect(await page.getByTestId('query-error-message').textContent()).toMatch(/line 1, column 24.*parent_process_id/);
  await shot('04-query-inline-error');
  await editor.fill('process.process_object.parent_process_id == 1 &&\nprocess.vad_object.file_name == "/usr/sbin/agetty"');
  await page.getByTestId('query-error').waitFor({ state: 'detached' });
  await page.getByTestId('run-query').click();
  await page.getByTestId('grid-row').first().waitFor();
  expect(await page.getByTestId('grid-count').textContent()).toBe('1 rows');
  const resultRow = await page.getByTestId('grid-row').first().textContent();
  expect(resultRow).toContain('agetty');
  expect(resultRow).toContain(String(gt.roles.agetty));
  await shot('05-query-seed-agetty');
  await page.getByTestId('save-name').fill('getty parent check');
  await page.getByTestId('save-query').click();
  await page.getByTestId('saved-queries').getByText('getty parent check').waitFor();

  // playbooks: run all over everything readable, hits grouped by tactic with the scenario processes
  await page.getByTestId('nav-playbooks').click();
  await page.getByTestId('playbook-list').waitFor();
  await page.getByTestId('run-playbooks').click();
  await page.getByTestId('hunt-summary').waitFor({ timeout: 60_000 });
  const hitsText = await page.getByTestId('hunt-results').textContent();
  expect(await page.locator('[data-testid="hunt-hit"][data-playbook="linux-deleted-executable"]').count()).toBeGreaterThan(0);
  expect(hitsText).toContain(`pid ${gt.roles.deleted_exe}`);
  await shot('06-playbook-hits');

  // a custom playbook: the server's validation message shows in the form; once valid it is listed with its badge
  const pbYaml = ['id: getty-from-init', 'title: Getty started by init', 'description: e2e', 'attack: [T1059]', 'severity: low', 'platform: linux', 'queries:', '  - process.process_object.name == "agetty"'].join('\n');
  await page.getByTestId('new-playbook').click();
  await page.getByTestId('playbook-yaml').fill(pbYaml.replace('severity: low', 'severity: urgent'));
  await page.getByTestId('playbook-create').click();
  expect(await page.getByTestId('playbook-error').textContent()).toMatch(/playbook field severity/);
  await page.getByTestId('playbook-yaml').fill(pbYaml);
  await page.getByTestId('playbook-tlp').selectOption('RED');
  await page.getByTestId('playbook-create').click();
  const custom = page.getByTestId('custom-playbook').first();
  await custom.waitFor();
  expect(await custom.getByTestId('tlp-badge').textContent()).toBe('TLP:RED');
  await custom.getByTestId('share-playbook').click();
  await page.getByTestId('share-dialog').waitFor();
  await shot('06b-custom-playbook-share');
  await page.getByTestId('share-close').click();

  // IOC search: the miner's pool address is found in its command line (pid from ground truth)
  await page.getByTestId('nav-ioc').click();
  await page.getByTestId('ioc-input').fill('10.9.8.7');
  await page.getByTestId('ioc-search').click();
  await page.getByTestId('ioc-hit').first().waitFor();
  const iocText = await page.getByTestId('ioc-results').textContent();
  expect(iocText).toContain('process.command_line');
  expect(iocText).toContain(`process_id=${gt.roles.evil_miner}`);
  await shot('07-ioc-search');

  // share the snapshot with Bob and reclassify it; the badge follows
  await page.goto(snapshotUrl);
  await page.getByTestId('open-share').click();
  await page.getByTestId('share-tlp').selectOption('AMBER+STRICT');
  await page.getByTestId('share-tags').fill('ir-2026-11');
  await page.getByTestId('share-classify').click();
  await page.getByTestId('share-note').getByText('classification saved').waitFor();
  await page.getByTestId('share-email').fill('bob@e2e.test');
  await page.getByTestId('share-user').click();
  await page.getByTestId('share-list').getByText('bob@e2e.test').waitFor();
  await shot('08-share-dialog');
  await page.getByTestId('share-close').click();
  await page.getByTestId('snapshot-page').getByText('TLP:AMBER+STRICT').first().waitFor();

  // Bob signs in: the snapshot is in "Shared with me" with its classification, and opens
  await page.getByTestId('sign-out').click();
  await signIn('bob@e2e.test', 'bob-password');
  await page.getByTestId('nav-shared').click();
  const item = page.getByTestId('shared-item').first();
  await item.waitFor();
  expect(await item.getByTestId('tlp-badge').textContent()).toBe('TLP:AMBER+STRICT');
  expect(await item.textContent()).toContain('ir-2026-11');
  await shot('09-bob-shared-with-me');
  await item.getByRole('link').click();
  await page.getByTestId('process-tree').getByText('agetty', { exact: true }).waitFor();
  await shot('10-bob-sees-snapshot');
  // Bob only reads: no share button for him
  expect(await page.getByTestId('open-share').count()).toBe(0);
  // the TLP:RED custom playbook was not shared with Bob: his library does not list it
  await page.getByTestId('nav-playbooks').click();
  await page.getByTestId('playbook-list').getByText('linux-deleted-executable', { exact: true }).waitFor();
  expect(await page.getByTestId('custom-playbook').count()).toBe(0);
}, 180_000);

test('the result grid stays virtualized with 100k rows: sort, scroll and filter work', async () => {
  await page.goto(`${server.url}/#/grid-bench/100000`);
  await page.getByTestId('grid-count').getByText('100000 rows').waitFor();
  // only the visible window is in the DOM
  expect(await page.getByTestId('grid-row').count()).toBeLessThan(200);
  await page.getByTestId('grid-sort-port').click();
  await page.getByTestId('grid-sort-port').getByText('▲').waitFor();
  // scroll far down in jumps (runs in the page: a string, the test's own TypeScript has no DOM types);
  // the DOM keeps holding only the visible window, and that window shows rows from deep in the data
  const scroll = (await page.evaluate(`(async () => {
    const el = document.querySelector('.grid-scroll');
    for (let i = 1; i <= 30; i++) {
      el.scrollTop = i * 60000;
      await new Promise((r) => requestAnimationFrame(() => r(null)));
    }
    return { rowsInDom: document.querySelectorAll('[data-testid="grid-row"]').length, scrollTop: el.scrollTop };
  })()`)) as { rowsInDom: number; scrollTop: number };
  expect(scroll.rowsInDom).toBeGreaterThan(0);
  expect(scroll.rowsInDom).toBeLessThan(200);
  expect(scroll.scrollTop).toBeGreaterThan(0);
  await page.getByTestId('grid-filter-name').fill('proc-13');
  await page.getByTestId('grid-count').getByText(/of 100000 rows/).waitFor();
  await shot('11-grid-100k');
}, 60_000);
