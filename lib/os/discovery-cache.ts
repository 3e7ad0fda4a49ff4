// Discovery once per dump: what an engine's discovery found for a dump file (for Linux: where
// VMCOREINFO is, the decoded kallsyms, the BTF blob) is kept under $MEMQ_CACHE/discovery/, so the next
// command on the same dump starts at the page tables instead of scanning and decoding again.
//
// An entry is keyed by the dump's path and checked against its identity — size, mtime and a SHA-256
// of three 64 KiB blocks (start, middle, end) — and against its own SHA-256 digest; an entry that is
// stale (the file changed), from another format version, truncated or edited is ignored and rewritten
// after a fresh discovery. The engine then checks the entry's content against the dump itself before
// using it (lib/os/linux/discovery-cache.ts). Writes are atomic (temp file + rename), so concurrent
// commands never read half an entry. MEMQ_DISCOVERY_CACHE=0 turns the cache off.
//
// File layout: "MEMQDC01" | u32 LE header length | header JSON | section bytes. The header holds the
// identity, the engine's JSON data, the section table and the digest (over identity + data + sections).
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const MAGIC = Buffer.from('MEMQDC01');
const FORMAT = 1;
const BLOCK = 64 << 10;

export interface DumpIdentity {
  size: number;
  mtimeMs: number;
  /** SHA-256 of up to three 64 KiB blocks: start, middle, end */
  blocks: string;
}

export interface CacheEntry {
  /** the engine's facts as JSON (kept small: bulky data goes in sections) */
  data: Record<string, unknown>;
  /** named binary sections (symbol tables, blobs) */
  sections: Record<string, Buffer>;
}

interface Header {
  format: number;
  engine: string;
  /** engine-defined version of `data`/`sections`; an entry of another version is ignored */
  version: number;
  dump: string;
  identity: DumpIdentity;
  data: Record<string, unknown>;
  sections: { name: string; length: number }[];
  digest: string;
}

export function cacheRoot(): string {
  return path.join(process.env.MEMQ_CACHE || path.join(os.tmpdir(), 'memq-cache'), 'discovery');
}

export function dumpIdentity(file: string): DumpIdentity {
  const fd = fs.openSync(file, 'r');
  try {
    const st = fs.fstatSync(fd);
    const h = crypto.createHash('sha256');
    const starts = new Set([0, Math.floor(st.size / 2 / 4096) * 4096, Math.max(0, st.size - BLOCK)]);
    const buf = Buffer.alloc(BLOCK);
    for (const at of [...starts].sort((a, b) => a - b)) {
      const n = fs.readSync(fd, buf, 0, Math.min(BLOCK, Math.max(0, st.size - at)), at);
      h.update(`${at}:`).update(buf.subarray(0, n));
    }
    return { size: st.size, mtimeMs: st.mtimeMs, blocks: h.digest('hex') };
  } finally {
    fs.closeSync(fd);
  }
}

function digestOf(identity: DumpIdentity, engine: string, version: number, data: Record<string, unknown>, sections: { name: string; bytes: Buffer }[]): string {
  const h = crypto.createHash('sha256').update(JSON.stringify({ identity, engine, version, data }));
  for (const s of sections) h.update(`\0${s.name}\0${s.bytes.length}\0`).update(s.bytes);
  return h.digest('hex');
}

/** One dump's discovery cache: get() returns a checked entry or null, put() stores one. */
export class DiscoveryCache {
  /** what happened, for `memq info` (source.discovery_cache) */
  status = 'not used';
  private identity: DumpIdentity | null = null;

  constructor(
    readonly dump: string,
    readonly dir = cacheRoot(),
  ) {}

  /** path of this dump's entry for `engine` */
  entryPath(engine: string): string {
    const key = crypto.createHash('sha256').update(path.resolve(this.dump)).digest('hex').slice(0, 32);
    return path.join(this.dir, `${engine}-${key}.bin`);
  }

  private ident(): DumpIdentity {
    return (this.identity ??= dumpIdentity(this.dump));
  }

  /** The stored entry when it is for this very file content, this version, and intact; else null (status says why). */
  get(engine: string, version: number): CacheEntry | null {
    const file = this.entryPath(engine);
    let raw: Buffer;
    try {
      raw = fs.readFileSync(file);
    } catch {
      this.status = 'no entry yet';
      return null;
    }
    const bad = (why: string) => {
      this.status = `entry ignored (${why})`;
      return null;
    };
    if (raw.length < 12 || !raw.subarray(0, 8).equals(MAGIC)) return bad('not a memq discovery cache file');
    const hlen = raw.readUInt32LE(8);
    if (12 + hlen > raw.length) return bad('truncated');
    let hdr: Header;
    try {
      hdr = JSON.parse(raw.toString('utf8', 12, 12 + hlen)) as Header;
    } catch {
      return bad('unreadable header');
    }
    if (hdr.format !== FORMAT || hdr.engine !== engine || hdr.version !== version) return bad('other format version');
    const id = this.ident();
    if (!hdr.identity || hdr.identity.size !== id.size || hdr.identity.mtimeMs !== id.mtimeMs || hdr.identity.blocks !== id.blocks) return bad('stale: the dump changed');
    const sections: { name: string; bytes: Buffer }[] = [];
    let at = 12 + hlen;
    for (const s of hdr.sections ?? []) {
      if (!Number.isInteger(s.length) || s.length < 0 || at + s.length > raw.length) return bad('truncated');
      sections.push({ name: s.name, bytes: raw.subarray(at, at + s.length) });
      at += s.length;
    }
    if (at !== raw.length) return bad('trailing bytes');
    if (digestOf(hdr.identity, engine, version, hdr.data, sections) !== hdr.digest) return bad('digest mismatch: the entry was modified');
    this.status = `entry ${file}`;
    return { data: hdr.data, sections: Object.fromEntries(sections.map((s) => [s.name, s.bytes])) };
  }

  /** Stores an entry (atomically); failures to write are not errors: the cache is an optimization. */
  put(engine: string, version: number, e: CacheEntry): void {
    const file = this.entryPath(engine);
    try {
      const identity = this.ident();
      const sections = Object.entries(e.sections).map(([name, bytes]) => ({ name, bytes }));
      const hdr: Header = {
        format: FORMAT,
        engine,
        version,
        dump: path.resolve(this.dump),
        identity,
        data: e.data,
        sections: sections.map((s) => ({ name: s.name, length: s.bytes.length })),
        digest: digestOf(identity, engine, version, e.data, sections),
      };
      const json = Buffer.from(JSON.stringify(hdr));
      const len = Buffer.alloc(4);
      len.writeUInt32LE(json.length);
      fs.mkdirSync(this.dir, { recursive: true });
      const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
      fs.writeFileSync(tmp, Buffer.concat([MAGIC, len, json, ...sections.map((s) => s.bytes)]));
      fs.renameSync(tmp, file);
      this.status = this.status.startsWith('entry ignored') ? `${this.status}; rewritten` : `written to ${file}`;
    } catch (err) {
      this.status = `not written (${(err as Error).message})`;
    }
  }
}

/** The cache for a local dump file, or undefined when disabled or the dump is not a local file. */
export function discoveryCacheFor(dump: string): DiscoveryCache | undefined {
  if (process.env.MEMQ_DISCOVERY_CACHE === '0') return undefined;
  try {
    if (!fs.statSync(dump).isFile()) return undefined;
  } catch {
    return undefined;
  }
  return new DiscoveryCache(dump);
}
