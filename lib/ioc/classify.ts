// Classifies the values a user hands to `memq ioc` (IP, domain, URL, hash, path, process name…) and
// turns each into a matcher: a regular expression with the right boundaries for its kind, written in
// the common subset of RE2 (DuckDB), Java regex (Athena) and JavaScript, so the same pattern filters
// rows in SQL and then tells, in JS, which column of a row matched.
import { isIPv4, isIPv6 } from 'node:net';
import { MemqError } from '../util/errors';

export const iocKinds = ['ipv4', 'ipv6', 'domain', 'url', 'md5', 'sha1', 'sha256', 'path', 'process_name', 'text'] as const;
export type IocKind = (typeof iocKinds)[number];

export interface Ioc {
  /** the value as the user wrote it */
  input: string;
  kind: IocKind;
  /** normalized value (lower-cased where the kind is case-insensitive) */
  value: string;
  /** regex source (RE2/Java/JS common subset) that finds the value inside a column's text */
  pattern: string;
  caseInsensitive: boolean;
  /** literal the SQL pre-filter looks for when it is not `value` (a Windows path's part after its root) */
  prefilter?: string;
}

const MAX_IOC_LENGTH = 2048;
const MAX_NAME_LENGTH = 32;

/**
 * Spellings of a Windows path's root: a drive path `C:\Windows\x` is also `\SystemRoot\x`,
 * `%SystemRoot%\x`, `\??\C:\Windows\x` and `\Device\HarddiskVolumeN\Windows\x` (kernel module lists,
 * handles and PEB paths use different ones). Returns the regex of every root and the rest of the path
 * (lower-case, leading backslash), or null for a path that is not rooted in a drive or the system root.
 */
function windowsRoots(lower: string): { roots: string; rest: string } | null {
  const drive = '(?:[a-z]:|\\\\[?][?]\\\\[a-z]:|\\\\device\\\\harddiskvolume[0-9]+)';
  const sysroot = `(?:${drive}\\\\windows|\\\\systemroot|%systemroot%)`;
  let m = /^(?:[a-z]:\\windows|\\systemroot|%systemroot%|\\\?\?\\[a-z]:\\windows|\\device\\harddiskvolume[0-9]+\\windows)(\\.*)$/.exec(lower);
  if (m) return { roots: sysroot, rest: m[1] };
  m = /^(?:[a-z]:|\\\?\?\\[a-z]:|\\device\\harddiskvolume[0-9]+)(\\.*)$/.exec(lower);
  if (m) return { roots: drive, rest: m[1] };
  return null;
}
const EXE_EXT = /\.(exe|dll|sys|scr|bat|cmd|ps1|vbs|js|hta|msi|elf|bin|sh|py|pl|so|ko)$/i;

/** Escapes every regex metacharacter (valid in RE2, Java and JS). */
export function escapeRegex(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|\-/]/g, (c) => (c === '/' || c === '-' ? c : '\\' + c));
}

/** `kind:value` forces a kind (e.g. `name:update.com`, `domain:foo.exe`). */
const PREFIXES: Record<string, IocKind> = {
  ip: 'ipv4', ipv4: 'ipv4', ipv6: 'ipv6', domain: 'domain', url: 'url', md5: 'md5', sha1: 'sha1', sha256: 'sha256',
  path: 'path', name: 'process_name', process: 'process_name', text: 'text',
};

export function classifyIoc(input: string): Ioc {
  const raw = input.trim();
  if (!raw) throw new MemqError('empty IOC value: expected an IP, domain, URL, hash, file path or process name', 'E_USAGE');
  if (raw.length > MAX_IOC_LENGTH) throw new MemqError(`IOC value is ${raw.length} characters; expected at most ${MAX_IOC_LENGTH}`, 'E_USAGE');
  const pm = /^([a-z0-9]+):(?!\/\/)(.+)$/i.exec(raw);
  if (pm && PREFIXES[pm[1].toLowerCase()] && !isIPv6(raw)) {
    let kind = PREFIXES[pm[1].toLowerCase()];
    if (kind === 'ipv4' && isIPv6(pm[2])) kind = 'ipv6';
    return build(raw, kind, pm[2].trim());
  }
  return build(raw, detectKind(raw), raw);
}

export function detectKind(v: string): IocKind {
  if (/^[a-z][a-z0-9+.\-]*:\/\//i.test(v)) return 'url';
  if (isIPv4(v)) return 'ipv4';
  if (isIPv6(v)) return 'ipv6';
  if (/^[0-9a-f]{32}$/i.test(v)) return 'md5';
  if (/^[0-9a-f]{40}$/i.test(v)) return 'sha1';
  if (/^[0-9a-f]{64}$/i.test(v)) return 'sha256';
  if (/^(\/|[a-z]:[\\/]|\\\\|\\)/i.test(v) || /[\\/]/.test(v)) return 'path';
  if (/\s/.test(v)) return 'text';
  if (!EXE_EXT.test(v) && /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{1,62}\.?$/i.test(v)) return 'domain';
  // a process name is short (Linux comm and Windows ImageFileName hold 15 bytes; a path tail or argv[0]
  // a little more) or ends like an executable; anything longer (a wallet address, a token, a mutex
  // name) is searched as text
  if (v.length > MAX_NAME_LENGTH && !EXE_EXT.test(v)) return 'text';
  return 'process_name';
}

function build(input: string, kind: IocKind, v: string): Ioc {
  switch (kind) {
    case 'ipv4':
      if (!isIPv4(v)) throw new MemqError(`"${v}" is not an IPv4 address (expected a.b.c.d)`, 'E_USAGE');
      // not part of a longer dotted number: 10.9.8.7 must not match 110.9.8.7 or 10.9.8.70
      return { input, kind, value: v, pattern: `(^|[^0-9.])${escapeRegex(v)}($|[^0-9.]|[.]($|[^0-9]))`, caseInsensitive: false };
    case 'ipv6': {
      if (!isIPv6(v)) throw new MemqError(`"${v}" is not an IPv6 address`, 'E_USAGE');
      const value = v.toLowerCase();
      return { input, kind, value, pattern: `(^|[^0-9a-f:])${escapeRegex(value)}($|[^0-9a-f:])`, caseInsensitive: true };
    }
    case 'md5':
    case 'sha1':
    case 'sha256': {
      const len = { md5: 32, sha1: 40, sha256: 64 }[kind];
      if (!new RegExp(`^[0-9a-f]{${len}}$`, 'i').test(v)) throw new MemqError(`"${v}" is not a ${kind} hash (${len} hex digits)`, 'E_USAGE');
      const value = v.toLowerCase();
      return { input, kind, value, pattern: `(^|[^0-9a-f])${value}($|[^0-9a-f])`, caseInsensitive: true };
    }
    case 'domain': {
      const value = v.replace(/\.$/, '').toLowerCase();
      // the domain itself or any subdomain of it, not a longer label (evil.com ≠ notevil.com, evil.com.au)
      return {
        input, kind, value,
        pattern: `(^|[^a-z0-9-])${escapeRegex(value)}($|[^a-z0-9.-]|[.]($|[^a-z0-9]))`,
        caseInsensitive: true,
      };
    }
    case 'url':
      return { input, kind, value: v, pattern: escapeRegex(v), caseInsensitive: true };
    case 'path': {
      // Windows paths are case-insensitive, POSIX paths are not; a path also matches as a prefix
      // (a directory IOC finds everything under it) but not inside another path (/tmp ≠ /var/tmp)
      const windows = /^[a-z]:[\\/]|\\/i.test(v);
      const value = windows ? v.toLowerCase() : v;
      const rooted = windows ? windowsRoots(value.replace(/\//g, '\\')) : null;
      if (rooted && rooted.rest.length > 1)
        return { input, kind, value, pattern: `(^|[\\s"'=:])${rooted.roots}${escapeRegex(rooted.rest)}`, caseInsensitive: true, prefilter: rooted.rest };
      return { input, kind, value, pattern: `(^|[\\s"'=:])${escapeRegex(value)}`, caseInsensitive: windows };
    }
    case 'process_name': {
      const value = v;
      // the whole value, the last component of a path, or a word of a command line
      return { input, kind, value, pattern: `(^|[/\\\\\\s])${escapeRegex(value)}($|[\\s"'])`, caseInsensitive: true };
    }
    case 'text':
      return { input, kind, value: v, pattern: escapeRegex(v), caseInsensitive: true };
  }
}

/** JS RegExp equivalent of an IOC's SQL pattern. */
export function iocRegExp(ioc: Ioc): RegExp {
  return new RegExp(ioc.pattern, ioc.caseInsensitive ? 'i' : '');
}

/**
 * The SQL pre-filter for a set of IOCs: a case-insensitive alternation of their literal values (RE2 /
 * Java syntax). It matches a superset of the exact per-kind patterns — boundaries and case rules are
 * applied afterwards in JS with iocRegExp() — because a plain literal alternation stays a fast DFA in
 * RE2 even for a thousand values, where the alternation of the full boundary patterns does not.
 */
export function combinedPattern(iocs: readonly Ioc[]): string {
  const lits = [...new Set(iocs.map((i) => escapeRegex((i.prefilter ?? i.value).toLowerCase())))];
  return `(?i)(?:${lits.join('|')})`;
}
