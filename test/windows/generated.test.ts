// The engine over synthetic Windows dumps from the generator in test/windows/gen (written from the ISF
// layouts by separate code): every table is compared with what the generator says it wrote, for
// several builds and for full, bitmap, kernel-bitmap and raw images.
import { generateWindowsDump, type BuildId, type DumpKind, type Truth } from './gen';
import { openDump } from '../../lib/os/open';
import type { WindowsEngine } from '../../lib/os/windows/engine';
import { addr } from '../../lib/util/hex';

const SIZE_MIB = 128;
const SEED = 7;
const STATES = ['initialized', 'ready', 'running', 'standby', 'terminated', 'waiting', 'transition', 'deferred-ready'];
const RWX = ['---', 'r--', '--x', 'r-x', 'rw-', 'rw-', 'rwx', 'rwx'];

const cases: [BuildId, DumpKind][] = [
  ['7601', 'full'], ['7601', 'bitmap'], ['7601', 'raw'],
  ['19041', 'full'], ['19041', 'bitmap'], ['19041', 'raw'], ['19041', 'kernel-bitmap'],
  ['22000', 'full'], ['22000', 'bitmap'], ['22000', 'raw'],
  ['9600', 'full'], ['14393', 'full'], ['17763', 'full'], ['18362', 'full'], ['20348', 'bitmap'],
];

const a = (v: bigint | null | undefined) => (v === null || v === undefined ? null : addr(v));
const byKey = <T>(rows: T[], key: (r: T) => string) => [...rows].sort((x, y) => (key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : 0));

describe.each(cases)('build %s, %s dump', (build, kind) => {
  let eng: WindowsEngine;
  let truth: Truth;
  beforeAll(async () => {
    const g = await generateWindowsDump({ build, kind, sizeMiB: SIZE_MIB, seed: SEED });
    truth = g.truth;
    eng = (await openDump(g.path)) as WindowsEngine;
  }, 300000);
  afterAll(() => eng?.mem.close());

  test('kernel discovery and build identification', () => {
    const info = eng.info();
    expect(info.os).toBe('windows');
    expect(info['windows.kernel_base']).toBe('0x' + BigInt(truth.kernel.kernBase).toString(16));
    expect(BigInt(String(info['windows.dtb']))).toBe(BigInt(truth.kernel.dtb));
    expect(eng.k.layout!.build.guid).toBe(truth.build.pdb.guid);
    expect(info['windows.build']).toBe(truth.build.version);
    expect(info['windows.heuristic_layout']).toBe(false);
    expect(String(info['windows.build_identified_by'])).toContain(truth.build.pdb.guid);
    if (kind === 'raw') expect(String(info['windows.dtb_source'])).toMatch(/low stub|self-referencing/);
    else expect(String(info['windows.dtb_source'])).toMatch(/dump header/);
    expect(a(eng.k.psActiveProcessHead)).toBe(truth.kernel.psActiveProcessHead);
    expect(a(eng.k.psLoadedModuleList)).toBe(truth.kernel.psLoadedModuleList);
  });

  test('processes (list + scan), PEB fields, flags', () => {
    const rows = byKey(eng.extract('process'), (r) => addr(r.object_address));
    const want = byKey(truth.processes, (p) => p.eprocess);
    expect(rows.map((r) => addr(r.object_address))).toEqual(want.map((p) => p.eprocess));
    rows.forEach((r, i) => {
      const p = want[i];
      const user = p.userMemoryPresent;
      expect({
        pid: r.process_id,
        ppid: r.parent_process_id,
        name: r.name,
        cmd: r.command_line,
        exe: r.exe_path,
        create: r.create_time?.toISOString() ?? null,
        exit: r.exit_time?.toISOString() ?? null,
        session: r.session_id,
        wow64: r.is_wow64,
        inList: r.in_process_list,
        threads: r.thread_count,
        state: r.state,
        unusualParent: r.flag_unusual_parent,
        suspiciousPath: r.flag_suspicious_path,
        wx: r.flag_wx_memory,
      }).toEqual({
        pid: p.pid,
        ppid: p.ppid,
        name: p.name.slice(0, 14),
        cmd: user ? (p.commandLine ?? '') : '',
        exe: user ? p.imagePath : null,
        create: ms(p.createTime.iso),
        exit: p.exitTime ? ms(p.exitTime.iso) : null,
        session: p.session,
        wow64: p.wow64,
        inList: p.inActiveList,
        threads: p.threads.length,
        state: p.exited ? 'exited' : 'running',
        unusualParent: p.flags.includes('suspicious-parent'),
        suspiciousPath: user && p.flags.includes('image-outside-system32'),
        wx: user && p.flags.includes('injected-rwx-pe'),
      });
    });
    expect(rows.some((r) => !r.in_process_list)).toBe(true); // the unlinked process is found by scanning
  });

  test('threads', () => {
    const rows = byKey(eng.extract('thread'), (r) => addr(r.object_address));
    const want = byKey(truth.processes.flatMap((p) => p.threads), (t) => t.ethread);
    expect(rows.map((r) => [addr(r.object_address), r.process_id, r.thread_id, a(r.start_address), r.create_time?.toISOString(), r.state])).toEqual(
      want.map((t) => [t.ethread, t.pid, t.tid, BigInt(t.win32StartAddress) ? t.win32StartAddress : t.startAddress, ms(t.createTime.iso), STATES[t.state]]),
    );
  });

  test('VADs', () => {
    const rows = byKey(eng.extract('vma'), (r) => `${r.process_id}/${addr(r.start)}`);
    const want = byKey(
      truth.processes.flatMap((p) => p.vads.map((v) => ({ ...v, pid: p.pid }))),
      (v) => `${v.pid}/${v.start}`,
    );
    expect(rows.map((r) => [r.process_id, addr(r.start), addr(r.end), r.protection, r.kind, r.file_name, addr(r.object_address)])).toEqual(
      want.map((v) => [
        v.pid,
        v.start,
        addr(BigInt(v.end) + 1n),
        RWX[v.protection & 7] + (v.privateMemory ? 'p' : 's'),
        v.type,
        v.fileName,
        v.va,
      ]),
    );
    for (const inj of truth.injections) {
      const r = rows.find((x) => x.process_id === inj.pid && addr(x.start) === inj.start)!;
      const userPresent = truth.processes.find((p) => p.pid === inj.pid)!.userMemoryPresent;
      expect(r.has_pe_header).toBe(userPresent ? inj.peHeader : null);
      expect(r.is_private && r.is_writable && r.is_executable).toBe(true);
    }
  });

  test('user modules (PEB loader list) and the ldrmodules cross-check', () => {
    const rows = eng.extract('loaded_library');
    const got = byKey(rows, (r) => `${r.process_id}/${addr(r.base)}`).map((r) => [r.process_id, addr(r.base), r.path, r.in_load_list]);
    const want: unknown[][] = [];
    for (const p of truth.processes) {
      if (!p.userMemoryPresent) continue;
      for (const m of p.modules) want.push([p.pid, m.base, m.path, true]);
      for (const path of p.unlinkedModules) {
        const v = p.vads.find((x) => x.fileName && path.toLowerCase().endsWith(x.fileName.toLowerCase()))!;
        want.push([p.pid, v.start, v.fileName, false]);
      }
    }
    expect(got).toEqual(byKey(want, (w) => `${w[0]}/${w[1]}`));
    const listed = rows.filter((r) => r.in_load_list);
    const withVad = listed.filter((r) => r.in_vad).length;
    expect(withVad).toBe(listed.length);
  });

  test('environment blocks (including pages behind transition PTEs)', () => {
    const rows = eng.extract('env_var');
    for (const p of truth.processes) {
      const got = rows.filter((r) => r.process_id === p.pid).map((r) => `${r.name}=${r.value}`);
      expect([p.pid, got]).toEqual([p.pid, p.userMemoryPresent && p.environment ? p.environment : []]);
    }
  });

  test('handles: type (cookie-decoded on Win10+), name, access, object', () => {
    const rows = byKey(eng.extract('handle'), (r) => `${r.process_id}/${String(r.handle_value).padStart(8, '0')}`);
    const want = byKey(
      truth.processes.flatMap((p) => p.handles.map((h) => ({ ...h, pid: p.pid }))),
      (h) => `${h.pid}/${String(h.value).padStart(8, '0')}`,
    );
    expect(rows.map((r) => [r.process_id, r.handle_value, r.object_type, r.name ?? '', r.granted_access, addr(r.object_address)])).toEqual(
      want.map((h) => [h.pid, h.value, h.type, h.name, h.grantedAccess, h.object]),
    );
  });

  test('open files = File handles', () => {
    const rows = byKey(eng.extract('open_file'), (r) => `${r.process_id}/${String(r.fd).padStart(8, '0')}`);
    const want = byKey(
      truth.processes.flatMap((p) => p.handles.filter((h) => h.type === 'File').map((h) => ({ ...h, pid: p.pid }))),
      (h) => `${h.pid}/${String(h.value).padStart(8, '0')}`,
    );
    expect(rows.map((r) => [r.process_id, r.fd, r.path, r.kind])).toEqual(want.map((h) => [h.pid, h.value, h.name, 'file']));
  });

  test('drivers', () => {
    const rows = eng.extract('kernel_module');
    expect(rows.map((r) => [r.name, r.path, addr(r.base), r.size, a(r.object_address)])).toEqual(
      truth.drivers.map((d) => [d.name, d.path, d.base, d.size, d.ldrEntry]),
    );
  });

  test('SSDT with the hooked entry', () => {
    const rows = eng.extract('syscall');
    expect(rows).toHaveLength(truth.ssdt.count);
    // Several Nt* names can share one address (stubs such as NtVdmControl); memory cannot tell
    // which alias an index was, so a name counts as right when it sits at the truth name's RVA.
    const rvaOf = new Map<string, number>(eng.k.layout!.build.ntFunctions.map(([rva, n]) => [n, rva]));
    const alias = (got: string | null, want: string | null) => (got !== null && want !== null && rvaOf.get(got) === rvaOf.get(want) ? want : got);
    expect(rows.map((r, i) => [r.index, addr(r.handler), alias(r.symbol, truth.ssdt.entries[i]?.symbol ?? null), r.module, r.hooked])).toEqual(
      truth.ssdt.entries.map((e) => [e.index, e.target, e.symbol, e.module, e.hooked]),
    );
    expect(rows.filter((r) => r.hooked).length).toBeGreaterThan(0);
  });

  test('network endpoints by pool scan, with owners', () => {
    const rows = byKey(eng.extract('socket'), (r) => addr(r.object_address));
    const want = byKey(truth.network, (n) => n.va);
    expect(rows.map((r) => [addr(r.object_address), r.protocol + (r.family === 'AF_INET' ? 'v4' : 'v6'), r.local_address, r.local_port, r.remote_address, r.remote_port, r.state, r.process_id])).toEqual(
      want.map((n) => [n.va, n.protocol, n.localAddr, n.localPort, n.remoteAddr, n.remotePort, n.state ?? '', n.pid]),
    );
  });
});

/** Truth times carry microseconds; Date keeps milliseconds. */
function ms(iso: string): string {
  return new Date(iso).toISOString();
}
