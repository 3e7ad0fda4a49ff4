// kernel_hook on real dumps: the rootkit-dev dump (a hidden module with a real ftrace IPMODIFY hook,
// two kprobes, a netfilter hook and a keyboard notifier) is checked field by field against
// ground-truth.json `rootkit.hooks` and the guest's own enabled_functions / kprobes list; the clean
// 6.1 and 6.12 dumps must have no suspicious hook and owners that /proc/modules confirms. IDT and tty
// hooks (the test module has none) are planted through the copy-on-write overlay and must be found;
// arm64 works with a System.map and refuses the table with one line without one. The playbooks are
// tested in test/hunt/real-kernel-hooks.test.ts.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { openDump, openEngine } from '../../lib/os/open';
import { openDumpFile } from '../../lib/image/open';
import type { LinuxEngine } from '../../lib/os/linux';
import { ModuleMap } from '../../lib/os/linux/module-map';
import type { Row } from '../../lib/model';
import { MemqError } from '../../lib/util/errors';
import { OverlayMemory } from '../support/overlay';
import { IMAGES, dumpPath, groundTruth, imagesAvailable, type Kernel } from '../support/dumps';

jest.setTimeout(300_000);
const maybe = imagesAvailable() && fs.existsSync(path.join(IMAGES, 'linux-dev-rootkit/memory.kdump')) ? describe : describe.skip;

const RK = path.join(IMAGES, 'linux-dev-rootkit');
type Hook = Row<'kernel_hook'>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const rk: any = JSON.parse(fs.readFileSync(path.join(RK, 'ground-truth.json'), 'utf8')).rootkit;
const B = (s: string) => BigInt(s.startsWith('0x') ? s : `0x${s}`);

maybe('kernel_hook on the rootkit-dev dump', () => {
  let eng: LinuxEngine;
  let rows: Hook[];
  beforeAll(async () => {
    eng = (await openDump(path.join(RK, 'memory.kdump'))) as LinuxEngine;
    rows = eng.extract('kernel_hook');
  });
  afterAll(() => eng?.mem.close());

  const one = (pred: (r: Hook) => boolean, what: string): Hook => {
    const m = rows.filter(pred);
    if (m.length !== 1) throw new Error(`${what}: ${m.length} rows`);
    return m[0];
  };

  test('ground truth has the five hooks of the test module', () => {
    expect(rk.hooks.map((h: { type: string }) => h.type).sort()).toEqual(['ftrace', 'keyboard_notifier', 'kprobe', 'kprobe', 'netfilter']);
    expect(rk.not_done).toEqual([]);
  });

  test('ftrace: the IPMODIFY ops on __x64_sys_getdents64, its callback, replacement, flags and trampoline', () => {
    const g = rk.hooks.find((h: { type: string }) => h.type === 'ftrace');
    const r = one((x) => x.kind === 'ftrace' && x.object_address === B(g.ops_addr), 'ftrace row');
    expect(r.target_symbol).toBe(g.target_symbol);
    expect(r.target_address).toBe(B(g.target_addr));
    expect(r.location).toBe(B(g.target_addr));
    expect(r.handler).toBe(B(g.callback_addr));
    expect(r.handler_symbol).toBe(g.callback_symbol);
    expect(r.redirect).toBe(B(g.handler_addr));
    expect(r.flags).toBe(Number(g.ops_flags));
    expect(r.detail).toContain(`trampoline 0x${B(g.trampoline).toString(16)}`);
    expect(r.detail).toContain('IPMODIFY');
    expect(r.module).toBe(g.module);
    expect(r.module_hidden).toBe(true);
    expect(r.suspicious).toBe(true);
    // the replacement's symbol, from the hidden module's own symbol table
    const mm = new ModuleMap(eng.ctx);
    expect(mm.symbol(r.redirect!)).toBe(g.handler_symbol);
    // a module address resolves in the module's symtab (kallsyms would name the last kernel symbol)
    expect(mm.resolve(r.redirect! + 4n)).toEqual({ name: g.handler_symbol, start: r.redirect, offset: 4n });
    expect(mm.resolve(B(g.target_addr) + 1n)).toEqual({ name: g.target_symbol, start: B(g.target_addr), offset: 1n });
    expect(mm.resolve(B(g.trampoline))).toBeNull();
  });

  test('ftrace rows are exactly the guest\'s enabled_functions: function, trampoline and callback symbol', () => {
    // "<func> (<refs>) R I \ttramp: 0x… (<sym>+0x0/0x60 [mod]) ->…"
    const lines = (rk.raw.enabled_functions as string).trim().split('\n');
    const want = lines.map((l) => {
      const m = /^(\S+) \(\d+\).*tramp: (0x[0-9a-f]+) \(([^+]+)\+0x0\//.exec(l)!;
      return `${m[1]} ${m[2]} ${m[3]}`;
    }).sort();
    const got = rows.filter((r) => r.kind === 'ftrace').map((r) => `${r.target_symbol} ${/trampoline (0x[0-9a-f]+)/.exec(r.detail ?? '')?.[1]} ${r.handler_symbol}`).sort();
    expect(got).toEqual(want);
  });

  test('kprobes: each probe of the module, field by field (ftrace-based and optimized)', () => {
    for (const g of rk.hooks.filter((h: { type: string }) => h.type === 'kprobe')) {
      const r = one((x) => x.kind === 'kprobe' && x.object_address === B(g.kprobe_addr), `kprobe ${g.target_symbol}`);
      expect(r.target_symbol).toBe(g.target_symbol);
      expect(r.target_address).toBe(B(g.target_addr));
      expect(r.target_offset).toBe(g.offset);
      expect(r.location).toBe(B(g.probe_addr));
      expect(r.handler).toBe(B(g.handler_addr));
      expect(r.handler_symbol).toBe(g.handler_symbol);
      expect(r.module).toBe(g.module);
      expect(r.module_hidden).toBe(true);
      expect(r.suspicious).toBe(true);
      expect(r.detail!.split(',')[0]).toBe({ ftrace: 'ftrace-based', optimized: 'optimized' }[g.mode as string]);
      if (g.kprobe_table.startsWith('aggregated by ')) expect(r.detail).toContain(g.kprobe_table);
    }
    // printk: kp_flags of each probe
    for (const line of rk.raw.printk as string[]) {
      const m = /kprobe target=(\S+) offset=\S+ probe_addr=([0-9a-f]+) kprobe=([0-9a-f]+) .*kp_flags=(0x[0-9a-f]+)/.exec(line);
      if (m) expect(one((x) => x.object_address === B(m[3]), m[1]).flags).toBe(Number(m[4]));
    }
  });

  test('every kprobe in the dump\'s kprobe_table (the eBPF program\'s too) and the guest\'s kprobes list', () => {
    const probes = rows.filter((r) => r.kind === 'kprobe' || r.kind === 'kretprobe');
    // kprobe_table_in_dump holds the table's direct entries (an aggregator stands for its probes)
    const direct = rk.kprobe_table_in_dump.map((e: { addr: string }) => B(e.addr)).sort();
    expect(probes.map((r) => r.location!).sort()).toEqual(direct);
    const listed = (rk.raw.kprobes_list as string).trim().split('\n').map((l) => {
      const [addr, , where] = l.trim().split(/\s+/);
      return `${B(addr)} ${where}`;
    }).sort();
    expect(probes.map((r) => `${r.location} ${r.target_symbol}+0x${r.target_offset!.toString(16)}`).sort()).toEqual(listed);
    // the eBPF kprobe (perf kprobe event) runs kernel code: not a rootkit hook
    const bpf = one((r) => r.kind === 'kprobe' && r.target_symbol === 'do_unlinkat', 'do_unlinkat');
    expect(bpf.module).toBe('kernel');
    expect(bpf.handler_symbol).toBe('kprobe_dispatcher');
    expect(bpf.suspicious).toBe(false);
  });

  test('netfilter: the LOCAL_IN hook of init_net with its nf_hook_ops', () => {
    const g = rk.hooks.find((h: { type: string }) => h.type === 'netfilter');
    const r = one((x) => x.kind === 'netfilter' && x.object_address === B(g.ops_addr), 'netfilter row');
    expect(r.target_symbol).toBe(g.target_symbol);
    expect(r.target_address).toBe(B(g.target_addr));
    expect(r.location).toBe(B(g.hooks_slot));
    expect(r.handler).toBe(B(g.handler_addr));
    expect(r.handler_symbol).toBe(g.handler_symbol);
    expect(r.family).toBe({ NFPROTO_IPV4: 'ipv4' }[g.pf_name as string]);
    expect(r.hooknum).toBe(g.hooknum);
    expect(`NF_INET_${r.hook_point}`).toBe(g.hook_name);
    expect(r.priority).toBe(g.priority);
    expect(r.module).toBe(g.module);
    expect(r.suspicious).toBe(true);
    // the dump's own walk of that slot
    const inSlot = rows.filter((x) => x.location === B(g.hooks_slot));
    expect(inSlot.map((x) => [x.handler, x.object_address])).toEqual(g.hook_entries_in_dump.map((e: { hook: string; orig_ops: string }) => [B(e.hook), B(e.orig_ops)]));
  });

  test('keyboard notifier: the module\'s notifier_block on keyboard_notifier_list', () => {
    const g = rk.hooks.find((h: { type: string }) => h.type === 'keyboard_notifier');
    const r = one((x) => x.kind === 'keyboard_notifier' && x.object_address === B(g.notifier_block_addr), 'notifier');
    expect(r.target_symbol).toBe(g.target_symbol);
    expect(r.target_address).toBe(B(g.target_addr));
    expect(r.handler).toBe(B(g.handler_addr));
    expect(r.handler_symbol).toBe(g.handler_symbol);
    expect(r.priority).toBe(g.priority);
    expect(r.module).toBe(g.module);
    expect(r.suspicious).toBe(true);
    expect(r.reason).toContain(`keyboard notifier in module ${g.module}: it sees every keystroke`);
  });

  test('suspicious rows are exactly the module\'s hooks; the owner is the hidden module, found in mod_tree at its real address', () => {
    const want = rk.hooks.map((h: { type: string; target_symbol: string }) => `${h.type}:${h.target_symbol}`).sort();
    expect(rows.filter((r) => r.suspicious).map((r) => `${r.kind}:${r.target_symbol}`).sort()).toEqual(want);
    for (const r of rows.filter((x) => !x.suspicious)) expect(r.module).toBe('kernel');
    const mm = new ModuleMap(eng.ctx);
    const m = mm.modules.find((x) => x.name === rk.module.name)!;
    expect(m.addr).toBe(B(rk.module.this_module));
    expect(m.listed).toBe(false);
    expect(m.ranges[0].start).toBe(B(rk.module.core_base));
    expect(m.ranges.filter((x) => x.start < B(rk.module.core_base) + BigInt(rk.module.core_size)).reduce((n, x) => n + Number(x.end - x.start), 0)).toBe(rk.module.core_size);
    // the listed modules are the dump's module list
    expect(mm.modules.filter((x) => x.listed).map((x) => [x.name, x.addr]).sort()).toEqual(
      rk.module.modules_list_in_dump.map((x: { name: string; struct_module: string }) => [x.name, B(x.struct_module)]).sort(),
    );
  });

  test('planted IDT, tty, line-discipline, netdev ingress, tracepoint and kretprobe hooks (overlay) are found with their owners', async () => {
    const ov = new OverlayMemory(await openDumpFile(path.join(RK, 'memory.kdump')));
    const pa = (va: bigint) => {
      const p = eng.k.space.translate(va);
      if (p === null) throw new Error(`unmapped ${va.toString(16)}`);
      return p;
    };
    const v = eng.ctx.v;
    const mods = new ModuleMap(eng.ctx);
    const dummy = mods.modules.find((m) => m.name === 'dummy')!.ranges[0].start + 0x40n;
    // IDT vector 3 (int3) → code in the listed module `dummy`: offset_low/middle/high of the gate
    const gate = eng.k.syms.require('idt_table') + 3n * 16n;
    const g = Buffer.alloc(12);
    ov.write(pa(gate), Buffer.from([Number(dummy & 0xffn), Number((dummy >> 8n) & 0xffn)]));
    g.writeUInt16LE(Number((dummy >> 16n) & 0xffffn), 0);
    g.writeUInt32LE(Number(dummy >> 32n), 2);
    ov.write(pa(gate + 6n), g.subarray(0, 6));
    // the first tty driver's write() → the ftrace trampoline page (module memory that is no module)
    const tramp = B(rk.hooks.find((h: { type: string }) => h.type === 'ftrace').trampoline);
    const drv = v.ptr(eng.k.syms.require('tty_drivers')) - BigInt(v.off('tty_driver', 'tty_drivers'));
    const ops = v.p(drv, 'tty_driver', 'ops');
    const writeSlot = ops + BigInt(v.off('tty_operations', 'write'));
    ov.writeU64(pa(writeSlot), tramp);
    // N_TTY's receive_buf → the hidden module's keyboard handler
    const kbd = B(rk.hooks.find((h: { type: string }) => h.type === 'keyboard_notifier').handler_addr);
    const ntty = v.ptr(eng.k.syms.require('tty_ldiscs'));
    const rbSlot = ntty + BigInt(v.off('tty_ldisc_ops', 'receive_buf'));
    ov.writeU64(pa(rbSlot), kbd);

    // the first device of init_net (lo) gets the module's LOCAL_IN nf_hook_entries as its ingress hooks
    const nfGt = rk.hooks.find((h: { type: string }) => h.type === 'netfilter');
    const initNet = B(nfGt.target_addr);
    const lo = v.ptr(initNet + BigInt(v.off('net', 'dev_base_head'))) - BigInt(v.off('net_device', 'dev_list'));
    const loName = v.cstr(lo + BigInt(v.off('net_device', 'name')), 16);
    const ingress = lo + BigInt(v.off('net_device', 'nf_hooks_ingress'));
    ov.writeU64(pa(ingress), v.ptr(B(nfGt.hooks_slot)));

    // a probe on the sched_switch tracepoint: funcs → a tracepoint_func array written over the hidden
    // module's keylog buffer { func = its keyboard handler, data 0, prio 10 }, then the NULL terminator
    const tp = eng.k.syms.require('__tracepoint_sched_switch');
    const arr = B(rk.hooks.find((h: { type: string }) => h.type === 'keyboard_notifier').keylog_addr);
    const fsz = v.size('tracepoint_func');
    const tf = Buffer.alloc(fsz * 2);
    tf.writeBigUInt64LE(kbd, v.off('tracepoint_func', 'func'));
    tf.writeInt32LE(10, v.off('tracepoint_func', 'prio'));
    ov.write(pa(arr), tf);
    ov.writeU64(pa(tp + BigInt(v.off('tracepoint', 'funcs'))), arr);

    // the do_sys_openat2 kprobe turned into a kretprobe: pre_handler = pre_handler_kretprobe, and the
    // struct kretprobe around it (kp first) gets a return handler in the hidden module
    const kpGt = rk.hooks.find((h: { type: string; target_symbol: string }) => h.type === 'kprobe' && h.target_symbol === 'do_sys_openat2');
    const kpAddr = B(kpGt.kprobe_addr);
    const rp = kpAddr - BigInt(v.off('kretprobe', 'kp'));
    const retHandler = B(kpGt.handler_addr) + 0x20n; // memqtk_nf_hook: any code of the module
    ov.writeU64(pa(kpAddr + BigInt(v.off('kprobe', 'pre_handler'))), eng.k.syms.require('pre_handler_kretprobe'));
    ov.writeU64(pa(rp + BigInt(v.off('kretprobe', 'handler'))), retHandler);

    const patched = openEngine(ov) as LinuxEngine;
    try {
      const all = patched.extract('kernel_hook');
      expect(all.filter((r) => r.kind === 'kretprobe').map((r) => [r.target_symbol, r.location, r.object_address, r.handler, r.module, r.suspicious])).toEqual([
        ['do_sys_openat2', B(kpGt.probe_addr), rp, retHandler, rk.module.name, true],
      ]);
      expect(all.filter((r) => r.kind === 'tracepoint').map((r) => [r.target_symbol, r.target_address, r.location, r.handler, r.handler_symbol, r.priority, r.module, r.suspicious])).toEqual([
        ['sched_switch', tp, arr, kbd, 'memqtk_kbd_notify', 10, rk.module.name, true],
      ]);
      const dev = all.filter((r) => r.location === ingress);
      expect(dev.map((r) => [r.kind, r.target_symbol, r.target_address, r.hook_point, r.handler, r.handler_symbol, r.object_address, r.module, r.suspicious])).toEqual([
        ['netfilter', `${loName} in init_net`, lo, 'INGRESS', B(nfGt.handler_addr), nfGt.handler_symbol, B(nfGt.ops_addr), rk.module.name, true],
      ]);
      expect(loName).toBe('lo');
      const got = all.filter((r) => ['idt', 'tty_ops', 'tty_ldisc'].includes(r.kind));
      expect(got.map((r) => [r.kind, r.location, r.handler, r.module, r.module_hidden, r.suspicious, r.hook_point])).toEqual([
        ['idt', gate, dummy, 'dummy', false, true, 'vector 3'],
        ['tty_ops', writeSlot, tramp, null, false, true, 'write'],
        ['tty_ldisc', rbSlot, kbd, rk.module.name, true, true, 'receive_buf'],
      ]);
      expect(got[0].hooknum).toBe(3);
      expect(got[0].reason).toContain('IDT gate outside the kernel text');
      expect(got[1].reason).toContain('no module');
      expect(got[2].target_symbol).toBe('n_tty');
      expect(got[2].handler_symbol).toBe('memqtk_kbd_notify');
      expect(got[2].reason).toContain('hidden from the module list');
    } finally {
      patched.mem.close();
    }
  });
});

maybe('kernel_hook: an ftrace_ops unlinked from ftrace_ops_list (overlay)', () => {
  test('its patched call site still calls its trampoline, which leads back to the ops, its callback and the hidden module', async () => {
    const base = (await openDump(path.join(RK, 'memory.kdump'))) as LinuxEngine;
    const ov = new OverlayMemory(await openDumpFile(path.join(RK, 'memory.kdump')));
    const pa = (va: bigint) => {
      const p = base.k.space.translate(va);
      if (p === null) throw new Error(`unmapped ${va.toString(16)}`);
      return p;
    };
    const v = base.ctx.v;
    const g = rk.hooks.find((h: { type: string }) => h.type === 'ftrace');
    const ops = B(g.ops_addr);
    const nextOff = BigInt(v.off('ftrace_ops', 'next'));
    // the slot that points at the module's ops: ftrace_ops_list itself or the previous ops' next
    let slot = base.k.syms.require('ftrace_ops_list');
    for (let i = 0; i < 64 && v.ptr(slot) !== ops; i++) slot = v.ptr(slot) + nextOff;
    expect(v.ptr(slot)).toBe(ops);
    ov.writeU64(pa(slot), v.ptr(ops + nextOff));
    base.mem.close();
    const eng = openEngine(ov) as LinuxEngine;
    try {
      const rows = eng.extract('kernel_hook').filter((r) => r.kind === 'ftrace' && r.target_symbol === g.target_symbol);
      // the ops is found again through the pointer its trampoline keeps, and with it the callback and replacement
      expect(B(g.target_call_dest)).toBe(B(g.trampoline));
      expect(rows.map((r) => [r.location, r.object_address, r.handler, r.handler_symbol, r.redirect, r.flags, r.module, r.module_hidden, r.suspicious])).toEqual([
        [B(g.target_addr), ops, B(g.callback_addr), g.callback_symbol, B(g.handler_addr), Number(g.ops_flags), g.module, true, true],
      ]);
      expect(rows[0].detail).toBe(`enabled ftrace site calls trampoline ${g.trampoline} of ftrace_ops ${g.ops_addr}, which is not on ftrace_ops_list`);
      expect(rows[0].reason).toContain('patched ftrace call site owned by no registered ftrace_ops (unlinked ops)');
    } finally {
      eng.mem.close();
    }
  });
});

maybe('kernel_hook on a corrupted rootkit-dev dump (hostile input)', () => {
  test('cycles in every chain and an absurd hook count are cut with warnings; the hooks are still found', async () => {
    const base = (await openDump(path.join(RK, 'memory.kdump'))) as LinuxEngine;
    const ov = new OverlayMemory(await openDumpFile(path.join(RK, 'memory.kdump')));
    const pa = (va: bigint) => {
      const p = base.k.space.translate(va);
      if (p === null) throw new Error(`unmapped ${va.toString(16)}`);
      return p;
    };
    const v = base.ctx.v;
    const hook = (t: string) => rk.hooks.find((h: { type: string }) => h.type === t);
    // ftrace_ops.next → itself
    const ops = B(hook('ftrace').ops_addr);
    ov.writeU64(pa(ops + BigInt(v.off('ftrace_ops', 'next'))), ops);
    // the do_sys_openat2 kprobe's hlist.next → itself
    const kp = B(hook('kprobe').kprobe_addr);
    ov.writeU64(pa(kp + BigInt(v.off('kprobe', 'hlist'))), kp + BigInt(v.off('kprobe', 'hlist')));
    // the keyboard notifier_block.next → itself
    const nb = B(hook('keyboard_notifier').notifier_block_addr);
    ov.writeU64(pa(nb + BigInt(v.off('notifier_block', 'next'))), nb);
    // init_net ipv6 POST_ROUTING: nf_hook_entries.num = 0xffff
    const slot = B(hook('netfilter').target_addr) + BigInt(v.off('net', 'nf.hooks_ipv6')) + 4n * 8n;
    const entries = v.ptr(slot);
    ov.write(pa(entries + BigInt(v.off('nf_hook_entries', 'num_hook_entries'))), Buffer.from([0xff, 0xff]));
    // mod_tree: the root node's left child → itself
    const root = v.ptr(base.k.syms.require('mod_tree') + BigInt(v.off('mod_tree_root', 'root') + v.off('latch_tree_root', 'tree')));
    ov.writeU64(pa(root + BigInt(v.off('rb_node', 'rb_left'))), root);
    // …and its struct module pointer → init_net (no struct module there)
    const rootMod = root - BigInt(v.off('mod_tree_node', 'node')) + BigInt(v.off('mod_tree_node', 'mod'));
    ov.writeU64(pa(rootMod), B(hook('netfilter').target_addr));
    base.mem.close();

    const eng = openEngine(ov) as LinuxEngine;
    try {
      const rows = eng.extract('kernel_hook');
      // the cut list loses the kprobe ftrace ops behind the module's: its two patched sites are still
      // seen (call-site check), traced back through their trampoline to kprobe_ftrace_handler
      const lost = rows.filter((r) => r.reason?.includes('owned by no registered ftrace_ops'));
      expect(lost.map((r) => [r.target_symbol, r.handler_symbol, r.module]).sort()).toEqual([['do_sys_openat2', 'kprobe_ftrace_handler', 'kernel'], ['do_unlinkat', 'kprobe_ftrace_handler', 'kernel']]);
      expect(rows.filter((r) => r.suspicious && !lost.includes(r)).map((r) => `${r.kind}:${r.target_symbol}`).sort()).toEqual(
        rk.hooks.map((h: { type: string; target_symbol: string }) => `${h.type}:${h.target_symbol}`).sort(),
      );
      expect(rows.filter((r) => r.location === slot)).toEqual([]);
      const w = eng.warnings.join('\n');
      expect(w).toMatch(/ftrace_ops_list: cycle at /);
      expect(w).toMatch(/claims 65535 entries — skipped/);
      expect(w).toMatch(/kprobe_table\[\d+\]: cycle at /);
      expect(w).toMatch(/keyboard_notifier_list: cycle at /);
      expect(w).toMatch(/module map: 0x[0-9a-f]+ is no struct module/);
    } finally {
      eng.mem.close();
    }
  });
});

maybe('memq hooks (CLI)', () => {
  test('prints the table; --format json gives the rows with the verdict', () => {
    const run = (...args: string[]) => spawnSync(process.execPath, [path.resolve(__dirname, '../../bin/memq.js'), 'hooks', path.join(RK, 'memory.kdump'), ...args], { encoding: 'utf8', env: { ...process.env, MEMQ_PROGRESS: '0' }, maxBuffer: 64 << 20 });
    const t = run();
    expect(t.status).toBe(0);
    expect(t.stdout.split('\n')[0]).toMatch(/^kind +target_symbol +family +hook_point +handler +handler_symbol +module +suspicious +reason$/);
    expect(t.stdout).toMatch(/\nkeyboard_notifier +keyboard_notifier_list +- +- +0xffffffffc0243040 +memqtk_kbd_notify +memq_testkit +true +/);
    const json = JSON.parse(run('--format', 'json').stdout) as { kind: string; target_symbol: string; suspicious: boolean }[];
    expect(json.filter((r) => r.suspicious).map((r) => `${r.kind}:${r.target_symbol}`).sort()).toEqual(
      rk.hooks.map((h: { type: string; target_symbol: string }) => `${h.type}:${h.target_symbol}`).sort(),
    );
  });
});

describe.each(['6.1', '6.12'] as Kernel[])('kernel_hook on the clean %s dump', (kernel) => {
  const run = imagesAvailable() ? test : test.skip;
  run('no suspicious hook; every module the tree knows is a /proc/modules module at its address', async () => {
    const eng = (await openDump(await dumpPath(kernel, 'memory.kdump'))) as LinuxEngine;
    try {
      const rows = eng.extract('kernel_hook');
      expect(rows.filter((r) => r.suspicious)).toEqual([]);
      for (const r of rows) expect(r.module).toBe('kernel');
      expect(rows.filter((r) => r.kind === 'idt' || r.kind.startsWith('tty'))).toEqual([]);
      // the kernel's own netfilter hooks have a symbol and nf_hook_ops
      for (const r of rows.filter((x) => x.kind === 'netfilter')) {
        expect(r.handler_symbol).toMatch(/^[a-z_0-9]+$/);
        expect(r.object_address).not.toBeNull();
      }
      const mm = new ModuleMap(eng.ctx);
      expect(mm.source).toBe('mod_tree + modules list');
      const gtMods = groundTruth(kernel).modules;
      expect(mm.modules.map((m) => m.name).sort()).toEqual(gtMods.map((m) => m.name).sort());
      for (const m of gtMods) {
        const o = mm.owner(B(m.address!) + 0x10n);
        expect(o.module?.name).toBe(m.name);
        expect(o.module?.listed).toBe(true);
        expect(mm.modules.find((x) => x.name === m.name)!.ranges.reduce((n, r) => n + Number(r.end - r.start), 0)).toBe(m.size);
      }
    } finally {
      eng.mem.close();
    }
  });
});

describe('kernel_hook on arm64', () => {
  const A64 = path.join(IMAGES, 'linux-dev-arm64');
  const run = fs.existsSync(path.join(A64, 'memory.kdump')) ? test : test.skip;
  run('without data symbols in kallsyms (CONFIG_KALLSYMS_ALL off) it refuses with one line naming the way out', async () => {
    const eng = await openDump(path.join(A64, 'memory.kdump'));
    try {
      expect(() => eng.extract('kernel_hook')).toThrow(new MemqError(
        "ARM64 Linux: kernel_hook needs the kernel's data symbols (ftrace_ops_list, kprobe_table, net_namespace_list, mod_tree or modules …), which kallsyms in this dump lacks (CONFIG_KALLSYMS_ALL off); pass --system-map <System.map of this kernel>",
      ));
    } finally {
      eng.mem.close();
    }
  });
  run('with the System.map: no suspicious hook, kernel-owned rows, mod_tree = /proc/modules', async () => {
    const eng = (await openDump(path.join(A64, 'memory.kdump'), { systemMap: path.join(A64, 'System.map-6.1.0-57-arm64') })) as LinuxEngine;
    try {
      const rows = eng.extract('kernel_hook');
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.filter((r) => r.suspicious)).toEqual([]);
      for (const r of rows) expect([r.module, r.handler_symbol]).toEqual(['kernel', expect.stringMatching(/^[a-z_0-9]+$/)]);
      expect(rows.filter((r) => r.kind === 'idt')).toEqual([]);
      const mm = new ModuleMap(eng.ctx);
      const gtMods = JSON.parse(fs.readFileSync(path.join(A64, 'ground-truth.json'), 'utf8')).modules as { name: string; size: number; address: string }[];
      expect(mm.modules.map((m) => [m.name, m.listed]).sort()).toEqual(gtMods.map((m) => [m.name, true]).sort());
      for (const m of gtMods) {
        expect(mm.owner(B(m.address) + 0x10n).module?.name).toBe(m.name);
        expect(mm.modules.find((x) => x.name === m.name)!.ranges.reduce((n, r) => n + Number(r.end - r.start), 0)).toBe(m.size);
      }
    } finally {
      eng.mem.close();
    }
  });
});
