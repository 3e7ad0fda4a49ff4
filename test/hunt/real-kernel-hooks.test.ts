// The kernel-hook playbooks on real dumps: the rootkit-dev dump (its hidden module's ftrace hook,
// kprobes, netfilter hook and keyboard notifier, ground-truth.json `rootkit.hooks`) and the clean 6.1
// and 6.12 dev dumps, analyzed by the real engine into one store and hunted: each playbook fires on
// exactly the module's hooks of its technique, with its ATT&CK ids, and nowhere on the clean dumps.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadPlaybooks } from '../../lib/hunt/loader';
import { runHunt } from '../../lib/hunt/runner';
import { openLocalStore, runQuery, type LocalStore } from '../../lib/engine';
import { addDumpToStore } from '../../lib/store/add';
import { IMAGES, dumpPath, imagesAvailable } from '../support/dumps';
import { hitKey } from './fixtures';

jest.setTimeout(300_000);
const RK = path.join(IMAGES, 'linux-dev-rootkit');
const maybe = imagesAvailable() && fs.existsSync(path.join(RK, 'memory.kdump')) ? describe : describe.skip;
const HOOK_PLAYBOOKS = ['linux-ftrace-kprobe-hook', 'linux-netfilter-hook', 'linux-keylogger-hook', 'linux-idt-hook'];

let dir: string;
let store: LocalStore;
beforeAll(async () => {
  if (!imagesAvailable() || !fs.existsSync(path.join(RK, 'memory.kdump'))) return;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-hunt-hooks-'));
  await addDumpToStore(dir, path.join(RK, 'memory.kdump'), { project: 'lab', machine: 'rootkit', snapshot: 'kdump' });
  await addDumpToStore(dir, await dumpPath('6.1', 'memory.kdump'), { project: 'lab', machine: 'dev61', snapshot: 'kdump' });
  await addDumpToStore(dir, await dumpPath('6.12', 'memory.kdump'), { project: 'lab', machine: 'dev612', snapshot: 'kdump' });
  store = openLocalStore(dir);
}, 300_000);
afterAll(() => {
  store?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

async function hunt(machine: string): Promise<{ got: Record<string, string[]>; techniques: Record<string, string[]> }> {
  const rep = await runHunt(async (text) => {
    const r = await runQuery(store, text, { machines: [machine] });
    return { columns: r.columns.map((c) => c.name), rows: r.rows };
  }, loadPlaybooks().filter((p) => HOOK_PLAYBOOKS.includes(p.id)));
  expect(rep.errors).toBe(0);
  const got: Record<string, string[]> = {};
  for (const r of rep.results) got[r.id] = [...new Set(r.queries.flatMap((q) => q.rows.map(hitKey)))].sort();
  return { got, techniques: Object.fromEntries(rep.results.map((r) => [r.id, r.techniques.map((t) => t.id)])) };
}

maybe('kernel-hook playbooks on real dumps', () => {
  test('rootkit-dev: each fires on exactly the hidden module\'s hooks of its technique (ground truth)', async () => {
    const gt = JSON.parse(fs.readFileSync(path.join(RK, 'ground-truth.json'), 'utf8')).rootkit.hooks as { type: string; target_symbol: string }[];
    const key = (types: string[]) => gt.filter((h) => types.includes(h.type)).map((h) => `${h.type}:${h.target_symbol}`).sort();
    const { got, techniques } = await hunt('rootkit');
    expect(got).toEqual({
      'linux-ftrace-kprobe-hook': key(['ftrace', 'kprobe']),
      'linux-netfilter-hook': key(['netfilter']),
      'linux-keylogger-hook': key(['keyboard_notifier']),
      'linux-idt-hook': [],
    });
    expect(got['linux-ftrace-kprobe-hook']).toEqual(['ftrace:__x64_sys_getdents64', 'kprobe:do_sys_openat2', 'kprobe:inet_csk_accept']);
    expect(techniques).toEqual({
      'linux-ftrace-kprobe-hook': ['T1014'],
      'linux-netfilter-hook': ['T1014', 'T1205', 'T1562.004'],
      'linux-keylogger-hook': ['T1056.001', 'T1014'],
      'linux-idt-hook': ['T1014'],
    });
  });

  test.each(['dev61', 'dev612'])('clean %s: silent', async (machine) => {
    const { got } = await hunt(machine);
    expect(got).toEqual(Object.fromEntries(HOOK_PLAYBOOKS.map((id) => [id, []])));
    // the table is there (the kernel's own AppArmor netfilter hooks), it just holds nothing suspicious
    const all = await runQuery(store, 'kernel_hook.hook_object.kind == "netfilter"', { machines: [machine] });
    expect(all.rows.length).toBeGreaterThan(0);
  });
});
