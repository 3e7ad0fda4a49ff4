// Containers and namespaces (issue #16) against ground truth captured in the guests from /proc:
// on the rootkit-dev images of Debian 6.1 (shipped) and 6.12 (generated, test/support/rootkit-images.ts)
// — docker and Kubernetes/containerd containers in cgroup v2 scopes with their own pid/mnt/uts/ipc/net
// namespaces — every process's /proc/PID/ns inodes, NSpid and cgroup path, every container (id,
// runtime, pod, hostname, init, members, namespaces, rootfs) and the mountinfo of every process in
// another mount namespace, field by field (6.12 keeps a namespace's mounts in an rb-tree); on the
// plain dev dumps (6.1, 6.12, arm64) the host-only values; the host mount namespace against
// /proc/mounts on all of them. Then the query language and the container-escape playbooks on a store
// made from each real rootkit dump, before and after a process of a container is moved into the
// host's namespaces (copy-on-write overlay).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openDumpFile } from '../../lib/image/open';
import { openDump, openEngine } from '../../lib/os/open';
import type { OsEngine } from '../../lib/os/engine';
import type { LinuxEngine } from '../../lib/os/linux';
import type { Row, TableName } from '../../lib/model';
import { parseContainerCgroup } from '../../lib/os/linux/containers';
import { analyzeTables } from '../../lib/store/analyze';
import { tableFileRelative } from '../../lib/store/store';
import { openLocalStore, runQuery } from '../../lib/engine';
import { loadPlaybooks } from '../../lib/hunt/loader';
import { runHunt } from '../../lib/hunt/runner';
import { OverlayMemory } from '../support/overlay';
import { IMAGES, dumpPath } from '../support/dumps';
import { rootkitImage, rootkitKernels, ROOTKIT_IMAGE_TIMEOUT_MS, type RootkitKernel } from '../support/rootkit-images';

jest.setTimeout(300_000);

interface GtMountinfo { mount_id: number; parent_id: number; dev: string; root: string; mount_point: string; mount_options: string; fstype: string; source: string }
interface GtSock { state: string; owners: { pid: number }[] }
interface GtProc {
  pid: number;
  task_comm: string;
  ns?: Record<string, number>;
  nspid?: number[];
  cgroup_path?: string;
  mountinfo?: GtMountinfo[];
  net?: Record<string, GtSock[] | number>;
}
interface GtContainer {
  id: string;
  runtime: string;
  hostname: string;
  cgroup: string;
  init_pid: number;
  pids: number[];
  rootfs: string;
  namespaces: Record<string, number>;
  pod: { name: string; namespace: string; uid: string; qos_class: string } | null;
}
interface Gt { processes: GtProc[]; containers: GtContainer[]; raw: Record<string, string> }

const readGt = (dir: string): Gt => JSON.parse(fs.readFileSync(path.join(IMAGES, dir, 'ground-truth.json'), 'utf8'));

/**
 * A rootkit image's ground truth with the two captures' key spellings made one (the values are the
 * guest's): 6.12's generator writes mountinfo `options`/`fs_type` and pod `qos` where the 6.1 capture
 * wrote `mount_options`/`fstype` and `qos_class`.
 */
async function rootkitGt(kernel: RootkitKernel): Promise<{ gt: Gt; kdump: string }> {
  const img = await rootkitImage(kernel);
  const raw = img.groundTruth as unknown as Gt;
  const gt: Gt = {
    ...raw,
    processes: raw.processes.map((p) => (p.mountinfo ? {
      ...p,
      mountinfo: p.mountinfo.map((e) => {
        const x = e as GtMountinfo & { options?: string; fs_type?: string };
        return { ...x, mount_options: x.mount_options ?? x.options!, fstype: x.fstype ?? x.fs_type! };
      }),
    } : p)),
    containers: raw.containers.map((c) => {
      const pod = c.pod as (GtContainer['pod'] & { qos?: string }) | null;
      return { ...c, pod: pod ? { ...pod, qos_class: pod.qos_class ?? pod.qos! } : null };
    }),
  };
  for (const p of gt.processes) for (const e of p.mountinfo ?? []) expect([p.pid, typeof e.mount_options, typeof e.fstype]).toEqual([p.pid, 'string', 'string']);
  for (const c of gt.containers) if (c.pod) expect([c.id, typeof c.pod.qos_class]).toEqual([c.id, 'string']);
  return { gt, kdump: img.kdump };
}
const NS_COLUMNS: [keyof Row<'process'>, string][] = [
  ['pid_ns', 'pid'], ['net_ns', 'net'], ['mnt_ns', 'mnt'], ['uts_ns', 'uts'], ['ipc_ns', 'ipc'], ['user_ns', 'user'], ['cgroup_ns', 'cgroup'], ['time_ns', 'time'],
];
// include/linux/proc_ns.h: the initial namespaces have fixed inode numbers (kernel ABI since 3.8)
const INIT_INO = { ipc: 0xefffffff, uts: 0xeffffffe, user: 0xeffffffd, pid: 0xeffffffc, cgroup: 0xeffffffb, time: 0xeffffffa };

/** /proc/mounts lines: source, mount point, type, options */
function procMounts(text: string): { source: string; mount_point: string; fs_type: string; options: string }[] {
  return text.trim().split('\n').map((l) => {
    const [source, mount_point, fs_type, options] = l.split(' ');
    return { source, mount_point, fs_type, options };
  });
}

/**
 * The host mount namespace (pid 1's) lists what /proc/mounts showed, in order; mount options are the
 * per-mount prefix of /proc/mounts' options. Mounts made after /proc/mounts was read may follow
 * (`later`: e.g. the tracefs automount the rootkit capture triggered by reading debug/tracing), and
 * must have newer mount ids than every listed one.
 */
function expectHostMounts(eng: OsEngine, gt: Gt, later: string[] = []): void {
  const procs = eng.extract('process');
  const hostNs = procs.find((p) => p.process_id === 1)!.mnt_ns;
  const all = eng.extract('mount').filter((m) => m.mnt_ns === hostNs);
  const want = procMounts(gt.raw.proc_mounts);
  const mine = all.slice(0, want.length);
  const newest = Math.max(...mine.map((m) => m.mount_id));
  expect(all.slice(want.length).map((m) => [m.mount_point, m.mount_id > newest])).toEqual(later.map((mp) => [mp, true]));
  expect(mine.map((m) => [m.source, m.mount_point, m.fs_type])).toEqual(want.map((m) => [m.source, m.mount_point, m.fs_type]));
  mine.forEach((m, i) => {
    const o = want[i].options;
    expect([m.mount_point, o === m.options || o.startsWith(`${m.options},`)]).toEqual([m.mount_point, true]);
  });
  expect(mine[0].mount_point).toBe('/');
  expect(mine[0].parent_mount_id).toBe(mine[0].mount_id);
}

test.each(rootkitKernels)('INIT_INO constants are the inode numbers the %s rootkit dump\'s pid 1 had', async (kernel) => {
  // written as hex above; checked against the guest so a typo cannot pass the host-only tests below
  const p1 = (await rootkitGt(kernel)).gt.processes.find((p) => p.pid === 1)!;
  for (const [k, v] of Object.entries(INIT_INO)) expect([k, p1.ns![k]]).toEqual([k, v]);
});

describe.each(rootkitKernels)('rootkit-dev dump (%s x86-64): containers, namespaces, mounts vs ground truth', (kernel) => {
  let gt: Gt;
  let eng: LinuxEngine;
  let procs: Row<'process'>[];
  beforeAll(async () => {
    const img = await rootkitGt(kernel);
    gt = img.gt;
    eng = (await openDump(img.kdump)) as LinuxEngine;
    procs = eng.extract('process');
  }, ROOTKIT_IMAGE_TIMEOUT_MS);
  afterAll(() => eng?.mem.close());

  test('every process: the inode of each /proc/PID/ns link, NSpid, cgroup v2 path and container id', () => {
    const byPid = new Map(procs.map((r) => [r.process_id, r]));
    const containerOf = new Map(gt.containers.flatMap((c) => c.pids.map((p) => [p, c.id] as const)));
    expect(gt.processes.length).toBeGreaterThan(60);
    for (const p of gt.processes) {
      const r = byPid.get(p.pid);
      expect([p.pid, r !== undefined]).toEqual([p.pid, true]);
      for (const [col, key] of NS_COLUMNS) expect([p.pid, col, r![col]]).toEqual([p.pid, col, p.ns![key]]);
      expect([p.pid, r!.ns_pid]).toEqual([p.pid, p.nspid![p.nspid!.length - 1]]);
      expect([p.pid, r!.cgroup_path]).toEqual([p.pid, p.cgroup_path]);
      expect([p.pid, r!.container_id]).toEqual([p.pid, containerOf.get(p.pid) ?? null]);
    }
    // the scenario has processes in other pid namespaces: ns_pid differs from pid there
    expect(procs.filter((r) => r.ns_pid !== r.process_id).length).toBe(gt.containers.flatMap((c) => c.pids).length);
  });

  test('containers: id, runtime, cgroup, pod uid/name/QoS, hostname, init pid, processes, namespaces, rootfs', () => {
    const rows = eng.extract('container');
    expect(rows.map((r) => r.container_id).sort()).toEqual(gt.containers.map((c) => c.id).sort());
    const host = gt.processes.find((p) => p.pid === 1)!.ns!;
    for (const c of gt.containers) {
      const r = rows.find((x) => x.container_id === c.id)!;
      expect(r.runtime).toBe(c.runtime);
      expect(r.cgroup_path).toBe(c.cgroup);
      expect(r.hostname).toBe(c.hostname);
      expect(r.init_process_id).toBe(c.init_pid);
      expect(r.process_count).toBe(c.pids.length);
      expect(procs.filter((p) => p.container_id === c.id).map((p) => p.process_id).sort((a, b) => a - b)).toEqual([...c.pids].sort((a, b) => a - b));
      expect(r.rootfs).toBe(c.rootfs);
      // README: the container processes are chroot'ed into the overlay, in a mount namespace unshared
      // from the host's: the host's mounts stay in it, outside the rootfs, each one a /proc/mounts entry
      const hostMounts = new Set(procMounts(gt.raw.proc_mounts).map((m) => `${m.source} ${m.mount_point} ${m.fs_type}`));
      const outside = eng.extract('mount').filter((m) => m.mnt_ns === c.namespaces.mnt && m.mount_point !== c.rootfs && !m.mount_point.startsWith(`${c.rootfs}/`));
      expect(outside.length).toBeGreaterThan(5);
      expect(r.mounts_outside_rootfs).toBe(outside.length);
      for (const m of outside) expect([m.mount_point, hostMounts.has(`${m.source} ${m.mount_point} ${m.fs_type}`)]).toEqual([m.mount_point, true]);
      expect(r.pod_uid).toBe(c.pod?.uid ?? null);
      expect(r.pod_name).toBe(c.pod?.name ?? null);
      expect(r.qos_class).toBe(c.pod?.qos_class ?? null);
      for (const k of ['pid', 'net', 'mnt', 'uts', 'ipc', 'user', 'cgroup'] as const) {
        expect([k, r[`${k}_ns`]]).toEqual([k, c.namespaces[k]]);
        // every member of the container, per the guest, against the host's (pid 1's) namespace
        const shared = c.pids.some((pid) => gt.processes.find((p) => p.pid === pid)!.ns![k] === host[k]);
        if (k !== 'cgroup') expect([k, r[`shares_host_${k}`]]).toEqual([k, shared]);
      }
    }
  });

  test('mountinfo of every process in another mount namespace, field by field (mount points seen through its root)', () => {
    const mounts = eng.extract('mount');
    const byPid = new Map(procs.map((r) => [r.process_id, r]));
    const rootfsOf = new Map(gt.containers.flatMap((c) => c.pids.map((p) => [p, c.rootfs] as const)));
    const withInfo = gt.processes.filter((p) => p.mountinfo);
    // every container process has its mountinfo in the ground truth (6.1 also kdevtmpfs'), each one in a mount namespace not the host's
    const hostMnt = gt.processes.find((p) => p.pid === 1)!.ns!.mnt;
    expect(withInfo.map((p) => p.pid)).toEqual(expect.arrayContaining(gt.containers.flatMap((c) => c.pids)));
    for (const p of withInfo) expect([p.pid, p.ns!.mnt !== hostMnt, p.mountinfo!.length > 0]).toEqual([p.pid, true, true]);
    for (const p of withInfo) {
      const ns = byPid.get(p.pid)!.mnt_ns;
      const mine = mounts.filter((m) => m.mnt_ns === ns);
      // /proc/PID/mountinfo shows the mounts under the process's root (the container's rootfs)
      const prefix = rootfsOf.get(p.pid) ?? '';
      for (const e of p.mountinfo!) {
        const m = mine.find((x) => x.mount_id === e.mount_id);
        expect([p.pid, e.mount_id, m !== undefined]).toEqual([p.pid, e.mount_id, true]);
        expect({ pid: p.pid, parent: m!.parent_mount_id, dev: m!.device, root: m!.root, mp: m!.mount_point, opts: m!.options, type: m!.fs_type, src: m!.source }).toEqual({
          pid: p.pid,
          parent: e.parent_id,
          dev: e.dev,
          root: e.root,
          mp: e.mount_point === '/' ? prefix || '/' : prefix + e.mount_point,
          opts: e.mount_options,
          type: e.fstype,
          src: e.source,
        });
      }
      if (prefix) {
        const under = mine.filter((m) => m.mount_point === prefix || m.mount_point.startsWith(`${prefix}/`));
        expect([p.pid, under.map((m) => m.mount_id)]).toEqual([p.pid, p.mountinfo!.map((e) => e.mount_id)]);
      }
    }
  });

  // the capture read debug/tracing (README: enabled_functions), which automounts tracefs: mount id newer than all /proc/mounts listed
  test('the host mount namespace lists /proc/mounts', () => expectHostMounts(eng, gt, ['/sys/kernel/debug/tracing']));

  test('the container parser: every cgroup of the guest, and the runtime patterns it was built for', () => {
    const paths = new Set(gt.processes.map((p) => p.cgroup_path!));
    for (const c of gt.containers) {
      expect(parseContainerCgroup(c.cgroup)).toEqual({ runtime: c.runtime, id: c.id, pod_uid: c.pod?.uid ?? null, qos_class: c.pod?.qos_class ?? null });
      paths.delete(c.cgroup);
    }
    for (const p of paths) expect([p, parseContainerCgroup(p)]).toEqual([p, null]); // /, containerd.service
    const id = 'ab'.repeat(32);
    expect(parseContainerCgroup(`/machine.slice/libpod-${id}.scope`)).toMatchObject({ runtime: 'podman', id });
    expect(parseContainerCgroup(`/machine.slice/libpod-conmon-${id}.scope`)).toBeNull();
    expect(parseContainerCgroup(`/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1b4e28ba_2fa1_11d2_883f_0016d3cca427.slice/crio-${id}.scope`)).toEqual({
      runtime: 'cri-o', id, pod_uid: '1b4e28ba-2fa1-11d2-883f-0016d3cca427', qos_class: 'burstable',
    });
    expect(parseContainerCgroup(`/kubepods.slice/kubepods-pod1b4e28ba_2fa1_11d2_883f_0016d3cca427.slice/cri-containerd-${id}.scope`)).toMatchObject({ runtime: 'containerd', qos_class: 'guaranteed' });
    expect(parseContainerCgroup(`/kubepods/besteffort/pod1b4e28ba-2fa1-11d2-883f-0016d3cca427/${id}`)).toEqual({
      runtime: 'cri', id, pod_uid: '1b4e28ba-2fa1-11d2-883f-0016d3cca427', qos_class: 'besteffort',
    });
    expect(parseContainerCgroup(`/docker/${id}`)).toMatchObject({ runtime: 'docker', id });
    expect(parseContainerCgroup('/user.slice/user-1000.slice/session-2.scope')).toBeNull();
  });
});

describe.each(rootkitKernels)('queries and the container-escape playbook on a store of the rootkit-dev %s dump', (kernel) => {
  let gt: Gt;
  const TABLES: TableName[] = ['process', 'socket', 'container', 'mount'];
  const playbooks = loadPlaybooks().filter((p) => p.id === 'linux-container-host-namespace' || p.id === 'linux-container-host-filesystem');
  let dir: string;

  async function storeOf(eng: OsEngine, snapshot: string): Promise<void> {
    await analyzeTables(eng, dir, TABLES, { fileName: (t) => tableFileRelative(t, { project: 'lab', machine: 'memq-dev', snapshot }) });
  }
  /** container ids each playbook fired on */
  async function hunt(snapshot: string): Promise<Record<string, string[]>> {
    const store = openLocalStore(dir);
    try {
      const rep = await runHunt(async (text) => {
        const r = await runQuery(store, text, { snapshots: [snapshot] });
        return { columns: r.columns.map((c) => c.name), rows: r.rows };
      }, playbooks);
      expect(rep.errors).toBe(0);
      const out: Record<string, string[]> = {};
      for (const r of rep.results) out[r.id] = r.queries.flatMap((q) => q.rows.map((row) => String((row as Record<string, unknown>).container_id))).sort();
      return out;
    } finally {
      store.close();
    }
  }

  let file: string;
  beforeAll(async () => {
    const img = await rootkitGt(kernel);
    gt = img.gt;
    file = img.kdump;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-containers-'));
    const eng = await openDump(file);
    try {
      await storeOf(eng, 'as-captured');
    } finally {
      eng.mem.close();
    }
  }, ROOTKIT_IMAGE_TIMEOUT_MS);
  afterAll(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

  test('process.container_object.runtime == "containerd" && process.socket_object.state == "LISTEN" returns the pods\' listeners', async () => {
    // ground truth: members of containerd containers that own a LISTEN socket in their network namespace
    const want = gt.containers
      .filter((c) => c.runtime === 'containerd')
      .flatMap((c) => c.pids)
      .filter((pid) => {
        const net = gt.processes.find((p) => p.pid === pid)!.net ?? {};
        return Object.values(net).some((l) => Array.isArray(l) && l.some((s) => s.state === 'LISTEN' && s.owners.some((o) => o.pid === pid)));
      });
    expect(want.length).toBeGreaterThan(0);
    const store = openLocalStore(dir);
    try {
      const r = await runQuery(store, 'process.container_object.runtime == "containerd" && process.socket_object.state == "LISTEN"', {});
      expect(r.rows.map((x) => (x as Record<string, unknown>).process_id).sort()).toEqual(want.sort());
      const c = await runQuery(store, 'select container.container_object.container_id, container.process_object.ns_pid where container.process_object.name == "nginx"', {});
      const docker = gt.containers.find((x) => x.runtime === 'docker')!;
      const nspids = docker.pids.filter((pid) => gt.processes.find((p) => p.pid === pid)!.task_comm === 'nginx').map((pid) => gt.processes.find((p) => p.pid === pid)!.nspid!.at(-1));
      expect(c.rows.map((x) => (x as Record<string, unknown>).ns_pid).sort()).toEqual(nspids.sort());
      expect(new Set(c.rows.map((x) => (x as Record<string, unknown>).container_id))).toEqual(new Set([docker.id]));
      const m = await runQuery(store, 'process.mount_object.fs_type == "overlay" && process.process_object.container_id != null', {});
      expect(m.rows.map((x) => (x as Record<string, unknown>).process_id).sort()).toEqual(gt.containers.flatMap((x) => x.pids).sort());
    } finally {
      store.close();
    }
  });

  test('the host-namespace playbook is silent as captured and fires on exactly the container whose process joins the host namespaces; the host-filesystem one fires on the chroot-only containers', async () => {
    expect(playbooks.map((p) => p.attack)).toEqual([['T1611'], ['T1611']]);
    // as captured: no container shares the host's pid, network or mount namespace (ground truth)
    const host = gt.processes.find((p) => p.pid === 1)!.ns!;
    const escaped = gt.containers.filter((c) => c.pids.some((pid) => ['pid', 'net', 'mnt'].some((k) => gt.processes.find((p) => p.pid === pid)!.ns![k] === host[k])));
    expect(escaped).toEqual([]);
    const chrooted = gt.containers.map((c) => c.id).sort(); // README: both are chroot'ed into their overlay
    expect(await hunt('as-captured')).toEqual({ 'linux-container-host-namespace': [], 'linux-container-host-filesystem': chrooted });

    // nsenter-style escape: the redis pod's nc (not its init) gets pid 1's nsproxy (net, mnt, uts, ipc of the host)
    const base = (await openDump(file)) as LinuxEngine;
    const ov = new OverlayMemory(await openDumpFile(file));
    try {
      const v = base.ctx.v;
      const rows = base.extract('process');
      const task = (pid: number) => rows.find((p) => p.process_id === pid)!.object_address;
      const redis = gt.containers.find((c) => c.runtime === 'containerd')!;
      const victim = redis.pids.find((p) => p !== redis.init_pid)!;
      const nsproxyOff = BigInt(v.off('task_struct', 'nsproxy'));
      const at = base.k.space.translate(task(victim) + nsproxyOff)!;
      ov.writeU64(at, v.ptr(task(1) + nsproxyOff));
      const eng = openEngine(ov);
      const moved = eng.extract('process').find((p) => p.process_id === victim)!;
      expect([moved.net_ns, moved.mnt_ns, moved.container_id]).toEqual([host.net, host.mnt, redis.id]);
      await storeOf(eng, 'escaped');
      expect(await hunt('escaped')).toEqual({ 'linux-container-host-namespace': [redis.id], 'linux-container-host-filesystem': chrooted });
    } finally {
      base.mem.close();
    }
  });
});

const plain: [string, () => Promise<string>][] = [
  ['linux-dev', () => dumpPath('6.1', 'memory.kdump')],
  ['linux-dev-6.12', () => dumpPath('6.12', 'memory.kdump')],
  ['linux-dev-arm64', async () => path.join(IMAGES, 'linux-dev-arm64', 'memory.kdump')],
];

describe.each(plain)('%s (host only): namespaces, cgroup, mounts', (dir, file) => {
  const gt = readGt(dir);
  let eng: OsEngine;
  beforeAll(async () => {
    eng = await openDump(await file());
  });
  afterAll(() => eng?.mem.close());

  test('every process: root cgroup "/", pid = ns_pid, the initial namespaces, no container', () => {
    const rows = eng.extract('process');
    const byPid = new Map(rows.map((r) => [r.process_id, r]));
    const p1 = byPid.get(1)!;
    for (const p of gt.processes) {
      const r = byPid.get(p.pid)!;
      expect([p.pid, r.cgroup_path, r.ns_pid, r.container_id]).toEqual([p.pid, '/', p.pid, null]);
      for (const [col, key] of NS_COLUMNS) {
        if (key in INIT_INO) expect([p.pid, col, r[col]]).toEqual([p.pid, col, INIT_INO[key as keyof typeof INIT_INO]]);
      }
      expect([p.pid, r.net_ns]).toEqual([p.pid, p1.net_ns]);
      // devtmpfs' kernel thread mounts its own namespace (it does on every kernel here)
      if (p.task_comm !== 'kdevtmpfs') expect([p.pid, r.mnt_ns]).toEqual([p.pid, p1.mnt_ns]);
    }
    expect(eng.extract('container')).toEqual([]);
  });

  test('the host mount namespace lists /proc/mounts', () => expectHostMounts(eng, gt));
});

describe.each(rootkitKernels)('hostile input: corrupted namespace, cgroup and mount structures (copy-on-write overlay of the rootkit-dev %s dump)', (kernel) => {
  test('a kernfs parent cycle, an absurd pid level and a cyclic mount list or tree are cut with warnings, the rest is intact', async () => {
    const { gt, kdump: file } = await rootkitGt(kernel);
    const base = (await openDump(file)) as LinuxEngine;
    const ov = new OverlayMemory(await openDumpFile(file));
    try {
      const v = base.ctx.v;
      const pa = (va: bigint) => base.k.space.translate(va)!;
      const procs = base.extract('process');
      const task = (pid: number) => procs.find((p) => p.process_id === pid)!.object_address;
      const docker = gt.containers.find((c) => c.runtime === 'docker')!;
      const redis = gt.containers.find((c) => c.runtime === 'containerd')!;
      // 1. the docker scope's kernfs node becomes its own parent
      const cset = v.p(task(docker.init_pid), 'task_struct', 'cgroups');
      const kn = v.p(v.p(cset, 'css_set', 'dfl_cgrp'), 'cgroup', 'kn');
      ov.writeU64(pa(kn + BigInt(v.off('kernfs_node', 'parent'))), kn);
      // 2. the redis init's struct pid claims 1000 nesting levels
      const pid = v.p(task(redis.init_pid), 'task_struct', 'thread_pid');
      const lvl = Buffer.alloc(4);
      lvl.writeUInt32LE(1000);
      ov.write(pa(pid + BigInt(v.off('pid', 'level'))), lvl);
      // 3. up to 6.7 (a list): the second mount of the redis mount namespace points back at the first (a
      // cycle without the anchor), so the walk keeps the first two; since 6.8 (an rb-tree keyed by mount
      // id): the root node's left child is the root itself, so the in-order walk keeps the root and what
      // follows it (the mounts from the root's on, in the base dump's order)
      const mntNs = v.p(v.p(task(redis.init_pid), 'task_struct', 'nsproxy'), 'nsproxy', 'mnt_ns');
      const redisNs = procs.find((p) => p.process_id === redis.init_pid)!.mnt_ns;
      const baseMounts = base.extract('mount').filter((m) => m.mnt_ns === redisNs);
      let keep: Row<'mount'>[];
      if (v.has('mnt_namespace', 'list')) {
        const first = v.ptr(mntNs + BigInt(v.off('mnt_namespace', 'list')));
        const second = v.ptr(first);
        ov.writeU64(pa(second), first);
        keep = baseMounts.slice(0, 2);
      } else {
        const root = v.ptr(mntNs + BigInt(v.off('mnt_namespace', 'mounts')));
        ov.writeU64(pa(root + BigInt(v.off('rb_node', 'rb_left'))), root);
        const at = baseMounts.findIndex((m) => m.object_address === root - BigInt(v.off('mount', 'mnt_node')));
        expect(at).toBeGreaterThan(0); // the root has a left subtree that is now cut
        keep = baseMounts.slice(at);
      }

      const eng = openEngine(ov) as LinuxEngine;
      const rows = eng.extract('process');
      const byPid = new Map(rows.map((r) => [r.process_id, r]));
      expect(rows.length).toBe(procs.length);
      for (const p of docker.pids) expect([p, byPid.get(p)!.cgroup_path, byPid.get(p)!.container_id]).toEqual([p, null, null]);
      expect([byPid.get(redis.init_pid)!.ns_pid, byPid.get(redis.init_pid)!.pid_ns]).toEqual([null, null]);
      expect(byPid.get(redis.init_pid)!.container_id).toBe(redis.id); // the cgroup is intact
      expect(eng.extract('container').map((c) => c.container_id)).toEqual([redis.id]);
      const mounts = eng.extract('mount');
      expect(byPid.get(redis.init_pid)!.mnt_ns).toBe(redisNs);
      expect(mounts.filter((m) => m.mnt_ns === redisNs).map((m) => m.mount_id)).toEqual(keep.map((m) => m.mount_id));
      expect(mounts.filter((m) => m.mnt_ns === byPid.get(1)!.mnt_ns).length).toBe(base.extract('mount').filter((m) => m.mnt_ns === byPid.get(1)!.mnt_ns).length);
      expect(eng.warnings.some((w) => /kernfs parent chain deeper than/.test(w))).toBe(true);
      expect(eng.warnings.some((w) => /mounts of namespace .* cycle/.test(w))).toBe(true);
    } finally {
      base.mem.close();
    }
  });
});
