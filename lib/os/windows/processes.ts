// EPROCESS walking: the active process list from PsActiveProcessHead, per-process address spaces,
// PEB data (command line, image path, loader lists) and the process table rows with derived flags.
import { X86_64Space } from '../../arch/x86_64';
import type { Row } from '../../model';
import { filetimeToDate } from '../../image/formats/windows/dump-header';
import type { WinKernel } from './kernel';
import { readFieldBig, readFieldNum, type WinLayout } from './layout';
import { Mem, PagedReader, cString, isKernelPtr, isUserPtr } from './memory';

export interface EProc {
  va: bigint;
  buf: Buffer;
  pid: number;
  ppid: number;
  name: string;
  dtb: number;
  peb: bigint;
  inList: boolean;
  /** physical address of the EPROCESS when known (scan results, dedup) */
  pa?: number;
}

export interface WinCtx {
  k: WinKernel;
  L: WinLayout;
  warnings: string[];
  warn(msg: string): void;
}

const MAX_PROCS = 65536;

export function decodeEprocess(ctx: WinCtx, va: bigint, buf: Buffer, inList: boolean): EProc | null {
  const L = ctx.L;
  const f = (n: string) => L.field('_EPROCESS', n);
  const pidF = f('UniqueProcessId');
  const ppidF = f('InheritedFromUniqueProcessId');
  const nameF = f('ImageFileName');
  if (!pidF || !ppidF || !nameF) return null;
  const pid = readFieldBig(buf, 0, pidF);
  if (pid > 0xffffffn) return null;
  const pcb = L.off('_EPROCESS', 'Pcb');
  const dtb = Number(buf.readBigUInt64LE(pcb + L.off('_KPROCESS', 'DirectoryTableBase')) & 0x000ffffffffff000n);
  const pebF = f('Peb');
  return {
    va,
    buf,
    pid: Number(pid),
    ppid: Number(readFieldBig(buf, 0, ppidF) & 0xffffffn),
    name: cString(buf, nameF.o, 15),
    dtb,
    peb: pebF ? readFieldBig(buf, 0, pebF) : 0n,
    inList,
  };
}

/** Processes reachable from PsActiveProcessHead, in list order. */
export function listProcesses(ctx: WinCtx): EProc[] {
  const { k, L } = ctx;
  const out: EProc[] = [];
  if (k.psActiveProcessHead === null) {
    ctx.warn('PsActiveProcessHead unknown: no process list');
    return out;
  }
  const links = L.off('_EPROCESS', 'ActiveProcessLinks');
  const size = L.size('_EPROCESS');
  for (const entry of k.mem.walkList(k.psActiveProcessHead, MAX_PROCS)) {
    if (!isKernelPtr(entry)) {
      ctx.warn(`process list: non-kernel link ${entry.toString(16)}; walk stopped`);
      break;
    }
    const va = entry - BigInt(links);
    const buf = k.mem.read(va, size);
    if (!buf) {
      ctx.warn(`process list: EPROCESS at 0x${va.toString(16)} unreadable; walk stopped`);
      break;
    }
    const p = decodeEprocess(ctx, va, buf, true);
    if (p) out.push(p);
  }
  return out;
}

/** Memory view of one process's user space (its own page tables); null on triage dumps. */
export function processMem(ctx: WinCtx, p: EProc): Mem | null {
  const space = ctx.k.space;
  if (!space || !p.dtb) return null;
  return new Mem(new PagedReader(new X86_64Space(space.mem, p.dtb, { windowsTransition: true })));
}

export interface PebInfo {
  commandLine: string | null;
  imagePath: string | null;
  ldr: bigint;
  /** RTL_USER_PROCESS_PARAMETERS.Environment (user VA of the UTF-16 NAME=value block) */
  environment: bigint;
}

export function readPeb(ctx: WinCtx, p: EProc, um: Mem): PebInfo | null {
  const L = ctx.L;
  if (!isUserPtr(p.peb) || !L.has('_PEB', 'ProcessParameters')) return null;
  const peb = um.read(p.peb, Math.max(L.off('_PEB', 'ProcessParameters'), L.off('_PEB', 'Ldr')) + 8);
  if (!peb) return null;
  const params = peb.readBigUInt64LE(L.off('_PEB', 'ProcessParameters'));
  const ldr = peb.readBigUInt64LE(L.off('_PEB', 'Ldr'));
  let commandLine: string | null = null;
  let imagePath: string | null = null;
  let environment = 0n;
  if (isUserPtr(params)) {
    const cl = L.off('_RTL_USER_PROCESS_PARAMETERS', 'CommandLine');
    const ip = L.off('_RTL_USER_PROCESS_PARAMETERS', 'ImagePathName');
    const env = L.field('_RTL_USER_PROCESS_PARAMETERS', 'Environment');
    const pb = um.read(params, Math.max(cl, ip, env?.o ?? 0) + 16);
    if (pb) {
      commandLine = um.unicodeFrom(pb, cl);
      imagePath = um.unicodeFrom(pb, ip);
      if (env) environment = pb.readBigUInt64LE(env.o);
    }
  }
  return { commandLine, imagePath, ldr, environment };
}

const MAX_ENV_BYTES = 256 * 1024;

/**
 * The environment block: UTF-16 "NAME=value\0" strings ending with an empty string. Read page by
 * page (a later page may be absent) up to 256 KiB.
 */
export function readEnvironment(um: Mem, env: bigint): [string, string][] {
  if (!isUserPtr(env)) return [];
  const parts: Buffer[] = [];
  let total = 0;
  let va = env;
  while (total < MAX_ENV_BYTES) {
    const n = 4096 - Number(va & 0xfffn);
    const b = um.read(va, n);
    if (!b) break;
    parts.push(b);
    total += n;
    va += BigInt(n);
    // stop once the block's terminating double NUL (UTF-16) is in what we have
    const all = parts.length === 1 ? b : Buffer.concat(parts);
    if (findDoubleNul(all) >= 0) break;
  }
  const all = Buffer.concat(parts);
  const end = findDoubleNul(all);
  const text = all.subarray(0, end >= 0 ? end : all.length - (all.length % 2)).toString('utf16le');
  const out: [string, string][] = [];
  for (const entry of text.split('\0')) {
    if (!entry) break;
    const eq = entry.indexOf('=', 1); // names like "=C:" start with '='
    if (eq < 0) out.push([entry, '']);
    else out.push([entry.slice(0, eq), entry.slice(eq + 1)]);
  }
  return out;
}

/** Byte offset of the block terminator: the first NUL code unit followed by another (or at 0); -1 if absent. */
function findDoubleNul(b: Buffer): number {
  const units = b.length >> 1;
  if (units >= 1 && b.readUInt16LE(0) === 0) return 0;
  for (let i = 0; i + 1 < units; i++) {
    if (b.readUInt16LE(i * 2) === 0 && b.readUInt16LE(i * 2 + 2) === 0) return i * 2;
  }
  return -1;
}

/** CommandLineToArgvW-style split: quotes group, backslashes before a quote escape it. */
export function splitCommandLine(cmd: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inQ = false;
  let have = false;
  for (let i = 0; i < cmd.length && out.length < 4096; i++) {
    const c = cmd[i];
    if (c === '\\') {
      let n = 0;
      while (cmd[i] === '\\') {
        n++;
        i++;
      }
      if (cmd[i] === '"') {
        cur += '\\'.repeat(n >> 1);
        if (n % 2) cur += '"';
        else {
          inQ = !inQ;
        }
        have = true;
      } else {
        cur += '\\'.repeat(n);
        i--;
        have = true;
      }
    } else if (c === '"') {
      inQ = !inQ;
      have = true;
    } else if ((c === ' ' || c === '\t') && !inQ) {
      if (have) out.push(cur);
      cur = '';
      have = false;
    } else {
      cur += c;
      have = true;
    }
  }
  if (have) out.push(cur);
  return out;
}

function sessionId(ctx: WinCtx, p: EProc): number | null {
  const sf = ctx.L.field('_EPROCESS', 'Session');
  if (!sf) return null;
  const s = readFieldBig(p.buf, 0, sf);
  if (!isKernelPtr(s)) return null;
  const idOff = ctx.L.field('_MM_SESSION_SPACE', 'SessionId');
  if (!idOff) return null;
  return ctx.k.mem.u32(s + BigInt(idOff.o));
}

function isWow64(ctx: WinCtx, p: EProc): boolean {
  const f = ctx.L.field('_EPROCESS', 'WoW64Process') ?? ctx.L.field('_EPROCESS', 'Wow64Process');
  return f ? readFieldBig(p.buf, 0, f) !== 0n : false;
}

const TRUSTED_DIRS = [
  /^\\windows\\system32\\/i,
  /^\\windows\\syswow64\\/i,
  /^\\program files\\/i,
  /^\\program files \(x86\)\\/i,
  /^\\windows\\[^\\]+$/i, // files directly in the Windows directory (explorer.exe, regedit.exe)
];

/** Image path outside System32 / SysWOW64 / Program Files / the Windows directory itself (drive letter and \??\ prefixes ignored). */
export function suspiciousPath(path: string | null): boolean {
  if (!path) return false;
  const p = path.replace(/^\\\?\?\\/, '').replace(/^\\SystemRoot\\/i, '\\Windows\\').replace(/^[a-z]:/i, '');
  return !TRUSTED_DIRS.some((r) => r.test(p));
}

/** Parents these system processes normally have (by image name); others are flagged as unusual. */
const EXPECTED_PARENTS: Record<string, string[]> = {
  'smss.exe': ['system', 'smss.exe'],
  'csrss.exe': ['smss.exe'],
  'wininit.exe': ['smss.exe'],
  'winlogon.exe': ['smss.exe'],
  'services.exe': ['wininit.exe'],
  'lsass.exe': ['wininit.exe'],
  'lsaiso.exe': ['wininit.exe'],
  'svchost.exe': ['services.exe', 'msmpeng.exe'],
  'spoolsv.exe': ['services.exe'],
  'taskhostw.exe': ['svchost.exe'],
  'runtimebroker.exe': ['svchost.exe'],
  'userinit.exe': ['winlogon.exe'],
  'dwm.exe': ['winlogon.exe'],
  'logonui.exe': ['winlogon.exe', 'wininit.exe'],
};
/** Shells, script hosts and LOLBins that document readers should never start. */
const SUSPICIOUS_CHILD = /^(cmd|powershell|pwsh|rundll32|regsvr32|mshta|wscript|cscript|certutil|bitsadmin)\.exe$/i;
const DOC_PARENTS = /^(winword|excel|powerpnt|outlook|msaccess|mspub|acrord32|acrobat|wmiprvse)\.exe$/i;
/** Proxy-execution LOLBins started from a shell or script host (the second stage of a macro chain). */
const LOLBINS = /^(rundll32|regsvr32|mshta|certutil|bitsadmin|installutil|msbuild)\.exe$/i;
const SCRIPT_PARENTS = /^(powershell|pwsh|cmd|wscript|cscript|mshta)\.exe$/i;

export function unusualParent(name: string, parentName: string | null): boolean {
  if (parentName === null) return false; // parent exited: normal for csrss/wininit/winlogon/explorer
  const n = name.toLowerCase();
  const pn = parentName.toLowerCase();
  const exp = EXPECTED_PARENTS[n];
  if (exp && !exp.includes(pn)) return true;
  return (SUSPICIOUS_CHILD.test(n) && DOC_PARENTS.test(pn)) || (LOLBINS.test(n) && SCRIPT_PARENTS.test(pn));
}

export interface ProcessExtras {
  peb: PebInfo | null;
  threadCount: number;
  wxPe: boolean;
}

export function processRow(ctx: WinCtx, p: EProc, parentName: string | null, extras: ProcessExtras): Row<'process'> {
  const L = ctx.L;
  const ct = L.field('_EPROCESS', 'CreateTime');
  const et = L.field('_EPROCESS', 'ExitTime');
  const exit = et ? filetimeToDate(readFieldBig(p.buf, 0, et)) : null;
  const imagePath = extras.peb?.imagePath ?? null;
  const commandLine = extras.peb?.commandLine ?? '';
  const kernel = p.pid === 4 || p.pid === 0;
  const at = L.field('_EPROCESS', 'ActiveThreads');
  return {
    process_id: p.pid,
    parent_process_id: p.ppid,
    name: p.name,
    argv: commandLine ? splitCommandLine(commandLine) : [],
    command_line: commandLine,
    exe_path: imagePath || null,
    exe_deleted: false,
    cwd: null,
    uid: null,
    gid: null,
    euid: null,
    state: exit ? 'exited' : 'running',
    start_time_ns: null,
    create_time: ct ? filetimeToDate(readFieldBig(p.buf, 0, ct)) : null,
    exit_time: exit,
    is_kernel_thread: kernel,
    // walked threads, or the kernel's own count when the walk could not reach them all (triage dumps)
    thread_count: Math.max(extras.threadCount, at ? Math.min(readFieldNum(p.buf, 0, at), 1 << 20) : 0),
    session_id: sessionId(ctx, p),
    is_wow64: isWow64(ctx, p),
    object_address: p.va,
    in_process_list: p.inList,
    flag_kernel_thread_name: false,
    flag_deleted_exe: false,
    flag_suspicious_path: !kernel && suspiciousPath(imagePath),
    flag_wx_memory: extras.wxPe,
    flag_unusual_parent: unusualParent(p.name, parentName),
    // Linux namespaces and cgroups: Windows has none
    ns_pid: null,
    pid_ns: null,
    net_ns: null,
    mnt_ns: null,
    uts_ns: null,
    ipc_ns: null,
    user_ns: null,
    cgroup_ns: null,
    time_ns: null,
    cgroup_path: null,
    container_id: null,
    // Linux-only views (task scan, PID IDR, struct cred)
    in_pid_hash: null, cred_address: null, flag_shared_cred: null, flag_root_from_user: null,
  };
}
