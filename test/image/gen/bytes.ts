// Deterministic content for synthetic fixtures: every page is recognizable from its address, so a
// test can say exactly which physical page a reader returned.
import * as crypto from 'node:crypto';

/** `len` bytes whose every 8-byte word is (paddr of that word) XOR a tag — unique per address. */
export function patternAt(paddr: number, len: number, tag = 0x6d656d71): Buffer {
  const b = Buffer.alloc(len);
  for (let i = 0; i + 8 <= len; i += 8) {
    b.writeUInt32LE(((paddr + i) % 2 ** 32) >>> 0, i);
    b.writeUInt32LE((Math.floor((paddr + i) / 2 ** 32) ^ tag) >>> 0, i + 4);
  }
  return b;
}

/** Incompressible but reproducible bytes (sha256 counter mode). */
export function noise(seed: string, len: number): Buffer {
  const out = Buffer.alloc(len);
  for (let i = 0, n = 0; i < len; n++) {
    const h = crypto.createHash('sha256').update(`${seed}:${n}`).digest();
    h.copy(out, i, 0, Math.min(32, len - i));
    i += 32;
  }
  return out;
}

/** Page used by the embedded zstd fixture: text lines, cut at 4096 bytes. */
export function zstdFixturePage(): Buffer {
  let s = '';
  for (let i = 0; i < 200; i++) s += `memq zstd fixture line ${String(i).padStart(5, '0')}\n`;
  return Buffer.from(s.slice(0, 4096), 'latin1');
}

/** zstdFixturePage() compressed by the reference `zstd -19` CLI (real FSE/Huffman-coded blocks). */
export const ZSTD_FIXTURE_PAGE =
  'KLUv/WQAD8UEAOIKGhSQq8VrXSPKibi7q2lld/dO8f0PTv////////////+n1cSzGqW0mnhWo02riWc10rSaeFajTKuJZzXCtJp4VqNLq4lnNbK0mnhWo0qriWc1Oq0mntUACgakMIJBaRinIAKBWZ4gOYYjgI6oEcC7/xvwNXYDESAEJwT/CsUPmRB3NZPtaup3PvU7r/qup33n5UCAAWwVINdgrg==';

/** A deterministic PRNG (mulberry32) for fuzzing. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
