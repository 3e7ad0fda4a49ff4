// The Linux engine's entry in the discovery cache (lib/os/discovery-cache.ts): where VMCOREINFO sits,
// the decoded kallsyms table (packed, with its address order) and the BTF blob with its address. An
// entry that passed the file-level checks is still checked against the dump before it is used:
//   - the VMCOREINFO text at the cached address must be byte-identical (SHA-256) to the cached one,
//   - every SYMBOL(x) VMCOREINFO names must agree with the cached table as it did when the entry was
//     written (same address; a few SYMBOL()s are values, e.g. mem_section, and are recorded as such),
//     and kallsyms_num_syms in memory must equal the cached symbol count,
//   - the first and last 4 KiB of the cached BTF blob must equal memory at the cached address.
// Anything else means the entry is wrong for this dump: it is ignored and rewritten.
import * as crypto from 'node:crypto';
import type { VirtualSpace } from '../../arch/space';
import { SymbolTable } from '../../symbols/kallsyms';
import type { VmcoreInfo } from '../../symbols/vmcoreinfo';
import type { CacheEntry, DiscoveryCache } from '../discovery-cache';

/** bump when what is cached, or how it is derived, changes */
export const LINUX_CACHE_VERSION = 2;
const ENGINE = 'linux';

export interface CachedLinux {
  vmcoreinfoPaddr: number;
  vmcoreinfoSha: string;
  /** vmcoreinfoValueSymbols() when the entry was made */
  valueSymbols: string[];
  syms: SymbolTable;
  /** sources.symbols text of the discovery that decoded the table */
  symsSource: string;
  btf: { va: bigint; blob: Buffer; source: string } | null;
}

/** VMCOREINFO SYMBOL() names whose value is not the symbol's address in `syms` (pointer values such as mem_section) */
export function vmcoreinfoValueSymbols(vmci: VmcoreInfo, syms: SymbolTable): string[] {
  const out: string[] = [];
  for (const [name, addr] of vmci.symbols) {
    const a = syms.get(name);
    if (a !== undefined && a !== addr) out.push(name);
  }
  return out.sort();
}

export const sha256 = (s: string | Buffer) => crypto.createHash('sha256').update(s).digest('hex');

const memo = new WeakMap<DiscoveryCache, CachedLinux | null>();

function aligned(b: Buffer): ArrayBuffer {
  const copy = new Uint8Array(b.length);
  copy.set(b);
  return copy.buffer;
}

/** The cached Linux discovery for this dump (file-level checks passed), or null. Memoized per cache. */
export function readLinuxCache(cache: DiscoveryCache): CachedLinux | null {
  if (memo.has(cache)) return memo.get(cache)!;
  let out: CachedLinux | null = null;
  const e = cache.get(ENGINE, LINUX_CACHE_VERSION);
  if (e) {
    try {
      out = unpack(e);
    } catch (err) {
      cache.status = `entry ignored (${(err as Error).message})`;
    }
  }
  memo.set(cache, out);
  return out;
}

function unpack(e: CacheEntry): CachedLinux {
  const d = e.data as { vmcoreinfo_paddr: number; vmcoreinfo_sha256: string; vmcoreinfo_value_symbols: string[]; symbols_source: string; btf: { va: string; source: string } | null };
  const s = e.sections;
  if (typeof d.vmcoreinfo_paddr !== 'number' || typeof d.vmcoreinfo_sha256 !== 'string' || !Array.isArray(d.vmcoreinfo_value_symbols) || !s.names || !s.types || !s.addrs || !s.order || !s.hash) throw new Error('incomplete entry');
  const names = s.names.toString('latin1').split('\0');
  const types = new Uint8Array(aligned(s.types));
  const addrs = new BigUint64Array(aligned(s.addrs));
  const order = new Uint32Array(aligned(s.order));
  const hash = new Uint32Array(aligned(s.hash));
  if (names.length !== types.length || names.length !== addrs.length || order.length > names.length) throw new Error('inconsistent symbol arrays');
  for (const i of order) if (i >= names.length) throw new Error('inconsistent symbol order');
  for (const i of hash) if (i > names.length) throw new Error('inconsistent symbol index');
  const syms = SymbolTable.fromPacked({ names, types, addrs, order, hash }, 'kallsyms');
  const btf = d.btf && s.btf ? { va: BigInt(d.btf.va), blob: Buffer.from(s.btf), source: d.btf.source } : null;
  return { vmcoreinfoPaddr: d.vmcoreinfo_paddr, vmcoreinfoSha: d.vmcoreinfo_sha256, valueSymbols: d.vmcoreinfo_value_symbols, syms, symsSource: d.symbols_source, btf };
}

export function writeLinuxCache(cache: DiscoveryCache, c: CachedLinux): void {
  const p = c.syms.pack();
  const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  cache.put(ENGINE, LINUX_CACHE_VERSION, {
    data: {
      vmcoreinfo_paddr: c.vmcoreinfoPaddr,
      vmcoreinfo_sha256: c.vmcoreinfoSha,
      vmcoreinfo_value_symbols: c.valueSymbols,
      symbols_source: c.symsSource,
      btf: c.btf ? { va: '0x' + c.btf.va.toString(16), source: c.btf.source } : null,
    },
    sections: {
      names: Buffer.from(p.names.join('\0'), 'latin1'),
      types: bytes(p.types),
      addrs: bytes(p.addrs),
      order: bytes(p.order),
      hash: bytes(p.hash),
      ...(c.btf ? { btf: c.btf.blob } : {}),
    },
  });
}

/** Why the cached symbols do not belong to this dump, or null when they check out. */
export function symbolsMismatch(c: CachedLinux, vmci: VmcoreInfo, space: VirtualSpace): string | null {
  if (vmci.paddr !== c.vmcoreinfoPaddr || sha256(vmci.raw) !== c.vmcoreinfoSha) return 'VMCOREINFO differs';
  let overlap = 0;
  const values = new Set(c.valueSymbols);
  for (const [name, addr] of vmci.symbols) {
    const a = c.syms.get(name);
    if (a === undefined) continue;
    if ((a !== addr) !== values.has(name)) return `symbol ${name} disagrees with VMCOREINFO`;
    overlap++;
  }
  const numSyms = vmci.symbols.get('kallsyms_num_syms');
  if (numSyms !== undefined) {
    const b = space.read(numSyms, 4);
    if (!b || b.readUInt32LE(0) !== c.syms.size) return 'kallsyms_num_syms differs';
  } else if (overlap === 0) return 'no VMCOREINFO symbol to check the table against';
  return null;
}

/** Why the cached BTF blob is not the one in this dump's memory, or null when it checks out. */
export function btfMismatch(btf: NonNullable<CachedLinux['btf']>, space: VirtualSpace): string | null {
  const n = Math.min(4096, btf.blob.length);
  const head = space.read(btf.va, n);
  const tail = space.read(btf.va + BigInt(btf.blob.length - n), n);
  if (!head || !tail || !head.equals(btf.blob.subarray(0, n)) || !tail.equals(btf.blob.subarray(btf.blob.length - n))) return 'BTF differs';
  return null;
}
