// Rootkit and injection playbooks on real memory: the dev dump (memory.kdump) is patched through a
// copy-on-write overlay (test/support/overlay.ts, the Linux robustness tests' tool) the way the
// attacks would change it — veth unlinked from the module list, sys_call_table[execve] pointed into
// a module, an anonymous mapping of the miner made executable, PATH in every environment overwritten
// with an LD_PRELOAD of the same length, HISTFILE set to /dev/null, agetty re-parented, a kernel log
// record rewritten to a taint message, the nc pair renamed "sh", a /dev/tcp/ path in syslogd's argv,
// the miner unlinked from the task list —
// analyzed by the real engine into a store, and hunted.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openDumpFile } from '../../lib/image/open';
import { scanRam } from '../../lib/image/physical';
import { openDump, openEngine } from '../../lib/os/open';
import type { LinuxEngine } from '../../lib/os/linux';
import { analyzeTables } from '../../lib/store/analyze';
import { tableFileRelative } from '../../lib/store/store';
import { openLocalStore, runQuery } from '../../lib/engine';
import { tableNames } from '../../lib/model';
import { loadPlaybooks } from '../../lib/hunt/loader';
import { runHunt } from '../../lib/hunt/runner';
import { OverlayMemory } from '../support/overlay';
import { dumpPath, groundTruth, imagesAvailable, describeWithImages } from '../support/dumps';
import { gtPid, hitKey } from './fixtures';

const maybe = describeWithImages;
jest.setTimeout(300_000);

const PATH_ENV = 'PATH=/usr/sbin:/usr/bin:/sbin:/bin';
const PRELOAD = 'LD_PRELOAD=/tmp/.hidden/libhide.so'; // same length: the environment block keeps its shape

maybe('rootkit/injection playbooks on the patched real dev dump', () => {
  test('each patched behaviour fires its playbook, on exactly the patched objects', async () => {
    expect(PRELOAD.length).toBe(PATH_ENV.length);
    const file = await dumpPath('6.1', 'memory.kdump');
    const base = (await openDump(file)) as LinuxEngine;
    const ov = new OverlayMemory(await openDumpFile(file));
    const pa = (va: bigint) => {
      const p = base.k.space.translate(va);
      if (p === null) throw new Error(`unmapped ${va.toString(16)}`);
      return p;
    };
    const v = base.ctx.v;

    // 1. list_del of veth from the module list, without poisoning (what rootkits do)
    const mods = base.extract('kernel_module');
    const listOff = BigInt(v.off('module', 'list'));
    const veth = mods.find((m) => m.name === 'veth')!.object_address!;
    const next = v.ptr(veth + listOff);
    const prev = v.ptr(veth + listOff + 8n);
    ov.writeU64(pa(prev), next);
    ov.writeU64(pa(next + 8n), prev);

    // 2. sys_call_table[59] (execve) → code inside the dummy module
    const table = base.k.syms.require('sys_call_table');
    ov.writeU64(pa(table + 59n * 8n), mods.find((m) => m.name === 'dummy')!.base + 0x40n);

    // 3. the miner's first anonymous rw- mapping gets VM_EXEC (0x4): writable + executable
    const miner = gtPid('evil_miner');
    const anon = base.extract('vma').find((m) => m.process_id === miner && m.kind === 'anon' && m.protection === 'rw-p')!;
    const flagsAt = anon.object_address + BigInt(v.off('vm_area_struct', 'vm_flags'));
    ov.writeU64(pa(flagsAt), BigInt(anon.flags) | 0x4n);

    // 4. every copy of the PATH string in RAM becomes an LD_PRELOAD of the same length
    const needle = Buffer.from(PATH_ENV + '\0', 'latin1');
    const patches: number[] = [];
    for (const [at, chunk] of scanRam(ov.inner)) {
      for (let i = chunk.indexOf(needle); i >= 0; i = chunk.indexOf(needle, i + 1)) patches.push(at + i);
    }
    for (const p of patches) ov.write(p, Buffer.from(PRELOAD, 'latin1'));

    // 5. HISTFILE pointed at /dev/null (the rest of the old value becomes a filler variable)
    const HIST = 'HISTFILE=/root/.bash_history';
    const NOHIST = 'HISTFILE=/dev/null\0X=0000000';
    expect(NOHIST.length).toBe(HIST.length);
    // 6. agetty re-parented to httpd (task_struct.real_parent)
    const procs = base.extract('process');
    const task = (pid: number) => procs.find((p) => p.process_id === pid)!.object_address;
    ov.writeU64(pa(task(gtPid('agetty')) + BigInt(v.off('task_struct', 'real_parent'))), task(gtPid('httpd')));
    // 7. a kernel log record rewritten to the out-of-tree taint message (same length, in place)
    const TAINT = 'loading out-of-tree module taints kernel.';
    const victim = base.extract('kernel_log').find((r) => r.message.length >= TAINT.length + 4 && r.message.startsWith('ACPI: '))!;
    // 8. the two nc processes renamed "sh" (task_struct.comm): shells holding TCP sockets
    for (const role of ['nc_listener', 'nc_client']) ov.write(pa(task(gtPid(role)) + BigInt(v.off('task_struct', 'comm'))), Buffer.from('sh\0'));
    // 9. syslogd's argv "/var/log/messages" → "/dev/tcp/10.0.0.1" (same length)
    const SYSLOG_ARG = '\0-O\0/var/log/messages\0';
    const DEVTCP_ARG = '\0-O\0/dev/tcp/10.0.0.1\0';
    for (const [from, to] of [[HIST, NOHIST], [victim.message, TAINT + victim.message.slice(TAINT.length)], [SYSLOG_ARG, DEVTCP_ARG]]) {
      const find = Buffer.from(from, 'latin1');
      const hits: number[] = [];
      for (const [at, chunk] of scanRam(ov.inner)) {
        for (let i = chunk.indexOf(find); i >= 0; i = chunk.indexOf(find, i + 1)) hits.push(at + i);
      }
      expect(hits.length).toBeGreaterThan(0);
      for (const p of hits) ov.write(p, Buffer.from(to, 'latin1'));
    }

    // 10. the miner unlinked from init_task.tasks (DKOM); it keeps its PID, so the IDR still has it
    const tasksOff = BigInt(v.off('task_struct', 'tasks'));
    const minerNode = task(miner) + tasksOff;
    const tNext = v.ptr(minerNode);
    const tPrev = v.ptr(minerNode + 8n);
    ov.writeU64(pa(tPrev), tNext);
    ov.writeU64(pa(tNext + 8n), tPrev);

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-hunt-rootkit-'));
    const ref = { project: 'lab', machine: 'memq-dev', snapshot: 'patched' };
    const store = openLocalStore(dir);
    try {
      const eng = openEngine(ov);
      await analyzeTables(eng, dir, tableNames, { fileName: (t) => tableFileRelative(t, ref) });
      const playbooks = loadPlaybooks();
      const rep = await runHunt(async (text) => {
        const r = await runQuery(store, text, {});
        return { columns: r.columns.map((c) => c.name), rows: r.rows };
      }, playbooks);
      expect(rep.errors).toBe(0);
      const got: Record<string, string[]> = {};
      for (const r of rep.results) got[r.id] = [...new Set(r.queries.flatMap((q) => q.rows.map(hitKey)))].sort();

      expect(got['hidden-kernel-module']).toEqual(['veth']);
      expect(got['linux-syscall-hook']).toEqual(['x64:59']);
      expect(got['wx-anonymous-memory']).toEqual([String(miner)]);
      // ground truth: the processes whose environment held that PATH
      const withPath = groundTruth('6.1')
        .processes.filter((p) => ((p as { environ?: string[] }).environ ?? []).includes(PATH_ENV))
        .map((p) => String(p.pid))
        .sort();
      expect(withPath.length).toBeGreaterThan(3);
      expect(got['linux-ld-preload']).toEqual(withPath);
      const withHist = groundTruth('6.1')
        .processes.filter((p) => ((p as { environ?: string[] }).environ ?? []).includes(HIST))
        .map((p) => String(p.pid));
      expect(withHist).toEqual([String(gtPid('shell'))]);
      expect(got['linux-history-tampering']).toEqual(withHist);
      expect(got['linux-unusual-parent-getty-sshd']).toEqual([String(gtPid('agetty'))]);
      expect(got['linux-unsigned-module-taint']).toEqual([String(victim.sequence)]);
      expect(got['linux-reverse-shell']).toEqual(['nc_listener', 'nc_client'].map((r) => String(gtPid(r))).sort());
      expect(got['linux-netcat-network']).toEqual([]);
      expect(got['linux-bash-dev-tcp']).toEqual([String(gtPid('syslogd'))]);
      expect(got['hidden-process']).toEqual([String(miner)]);
    } finally {
      store.close();
      fs.rmSync(dir, { recursive: true, force: true });
      base.mem.close();
    }
  });
});
