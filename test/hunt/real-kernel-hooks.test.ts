// The kernel-hook playbooks on real dumps: the rootkit-dev images of Debian 6.1 (shipped) and 6.12
// (generated, test/support/rootkit-images.ts) — a hidden module's ftrace hook, kprobes, netfilter
// hook and keyboard notifier, ground-truth.json `rootkit.hooks` of each image — and the clean 6.1 and
// 6.12 dev dumps, analyzed by the real engine into one store and hunted: each playbook fires on
// exactly the module's hooks of its technique, with its ATT&CK ids, and nowhere on the clean dumps.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadPlaybooks } from '../../lib/hunt/loader';
import { runHunt } from '../../lib/hunt/runner';
import { openLocalStore, runQuery, type LocalStore } from '../../lib/engine';
import { addDumpToStore } from '../../lib/store/add';
import { dumpPath } from '../support/dumps';
import { rootkitImage, rootkitKernels, ROOTKIT_IMAGE_TIMEOUT_MS, type RootkitGroundTruth } from '../support/rootkit-images';
import { hitKey } from './fixtures';

jest.setTimeout(300_000);
const HOOK_PLAYBOOKS = ['linux-ftrace-kprobe-hook', 'linux-netfilter-hook', 'linux-keylogger-hook', 'linux-idt-hook'];

let dir: string;
let store: LocalStore;
const truth = new Map<string, RootkitGroundTruth>();
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-hunt-hooks-'));
  for (const kernel of rootkitKernels) {
    const img = await rootkitImage(kernel);
    truth.set(kernel, img.groundTruth);
    await addDumpToStore(dir, img.kdump, { project: 'lab', machine: `rootkit-${kernel}`, snapshot: 'kdump' });
  }
  await addDumpToStore(dir, await dumpPath('6.1', 'memory.kdump'), { project: 'lab', machine: 'dev61', snapshot: 'kdump' });
  await addDumpToStore(dir, await dumpPath('6.12', 'memory.kdump'), { project: 'lab', machine: 'dev612', snapshot: 'kdump' });
  store = openLocalStore(dir);
}, ROOTKIT_IMAGE_TIMEOUT_MS + 300_000);
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

/**
 * `type:target_symbol` of each hook in a capture's `rootkit.hooks`; 6.12's capture names the netfilter
 * hook's net by address (`net`), which the guest's kallsyms (kernel.kallsyms) names.
 */
function hookKeys(gt: RootkitGroundTruth, types: string[]): string[] {
  const ks = Object.entries(gt.kernel.kallsyms as Record<string, string | { addr: string }>).map(([n, x]) => [n, BigInt(typeof x === 'string' ? x : x.addr)] as const);
  const hooks = (gt.rootkit.hooks as { type: string; target_symbol?: string; net?: string }[]).filter((h) => types.includes(h.type));
  return hooks.map((h) => {
    const sym = h.target_symbol ?? ks.find(([, a]) => h.net !== undefined && a === BigInt(h.net))?.[0];
    expect([h.type, typeof sym]).toEqual([h.type, 'string']);
    return `${h.type}:${sym}`;
  }).sort();
}

describe('kernel-hook playbooks on real dumps', () => {
  test.each(rootkitKernels)('rootkit-dev %s: each fires on exactly the hidden module\'s hooks of its technique (ground truth)', async (kernel) => {
    const gt = truth.get(kernel)!;
    const { got, techniques } = await hunt(`rootkit-${kernel}`);
    expect(got).toEqual({
      'linux-ftrace-kprobe-hook': hookKeys(gt, ['ftrace', 'kprobe']),
      'linux-netfilter-hook': hookKeys(gt, ['netfilter']),
      'linux-keylogger-hook': hookKeys(gt, ['keyboard_notifier']),
      'linux-idt-hook': [],
    });
    // both images' README: the scenario hooks getdents64 (ftrace), do_sys_openat2 and inet_csk_accept (kprobes), init_net LOCAL_IN
    expect(got['linux-ftrace-kprobe-hook']).toEqual(['ftrace:__x64_sys_getdents64', 'kprobe:do_sys_openat2', 'kprobe:inet_csk_accept']);
    expect(got['linux-netfilter-hook']).toEqual(['netfilter:init_net']);
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
