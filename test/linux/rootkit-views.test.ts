// Kernel rootkit views (#16) on real dumps, field by field against the ground truth captured in the
// guest: eBPF programs and maps (BPF_OBJ_GET_INFO_BY_FD and /proc/PID/fdinfo in linux-dev-rootkit's
// ground-truth.json `bpf`), the self-hidden module memq_testkit (`rootkit.module`: list_del'd, still in
// mod_tree and /sys/module), the task_struct scan (every ground-truth pid, nothing extra), credential
// anomalies, and the clean dumps (6.1, 6.12, arm64) where none of it may fire. Then the same dump
// patched through a copy-on-write overlay the way deeper rootkits go (task unlinked from the list and
// the PID IDR, a cred handed to another process, a root child re-parented under a user process, the
// module's kobject removed from module_kset) — analyzed into a store and hunted with the playbooks.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { materialize, openDumpFile } from '../../lib/image/open';
import { openDump, openEngine } from '../../lib/os/open';
import type { LinuxEngine } from '../../lib/os/linux';
import { scanTasks } from '../../lib/os/linux/psscan';
import { analyzeTables } from '../../lib/store/analyze';
import { tableFileRelative } from '../../lib/store/store';
import { openLocalStore, runQuery } from '../../lib/engine';
import { tableNames } from '../../lib/model';
import { loadPlaybooks } from '../../lib/hunt/loader';
import { runHunt } from '../../lib/hunt/runner';
import { OverlayMemory } from '../support/overlay';
import { IMAGES, dumpPath, groundTruth, type Kernel } from '../support/dumps';
import { hitKey } from '../hunt/fixtures';
import { processFlags } from '../../lib/cli/inspect-run';

const RK = path.join(IMAGES, 'linux-dev-rootkit');
const ARM = path.join(IMAGES, 'linux-dev-arm64');
const maybe = fs.existsSync(path.join(RK, 'ground-truth.json')) ? describe : describe.skip;
jest.setTimeout(300_000);

interface GtProg {
  id: number; name: string; type_name: string; tag: string; jited_prog_len: number; xlated_prog_len: number; load_time: number;
  created_by_uid: number; map_ids: number[]; jited_ksym: string; gpl_compatible: boolean; owner: { pid: number; fd: number };
  attach: { how: string; kprobe?: string; sock_fd?: number };
}
interface GtMap {
  id: number; name: string; type_name: string; key_size: number; value_size: number; max_entries: number; map_flags: string; owner: { pid: number; fd: number };
}
interface RkGt {
  processes: { pid: number; ppid: number; task_comm: string; exe?: string; is_kernel_thread: boolean; uid: number; euid: number; fdinfo?: Record<string, Record<string, string>>; hidden_from_proc_listing?: boolean }[];
  modules: { name: string; size: number }[];
  roles: Record<string, number>;
  bpf: { programs: GtProg[]; maps: GtMap[]; all_in_kernel: { progs: { id: number; name: string; type_name: string; tag: string }[]; maps: { id: number; name: string; type_name: string }[] } };
  rootkit: { module: { name: string; this_module: string; core_base: string; core_size: number; hidden: boolean; sysfs_dir_present_after_hiding: boolean }; hidden: { processes: { pid: number; comm: string; exe: string }[] } };
}
const gt = (): RkGt => JSON.parse(fs.readFileSync(path.join(RK, 'ground-truth.json'), 'utf8'));
const byId = <T extends { id: number }>(xs: T[]) => [...xs].sort((a, b) => a.id - b.id);

maybe('rootkit-dev dump (6.1): eBPF, LKM views, task scan, credentials', () => {
  let eng: LinuxEngine;
  beforeAll(async () => {
    eng = (await openDump(await materialize(path.join(RK, 'memory.kdump')))) as LinuxEngine;
  });
  afterAll(() => eng?.mem.close());

  test('bpf_program: every program in prog_idr, field by field against BPF_OBJ_GET_INFO_BY_FD', () => {
    const g = gt();
    const rows = byId(eng.extract('bpf_program'));
    // the kernel's own enumeration (GET_NEXT_ID) at capture: the same ids, names, types, tags
    expect(rows.map((r) => ({ id: r.id, name: r.name, type_name: r.type, tag: r.tag }))).toEqual(byId(g.bpf.all_in_kernel.progs));
    for (const [r, p] of rows.map((r, i) => [r, byId(g.bpf.programs)[i]] as const)) {
      expect({
        id: r.id, name: r.name, type: r.type, tag: r.tag, map_ids: r.map_ids, jited: r.jited, jited_ksym: `0x${r.jited_address!.toString(16)}`,
        jited_len: r.jited_size, xlated_len: r.xlated_size, load_time: r.load_time_ns, uid: r.created_by_uid, gpl: r.gpl_compatible,
        pid: r.process_id, fd: r.fd,
      }).toEqual({
        id: p.id, name: p.name, type: p.type_name, tag: p.tag, map_ids: p.map_ids.map(String), jited: true, jited_ksym: p.jited_ksym,
        jited_len: p.jited_prog_len, xlated_len: p.xlated_prog_len, load_time: p.load_time, uid: p.created_by_uid, gpl: p.gpl_compatible,
        pid: p.owner.pid, fd: p.owner.fd,
      });
      // the owner's /proc/PID/fdinfo for that fd names this program
      const fdinfo = g.processes.find((x) => x.pid === r.process_id)!.fdinfo![String(r.fd)];
      expect([fdinfo.prog_id, fdinfo.prog_tag]).toEqual([String(r.id), r.tag]);
      // attachment: the perf kprobe event on the traced function, or the socket it filters
      if (p.attach.how === 'perf_event_kprobe') expect(r.attach_target).toBe(`kprobes:${p.attach.kprobe}`);
      else expect(r.attach_target).toBe(`socket:pid ${p.owner.pid} fd ${p.attach.sock_fd}`);
      expect(r.attach_type).toBeNull(); // socket_filter and kprobe programs carry no expected_attach_type
    }
    expect(rows.length).toBe(g.bpf.programs.length);
  });

  test('bpf_map: every map in map_idr, field by field', () => {
    const g = gt();
    const rows = byId(eng.extract('bpf_map'));
    expect(rows.map((r) => ({ id: r.id, name: r.name, type_name: r.type }))).toEqual(byId(g.bpf.all_in_kernel.maps));
    expect(rows.map((r) => ({
      id: r.id, name: r.name, type_name: r.type, key_size: r.key_size, value_size: r.value_size, max_entries: r.max_entries,
      map_flags: `0x${r.map_flags.toString(16)}`, owner: { pid: r.process_id, fd: r.fd },
    }))).toEqual(byId(g.bpf.maps).map((m) => ({
      id: m.id, name: m.name, type_name: m.type_name, key_size: m.key_size, value_size: m.value_size, max_entries: m.max_entries,
      map_flags: m.map_flags, owner: m.owner,
    })));
    for (const r of rows) expect(g.processes.find((x) => x.pid === r.process_id)!.fdinfo![String(r.fd)].map_id).toBe(String(r.id));
  });

  test('kernel_module: memq_testkit hidden from the list, still in mod_tree and sysfs; the rest in every view', () => {
    const g = gt();
    const rows = eng.extract('kernel_module');
    const m = g.rootkit.module;
    expect(m.hidden).toBe(true);
    const tk = rows.filter((r) => r.name === m.name);
    expect(tk).toEqual([expect.objectContaining({
      base: BigInt(m.core_base), size: m.core_size, object_address: BigInt(m.this_module), state: 'live',
      in_module_list: false, hidden: true, in_mod_tree: true, in_sysfs: m.sysfs_dir_present_after_hiding,
    })]);
    const listed = rows.filter((r) => r.name !== m.name);
    expect(listed.map((r) => [r.name, r.size]).sort()).toEqual(g.modules.map((x) => [x.name, x.size]).sort());
    for (const r of listed) expect([r.name, r.in_module_list, r.hidden, r.in_mod_tree, r.in_sysfs]).toEqual([r.name, true, false, true, true]);
  });

  test('task_scan (psscan): exactly the ground-truth pids, field by field; every one on the task list and in the PID IDR', () => {
    const g = gt();
    const ctx = eng.ctx;
    const rows = eng.extract('task_scan');
    expect(rows.map((r) => r.process_id)).toEqual(g.processes.map((p) => p.pid).sort((a, b) => a - b));
    for (const r of rows) {
      const p = g.processes.find((x) => x.pid === r.process_id)!;
      expect({ pid: r.process_id, ppid: r.parent_process_id, comm: r.name, uid: r.uid, euid: r.euid, kthread: r.is_kernel_thread, exe: r.exe_path, list: r.in_task_list, idr: r.in_pid_hash })
        .toEqual({ pid: p.pid, ppid: p.ppid, comm: p.task_comm, uid: p.uid, euid: p.euid, kthread: p.is_kernel_thread, exe: p.is_kernel_thread ? null : p.exe, list: true, idr: true });
    }
    // the same task_structs the list holds (by physical address: the scan sees the direct-map alias)
    const listed = new Set(ctx.tasks().map((t) => ctx.k.space.translate(t.addr)));
    for (const r of rows) expect([r.process_id, listed.has(ctx.k.space.translate(r.object_address))]).toEqual([r.process_id, true]);
    // the slab-only scan (default here) and the scan of all RAM find the same task_structs
    const slab = scanTasks(ctx, ctx.tasks().map((t) => t.addr), 'slab');
    const ram = scanTasks(ctx, ctx.tasks().map((t) => t.addr), 'ram');
    expect([slab.stats.mode, ram.stats.mode]).toEqual(['slab', 'ram']);
    expect(slab.stats.bytes).toBeLessThan(ram.stats.bytes / 16);
    expect([...slab.leaders.keys()].sort((a, b) => a - b)).toEqual([...ram.leaders.keys()].sort((a, b) => a - b));
    // without the listed tasks' classes, the kallsyms sched classes alone still find every user process
    const bySyms = scanTasks(ctx, [], 'ram');
    const symPids = new Set([...bySyms.leaders.values()].map((va) => ctx.v.i32(va + BigInt(ctx.v.off('task_struct', 'pid')))));
    for (const p of g.processes.filter((x) => !x.is_kernel_thread)) expect([p.pid, symPids.has(p.pid)]).toEqual([p.pid, true]);
    const procs = eng.extract('process');
    for (const p of procs) expect([p.process_id, p.in_process_list, p.in_pid_hash]).toEqual([p.process_id, true, true]);
    // pid 246 is hidden from /proc listings by the module's getdents hook only: alive and on every kernel view
    const h = g.rootkit.hidden.processes[0];
    expect(g.processes.find((p) => p.pid === h.pid)!.hidden_from_proc_listing).toBe(true);
    expect(procs.find((p) => p.process_id === h.pid)).toEqual(expect.objectContaining({ name: h.comm, exe_path: h.exe, in_process_list: true, in_pid_hash: true }));
    expect(rows.find((r) => r.process_id === h.pid)).toEqual(expect.objectContaining({ name: h.comm, exe_path: h.exe, in_task_list: true, in_pid_hash: true }));
  });

  test('credentials: one struct cred per process, no root under a user process (ground truth uids)', () => {
    const g = gt();
    const procs = eng.extract('process');
    const creds = procs.map((p) => p.cred_address!);
    expect(new Set(creds).size).toBe(procs.length);
    for (const p of procs) {
      const want = g.processes.find((x) => x.pid === p.process_id)!;
      expect([p.process_id, p.uid, p.euid, p.flag_shared_cred, p.flag_root_from_user]).toEqual([p.process_id, want.uid, want.euid, false, false]);
    }
  });
});

describe.each(['6.1', '6.12'] as Kernel[])('clean dev dump %s: no false positives', (kernel) => {
  const run = fs.existsSync(path.join(IMAGES, kernel === '6.1' ? 'linux-dev' : 'linux-dev-6.12', 'ground-truth.json')) ? test : test.skip;
  run('modules in every view, every ground-truth pid found by the scan, no cred anomaly, no eBPF objects', async () => {
    const eng = (await openDump(await dumpPath(kernel, 'memory.kdump'))) as LinuxEngine;
    try {
      const g = groundTruth(kernel);
      const mods = eng.extract('kernel_module');
      expect(mods.map((m) => m.name).sort()).toEqual(g.modules.map((m) => m.name).sort());
      for (const m of mods) expect([m.name, m.in_module_list, m.hidden, m.in_mod_tree, m.in_sysfs]).toEqual([m.name, true, false, true, true]);
      const procs = eng.extract('process');
      expect(procs.map((p) => p.process_id).sort((a, b) => a - b)).toEqual(g.processes.map((p) => p.pid).sort((a, b) => a - b));
      for (const p of procs) {
        expect([p.process_id, p.in_process_list, p.in_pid_hash, p.flag_shared_cred, p.flag_root_from_user]).toEqual([p.process_id, true, true, false, false]);
      }
      const scanned = eng.extract('task_scan');
      expect(scanned.map((r) => r.process_id)).toEqual(g.processes.map((p) => p.pid).sort((a, b) => a - b));
      for (const r of scanned) expect([r.process_id, r.name, r.in_task_list, r.in_pid_hash]).toEqual([r.process_id, g.processes.find((p) => p.pid === r.process_id)!.task_comm, true, true]);
      expect(eng.info()['source.task_scan']).toMatch(/^task_struct cache slabs/);
      const known = eng.ctx.tasks().map((t) => t.addr);
      expect([...scanTasks(eng.ctx, known, 'ram').leaders.keys()].sort((a, b) => a - b)).toEqual([...scanTasks(eng.ctx, known, 'slab').leaders.keys()].sort((a, b) => a - b));
      // the dev scenario loads no eBPF (README scenario table; busybox init, no systemd): prog_idr/map_idr are empty
      expect(eng.extract('bpf_program')).toEqual([]);
      expect(eng.extract('bpf_map')).toEqual([]);
      expect(eng.warnings.filter((w) => /hidden|scan/.test(w))).toEqual([]);
    } finally {
      eng.mem.close();
    }
  });
});

(fs.existsSync(path.join(ARM, 'ground-truth.json')) ? describe : describe.skip)('arm64 dev dump', () => {
  test('text-only kallsyms: eBPF tables refuse with one line; module views unknown (null), not "missing"', async () => {
    const eng = (await openDump(path.join(ARM, 'memory.kdump'))) as LinuxEngine;
    try {
      expect(() => eng.extract('bpf_program')).toThrow('eBPF tables need prog_idr, which kallsyms in this dump lacks (CONFIG_KALLSYMS_ALL off); pass --system-map <System.map of this kernel>');
      for (const m of eng.extract('kernel_module')) expect([m.name, m.in_mod_tree, m.in_sysfs, m.hidden]).toEqual([m.name, null, null, false]);
      const g = JSON.parse(fs.readFileSync(path.join(ARM, 'ground-truth.json'), 'utf8')) as RkGt;
      const procs = eng.extract('process');
      expect(procs.map((p) => p.process_id).sort((a, b) => a - b)).toEqual(g.processes.map((p) => p.pid).sort((a, b) => a - b));
      for (const p of procs) expect([p.process_id, p.flag_shared_cred, p.flag_root_from_user]).toEqual([p.process_id, false, false]);
      const scanned = eng.extract('task_scan');
      expect(scanned.map((r) => r.process_id)).toEqual(g.processes.map((p) => p.pid).sort((a, b) => a - b));
      for (const r of scanned) expect([r.process_id, r.in_task_list]).toEqual([r.process_id, true]);
      expect(eng.info()['source.task_scan']).toMatch(/^all RAM: 131072 KiB/); // no struct page array known on arm64: every RAM page
    } finally {
      eng.mem.close();
    }
  });
  test('with System.map: mod_tree and sysfs views agree with the list; no eBPF objects', async () => {
    const eng = (await openDump(path.join(ARM, 'memory.kdump'), { systemMap: path.join(ARM, 'System.map-6.1.0-57-arm64') })) as LinuxEngine;
    try {
      const g = JSON.parse(fs.readFileSync(path.join(ARM, 'ground-truth.json'), 'utf8')) as RkGt;
      const mods = eng.extract('kernel_module');
      expect(mods.map((m) => m.name).sort()).toEqual(g.modules.map((m) => m.name).sort());
      for (const m of mods) expect([m.name, m.in_mod_tree, m.in_sysfs, m.hidden]).toEqual([m.name, true, true, false]);
      expect(eng.extract('bpf_program')).toEqual([]);
      expect(eng.extract('bpf_map')).toEqual([]);
      for (const p of eng.extract('process')) expect([p.process_id, p.in_pid_hash]).toEqual([p.process_id, true]);
      for (const r of eng.extract('task_scan')) expect([r.process_id, r.in_task_list, r.in_pid_hash]).toEqual([r.process_id, true, true]);
    } finally {
      eng.mem.close();
    }
  });
});

/** Analyzes `mem` into a fresh store and returns each playbook's hit keys. */
async function huntOn(eng: LinuxEngine): Promise<Record<string, string[]>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-rk-views-'));
  const ref = { project: 'lab', machine: 'memq-dev', snapshot: 'rk' };
  const store = openLocalStore(dir);
  try {
    await analyzeTables(eng, dir, tableNames, { fileName: (t) => tableFileRelative(t, ref) });
    const rep = await runHunt(async (text) => {
      const r = await runQuery(store, text, {});
      return { columns: r.columns.map((c) => c.name), rows: r.rows };
    }, loadPlaybooks());
    expect(rep.errors).toBe(0);
    const got: Record<string, string[]> = {};
    for (const r of rep.results) got[r.id] = [...new Set(r.queries.flatMap((q) => q.rows.map(hitKey)))].sort();
    return got;
  } finally {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const MINE = ['linux-ebpf-kernel-probe', 'linux-ebpf-socket-filter', 'hidden-kernel-module', 'linux-module-view-mismatch', 'hidden-process', 'linux-shared-credentials', 'linux-root-under-user'];
const mine = (got: Record<string, string[]>) => Object.fromEntries(MINE.map((id) => [id, got[id]]));

maybe('rootkit playbooks on the rootkit-dev dump', () => {
  test('as captured: the eBPF programs (held by the bpf agent) and the list-hidden module fire; nothing else of these', async () => {
    const g = gt();
    const eng = (await openDump(await materialize(path.join(RK, 'memory.kdump')))) as LinuxEngine;
    try {
      expect(mine(await huntOn(eng))).toEqual({
        'linux-ebpf-kernel-probe': [String(g.roles.bpf_agent)],
        'linux-ebpf-socket-filter': [String(g.roles.bpf_agent)],
        'hidden-kernel-module': [g.rootkit.module.name],
        'linux-module-view-mismatch': [],
        'hidden-process': [],
        'linux-shared-credentials': [],
        'linux-root-under-user': [],
      });
    } finally {
      eng.mem.close();
    }
  });

  test('patched deeper: task unlinked from list and IDR, shared cred, root under a user, kobject removed — each fires on exactly its object', async () => {
    const g = gt();
    const file = await materialize(path.join(RK, 'memory.kdump'));
    const base = (await openDump(file)) as LinuxEngine;
    const ov = new OverlayMemory(await openDumpFile(file));
    const v = base.ctx.v;
    const pa = (va: bigint) => {
      const p = base.k.space.translate(va);
      if (p === null) throw new Error(`unmapped ${va.toString(16)}`);
      return p;
    };
    const procs = base.extract('process');
    const task = (pid: number) => procs.find((p) => p.process_id === pid)!.object_address;
    const h = g.rootkit.hidden.processes[0];
    const hidden = h.pid;
    const user = g.processes.find((p) => !p.is_kernel_thread && p.uid !== 0)!.pid; // nc_client, uid 1000
    const rootChild = g.roles.httpd;
    const credThief = g.roles.evil_miner;
    const credDonor = g.roles.syslogd;
    // 1. pid 246 unlinked from init_task.tasks (list_del: poisoned) and its struct pid emptied (detach_pid)
    const node = task(hidden) + BigInt(v.off('task_struct', 'tasks'));
    const next = v.ptr(node);
    const prev = v.ptr(node + 8n);
    ov.writeU64(pa(prev), next);
    ov.writeU64(pa(next + 8n), prev);
    ov.writeU64(pa(node), 0xdead000000000100n);
    ov.writeU64(pa(node + 8n), 0xdead000000000122n);
    const thread = v.p(task(hidden), 'task_struct', 'thread_pid');
    ov.writeU64(pa(thread + BigInt(v.off('pid', 'tasks'))), 0n);
    // 2. the miner's task->cred and real_cred pointed at syslogd's cred
    const donor = v.p(task(credDonor), 'task_struct', 'cred');
    for (const f of ['cred', 'real_cred']) ov.writeU64(pa(task(credThief) + BigInt(v.off('task_struct', f))), donor);
    //    and the nc listener's effective cred (task->cred only, what permission checks use) pointed at init_task's
    const initCred = v.p(base.k.syms.require('init_task'), 'task_struct', 'real_cred');
    const effOnly = g.roles.nc_listener;
    ov.writeU64(pa(task(effOnly) + BigInt(v.off('task_struct', 'cred'))), initCred);
    // 3. httpd (root) re-parented under the uid-1000 nc client
    ov.writeU64(pa(task(rootChild) + BigInt(v.off('task_struct', 'real_parent'))), task(user));
    // 4. memq_testkit's kobject taken off module_kset's list (kobject_del without the sysfs side)
    const tk = base.extract('kernel_module').find((m) => m.name === g.rootkit.module.name)!.object_address!;
    const entry = tk + BigInt(v.off('module', 'mkobj') + v.off('module_kobject', 'kobj') + v.off('kobject', 'entry'));
    const kn = v.ptr(entry);
    const kp = v.ptr(entry + 8n);
    ov.writeU64(pa(kp), kn);
    ov.writeU64(pa(kn + 8n), kp);

    const eng = openEngine(ov) as LinuxEngine;
    try {
      const rows = eng.extract('process');
      // gone from the task list and the IDR: the process table cannot see it, the scan does
      expect(rows.find((p) => p.process_id === hidden)).toBeUndefined();
      const rk = eng.extract('task_scan').filter((r) => !r.in_task_list);
      expect(rk.map((r) => [r.process_id, r.name, r.exe_path, r.in_pid_hash])).toEqual([[hidden, h.comm, h.exe, false]]);
      expect(rows.filter((p) => p.flag_shared_cred).map((p) => p.process_id).sort((a, b) => a - b)).toEqual([credThief, credDonor, effOnly].sort((a, b) => a - b));
      expect(rows.filter((p) => p.flag_root_from_user).map((p) => p.process_id)).toEqual([rootChild]);
      // memq ps / pstree show them in the flags column
      expect(processFlags(rows.find((p) => p.process_id === credThief)!)).toContain('shared-cred');
      expect(processFlags(rows.find((p) => p.process_id === rootChild)!)).toContain('root-from-user');
      expect(eng.extract('kernel_module').find((m) => m.name === g.rootkit.module.name)).toEqual(expect.objectContaining({ in_module_list: false, in_mod_tree: true, in_sysfs: false }));
      expect(mine(await huntOn(eng))).toEqual({
        'linux-ebpf-kernel-probe': [String(g.roles.bpf_agent)],
        'linux-ebpf-socket-filter': [String(g.roles.bpf_agent)],
        'hidden-kernel-module': [g.rootkit.module.name],
        'linux-module-view-mismatch': [g.rootkit.module.name],
        'hidden-process': [String(hidden)],
        'linux-shared-credentials': [credThief, credDonor, effOnly].map(String).sort(),
        'linux-root-under-user': [String(rootChild)],
      });
    } finally {
      base.mem.close();
    }
  });
});

maybe('CLI: memq bpf / bpf-maps / psscan on the rootkit-dev dump', () => {
  const BIN = path.resolve(__dirname, '../../bin/memq.js');
  const run = (...args: string[]) => {
    const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, MEMQ_PROGRESS: '0' }, maxBuffer: 64 << 20 });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  test('tables print the ground-truth objects; json keeps the fields', () => {
    const g = gt();
    const dump = path.join(RK, 'memory.kdump');
    const progs = run('bpf', dump);
    expect(progs.code).toBe(0);
    for (const p of g.bpf.programs) expect(progs.out).toMatch(new RegExp(`^${p.id} +${p.name} +${p.type_name} +${p.tag} `, 'm'));
    const maps = JSON.parse(run('bpf-maps', dump, '--format', 'json').out) as { id: number; name: string; process_id: number; fd: number }[];
    expect(maps.map((m) => [m.id, m.name, m.process_id, m.fd])).toEqual(byId(g.bpf.maps).map((m) => [m.id, m.name, m.owner.pid, m.owner.fd]));
    const ps = JSON.parse(run('psscan', dump, '--format', 'json').out) as { process_id: number; in_task_list: boolean }[];
    expect(ps.map((r) => r.process_id)).toEqual(g.processes.map((p) => p.pid).sort((a, b) => a - b));
    expect(ps.every((r) => r.in_task_list)).toBe(true);
  });
});

maybe('hostile rootkit-view structures (overlay on the rootkit-dev dump)', () => {
  test('a cyclic prog_idr node, a self-linked mod_tree node and a cyclic module_kset list end with a warning, not a hang', async () => {
    const g = gt();
    const file = await materialize(path.join(RK, 'memory.kdump'));
    const base = (await openDump(file)) as LinuxEngine;
    const ov = new OverlayMemory(await openDumpFile(file));
    const v = base.ctx.v;
    const pa = (va: bigint) => base.k.space.translate(va)!;
    // prog_idr: its top node's last slot points back at the node itself
    const head = base.k.syms.require('prog_idr') + BigInt(v.off('idr', 'idr_rt') + v.off('xarray', 'xa_head'));
    const top = v.ptr(head);
    expect(top & 3n).toBe(2n); // ids 1 and 2 live below an internal node
    ov.writeU64(pa(top - 2n + BigInt(v.off('xa_node', 'slots')) + 63n * 8n), top);
    // mod_tree: the root rb_node's left child is itself
    const rootNode = v.ptr(base.k.syms.require('mod_tree') + BigInt(v.off('mod_tree_root', 'root') + v.off('latch_tree_root', 'tree')));
    const leftOff = BigInt(v.off('rb_node', 'rb_left'));
    const oldLeft = v.ptr(rootNode + leftOff);
    ov.writeU64(pa(rootNode + leftOff), rootNode);
    // module_kset: the last kobject's next points at the first kobject (skipping the head: a ring without an end)
    const kset = v.ptr(base.k.syms.require('module_kset'));
    const listHead = kset + BigInt(v.off('kset', 'list'));
    const first = v.ptr(listHead);
    const last = v.ptr(listHead + 8n);
    ov.writeU64(pa(last), first);
    const eng = openEngine(ov) as LinuxEngine;
    try {
      const progs = eng.extract('bpf_program');
      expect(progs.map((p) => p.id)).toEqual(byId(g.bpf.programs).map((p) => p.id));
      const mods = eng.extract('kernel_module');
      // the left subtree is cut off: the modules in it drop out of the tree view, nothing loops
      expect(mods.filter((m) => m.in_mod_tree === true).length).toBeGreaterThan(0);
      expect(mods.some((m) => m.in_sysfs === true)).toBe(true);
      expect(eng.warnings.some((w) => /prog_idr: xarray node [0-9a-f]+ reached twice/.test(w))).toBe(true);
      expect(eng.warnings.some((w) => /module_kset: list at 0x[0-9a-f]+ has a cycle/.test(w))).toBe(true);
      expect(oldLeft === 0n || mods.some((m) => m.in_mod_tree === false)).toBe(true);
    } finally {
      base.mem.close();
    }
  });
});

maybe('a module hidden from the list and the self-reference scan is still found through mod_tree', () => {
  test("memq_testkit with mkobj.mod zeroed: only the module address tree leads to it", async () => {
    const g = gt();
    const file = await materialize(path.join(RK, 'memory.kdump'));
    const base = (await openDump(file)) as LinuxEngine;
    const ov = new OverlayMemory(await openDumpFile(file));
    const v = base.ctx.v;
    const tk = BigInt(g.rootkit.module.this_module);
    ov.writeU64(base.k.space.translate(tk + BigInt(v.off('module', 'mkobj') + v.off('module_kobject', 'mod')))!, 0n);
    const eng = openEngine(ov) as LinuxEngine;
    try {
      const rows = eng.extract('kernel_module').filter((m) => m.name === g.rootkit.module.name);
      expect(rows).toEqual([expect.objectContaining({
        object_address: tk, base: BigInt(g.rootkit.module.core_base), size: g.rootkit.module.core_size,
        in_module_list: false, hidden: true, in_mod_tree: true, in_sysfs: false,
      })]);
    } finally {
      base.mem.close();
    }
  });
});

maybe('task scan: zombies count, reaped tasks do not', () => {
  test('a zombie (EXIT_ZOMBIE, TASK_DEAD, stack freed) is found; a task marked EXIT_DEAD is not', async () => {
    const g = gt();
    const file = await materialize(path.join(RK, 'memory.kdump'));
    const base = (await openDump(file)) as LinuxEngine;
    const ov = new OverlayMemory(await openDumpFile(file));
    const v = base.ctx.v;
    const pa = (va: bigint) => base.k.space.translate(va)!;
    const procs = base.extract('process');
    const task = (pid: number) => procs.find((p) => p.process_id === pid)!.object_address;
    const stateField = v.has('task_struct', '__state') ? '__state' : 'state';
    const put32 = (at: bigint, x: number) => {
      const b = Buffer.alloc(4);
      b.writeUInt32LE(x);
      ov.write(pa(at), b);
    };
    const zombie = task(g.roles.nc_client);
    put32(zombie + BigInt(v.off('task_struct', 'exit_state')), 0x20);
    put32(zombie + BigInt(v.off('task_struct', stateField)), 0x80);
    ov.writeU64(pa(zombie + BigInt(v.off('task_struct', 'stack'))), 0n);
    const reaped = task(g.roles.agetty);
    put32(reaped + BigInt(v.off('task_struct', 'exit_state')), 0x10);
    put32(reaped + BigInt(v.off('task_struct', stateField)), 0x80);
    const eng = openEngine(ov) as LinuxEngine;
    try {
      const pids = eng.extract('task_scan').map((r) => r.process_id);
      expect(pids).toContain(g.roles.nc_client);
      expect(pids).not.toContain(g.roles.agetty);
      expect(pids.length).toBe(g.processes.length - 1);
    } finally {
      base.mem.close();
    }
  });
});
