// Format detection by content (never by extension). Each format module registers a probe; the first
// probe that recognizes the header wins, raw is the fallback. Probes must only read headers.
import type { ByteSource } from './byte-source';
import type { PhysicalMemory } from './physical';
import { RawMemory } from './formats/raw';
import { MemqError } from '../util/errors';

export interface FormatProbe {
  /** format id, e.g. 'lime' */
  id: string;
  /** human description for errors and `memq info` */
  description: string;
  /** true if the first bytes (≥ 4 KiB when the file has them) look like this format */
  matches(head: Buffer, src: ByteSource): boolean;
  /** opens the format; throws MemqError naming what was expected and where on corrupt input */
  open(src: ByteSource): PhysicalMemory;
}

const probes: FormatProbe[] = [];

export function registerFormat(p: FormatProbe): void {
  if (!probes.some((q) => q.id === p.id)) probes.push(p);
}

export function registeredFormats(): readonly FormatProbe[] {
  return probes;
}

/** Opens a byte source as physical memory, detecting the format from its content. */
export function openPhysical(src: ByteSource, opts: { allowRaw?: boolean } = {}): PhysicalMemory {
  if (src.size === 0) throw new MemqError(`${src.name}: empty file`, 'E_FORMAT');
  const head = Buffer.alloc(Math.min(src.size, 8192));
  src.readInto(0, head, 0, head.length);
  for (const p of probes) if (p.matches(head, src)) return p.open(src);
  if (opts.allowRaw === false) {
    throw new MemqError(`${src.name}: not a recognized dump format (${probes.map((p) => p.id).join(', ')})`, 'E_FORMAT');
  }
  if (src.size < 1 << 20 || src.size % 4096 !== 0) {
    throw new MemqError(
      `${src.name}: unrecognized format — not ${probes.map((p) => p.description).join(', ')}; ` +
        `and not a raw physical image (size ${src.size} is ${src.size < 1 << 20 ? 'under 1 MiB' : 'not a multiple of 4096'})`,
      'E_FORMAT',
    );
  }
  return new RawMemory(src);
}
