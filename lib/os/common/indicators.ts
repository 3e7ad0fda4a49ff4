// Network-indicator scanner for process memory: finds IPv4/IPv6 addresses, domain names and URLs in
// a buffer of readable process memory and reports each with its virtual address. Pure and OS-free:
// lib/os/linux and lib/os/windows call it per readable region to fill the `indicator` table.
//
// How it stays fast on hostile memory: the buffer is decoded once per window as latin1 (one char per
// byte, so a string index IS a byte offset) and V8's regex engine does the scanning — no per-byte JS
// loop. Windows are bounded (1 MiB, overlapped so a hit on a boundary is still seen whole), every
// match has a bounded length, and the number of hits per call is capped. Optional UTF-16LE pass
// (`wide`) finds the wide strings Windows programs keep.
import { isIPv4, isIPv6 } from 'node:net';

export type IndicatorKind = 'ipv4' | 'ipv6' | 'domain' | 'url';

export interface IndicatorHit {
  kind: IndicatorKind;
  value: string;
  /** virtual address of the first byte of the match */
  address: bigint;
  /** byte offset of the match in the buffer */
  offset: number;
  encoding: 'ascii' | 'utf16le';
}

export interface ScanOptions {
  /** stop after this many hits (default 10,000) */
  maxHits?: number;
  /** also scan UTF-16LE text at both byte alignments (Windows wide strings); default false */
  wide?: boolean;
  /** kinds to report (default all) */
  kinds?: readonly IndicatorKind[];
}

/** Longest match reported; also the overlap between scan windows. */
export const MAX_INDICATOR_LENGTH = 512;
const WINDOW = 1 << 20;
const CONTEXT = 16;
const DEFAULT_MAX_HITS = 10_000;

// Top-level domains accepted for bare domain names. Without a list, memory is full of "libc.so",
// "main.py" and "config.sh"; TLDs that collide with common file extensions (so, sh, py, pl, md, rs,
// in, cc, ps, js…) are deliberately absent. URLs need no TLD check: their scheme already says "host".
const TLDS = [
  'com', 'net', 'org', 'info', 'biz', 'edu', 'gov', 'mil', 'int', 'io', 'co', 'me', 'tv', 'xyz', 'top',
  'online', 'site', 'club', 'store', 'tech', 'space', 'live', 'cloud', 'app', 'dev', 'onion', 'bit',
  'ru', 'su', 'cn', 'de', 'uk', 'fr', 'nl', 'eu', 'jp', 'kr', 'br', 'ir', 'kp', 'ua', 'by', 'kz',
  'tk', 'ml', 'ga', 'cf', 'gq', 'cc', 'ws', 'pw', 'us', 'ca', 'au', 'it', 'es', 'ch', 'se', 'pl',
  'local', 'lan', 'internal', 'corp', 'arpa',
].filter((t) => !['cc', 'pl'].includes(t));

// Schemes that name a network endpoint (stratum+tcp for mining pools).
const URL_RE =
  /(?<![A-Za-z0-9+.\-])(?:https?|ftp|sftp|wss?|tcp|udp|ssh|telnet|smb|ldaps?|rdp|stratum\+(?:tcp|ssl|tls)):\/\/[A-Za-z0-9\-._~%!$&'()*+,;=:@/?#\[\]]{1,480}/gi;
const IPV4_RE =
  /(?<![0-9A-Za-z.])(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(?![0-9]|\.[0-9])/g;
// IPv6 and domains are found from a cheap anchor (":hex:" / ".tld") and then widened around it:
// starting a regex at every letter or hex digit of a window is what makes naive scanners slow.
const IPV6_ANCHOR_RE = /:[0-9A-Fa-f]{0,4}:/g;
const IPV6_CHARS_BEFORE_RE = /[0-9A-Fa-f:.]{0,45}$/;
const IPV6_CHARS_AFTER_RE = /[0-9A-Fa-f:.]{0,45}/y;
const DOMAIN_ANCHOR_RE = new RegExp(String.raw`\.(?:${TLDS.join('|')})(?![A-Za-z0-9\-_])`, 'gi');
const LABELS_BEFORE_RE = /(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.){0,7}[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

const URL_TRAILING = /[.,;:!?'")\]]+$/;

function validUrl(u: string): string | null {
  const v = u.replace(URL_TRAILING, '');
  const m = /^[a-z+]+:\/\/(?:[^@/?#]*@)?(\[[0-9a-f:.]+\]|[^:/?#]+)/i.exec(v);
  if (!m) return null;
  const host = m[1];
  if (host.startsWith('[')) return isIPv6(host.slice(1, -1)) ? v : null;
  if (isIPv4(host)) return v;
  // a host name: labels of letters/digits/dashes with at least one dot (or localhost)
  return /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}\.?$/i.test(host) || /^localhost$/i.test(host) ? v : null;
}

interface Found {
  index: number;
  value: string;
}
type Finder = (text: string, first: number, limit: number) => Iterable<Found>;

function* regexFinder(re: RegExp, check: (m: string) => string | null, text: string, first: number, limit: number): Iterable<Found> {
  re.lastIndex = first;
  let r: RegExpExecArray | null;
  while ((r = re.exec(text)) !== null && r.index < limit) {
    const value = check(r[0]);
    if (value) yield { index: r.index, value };
  }
}

const isWordChar = (c: string | undefined) => c !== undefined && /[0-9A-Za-z]/.test(c);

function* ipv6Finder(text: string, first: number, limit: number): Iterable<Found> {
  const re = IPV6_ANCHOR_RE;
  re.lastIndex = first;
  let r: RegExpExecArray | null;
  while ((r = re.exec(text)) !== null) {
    const before = IPV6_CHARS_BEFORE_RE.exec(text.slice(Math.max(0, r.index - 45), r.index))![0];
    const start = r.index - before.length;
    IPV6_CHARS_AFTER_RE.lastIndex = r.index;
    const end = r.index + IPV6_CHARS_AFTER_RE.exec(text)![0].length;
    re.lastIndex = Math.max(end, r.index + 1);
    if (start < first) continue;
    if (start >= limit) break;
    const prev = text[start - 1];
    if (isWordChar(prev) || prev === ':' || prev === '.' || isWordChar(text[end])) continue;
    const cand = text.slice(start, end);
    // isIPv6 accepts "a::b" and other hex-word debris; real addresses in memory carry a digit
    if (cand.length >= 3 && cand !== '::' && /[0-9]/.test(cand) && isIPv6(cand)) yield { index: start, value: cand.toLowerCase() };
  }
}

function* domainFinder(text: string, first: number, limit: number): Iterable<Found> {
  const re = DOMAIN_ANCHOR_RE;
  re.lastIndex = first;
  let r: RegExpExecArray | null;
  while ((r = re.exec(text)) !== null) {
    const sliceFrom = Math.max(0, r.index - 253);
    const m = LABELS_BEFORE_RE.exec(text.slice(sliceFrom, r.index));
    if (!m) continue;
    const start = sliceFrom + m.index;
    if (start < first) continue;
    if (start >= limit) break;
    const prev = text[start - 1];
    // not glued to a longer token, an e-mail address, a Windows path, or a single-slash path
    // ("/usr/lib/x.com"); "//host" (a URL authority) is fine
    if (prev !== undefined && /[A-Za-z0-9\-_.@\\]/.test(prev)) continue;
    if (prev === '/' && text[start - 2] !== '/') continue;
    yield { index: start, value: text.slice(start, r.index + r[0].length).toLowerCase() };
  }
}

const matchers: { kind: IndicatorKind; find: Finder }[] = [
  { kind: 'url', find: (t, f, l) => regexFinder(URL_RE, validUrl, t, f, l) },
  { kind: 'ipv4', find: (t, f, l) => regexFinder(IPV4_RE, (m) => m, t, f, l) },
  { kind: 'ipv6', find: ipv6Finder },
  { kind: 'domain', find: domainFinder },
];

/**
 * Scans `buf` (memory starting at virtual address `base`) for network indicators. Hits are ordered by
 * offset within each kind; the same (kind, offset) is reported once.
 */
export function scanIndicators(buf: Buffer, base: bigint, opts: ScanOptions = {}): IndicatorHit[] {
  const maxHits = opts.maxHits ?? DEFAULT_MAX_HITS;
  const kinds = new Set(opts.kinds ?? matchers.map((m) => m.kind));
  const active = matchers.filter((m) => kinds.has(m.kind));
  const hits: IndicatorHit[] = [];
  const seen = new Set<string>();
  const passes: { enc: 'ascii' | 'utf16le'; shift: number; scale: number }[] = [{ enc: 'ascii', shift: 0, scale: 1 }];
  if (opts.wide) passes.push({ enc: 'utf16le', shift: 0, scale: 2 }, { enc: 'utf16le', shift: 1, scale: 2 });

  for (const pass of passes) {
    const winBytes = WINDOW * pass.scale;
    const overlap = MAX_INDICATOR_LENGTH * pass.scale;
    for (let start = pass.shift; start < buf.length && hits.length < maxHits; start += winBytes) {
      // each window after the first starts CONTEXT chars early so look-behinds see the bytes before
      // it; matches starting in that lead-in or in the trailing overlap belong to a neighbour window
      const lead = start > pass.shift ? CONTEXT * pass.scale : 0;
      const from = start - lead;
      let end = Math.min(buf.length, start + winBytes + overlap);
      if (pass.scale === 2) end -= (end - from) & 1;
      const text = buf.toString(pass.enc === 'ascii' ? 'latin1' : 'utf16le', from, end);
      // fast reject: every indicator holds a '.' or ':'
      if (text.indexOf('.') < 0 && text.indexOf(':') < 0) continue;
      const first = lead / pass.scale;
      const limit = Math.min(text.length, first + winBytes / pass.scale);
      for (const m of active) {
        for (const { index, value } of m.find(text, first, limit)) {
          if (value.length > MAX_INDICATOR_LENGTH) continue;
          const offset = from + index * pass.scale;
          const key = `${m.kind}:${offset}`;
          if (seen.has(key)) continue;
          seen.add(key);
          hits.push({ kind: m.kind, value, address: base + BigInt(offset), offset, encoding: pass.enc });
          if (hits.length >= maxHits) return hits;
        }
      }
    }
  }
  return hits;
}
