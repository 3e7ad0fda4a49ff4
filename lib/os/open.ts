// Opens a dump end to end: bytes → physical memory (format detection) → OS engine (Linux/Windows
// detection). The CLI, the analyzer and the cloud shards all enter here.
import { openDumpFile, type OpenOptions } from '../image/open';
import { skipUnreadable, type PhysicalMemory } from '../image/physical';
import type { EngineOptions, EngineProbe, OsEngine } from './engine';
import { MemqError } from '../util/errors';

const engines: EngineProbe[] = [];

export function registerEngine(p: EngineProbe): void {
  if (!engines.some((e) => e.os === p.os)) engines.push(p);
}

export function openEngine(mem: PhysicalMemory, opts: EngineOptions = {}): OsEngine {
  loadEngines();
  // an unreadable page (dump cut short, corrupt compressed page) is an absent page: the objects that
  // need it are skipped with a warning in eng.warnings (and the manifest), the rest is extracted
  const skip = skipUnreadable(mem);
  const early: string[] = [];
  skip.onSkip = (msg) => void (early.length < 100 && early.push(msg));
  const reasons: string[] = [];
  // a Windows crash-dump header settles the OS before any RAM scan
  const order = mem.format.startsWith('windows') ? [...engines].sort((a) => (a.os === 'windows' ? -1 : 1)) : engines;
  for (const e of order) {
    const why = e.detect(mem, opts);
    if (why) {
      const eng = e.open(mem, opts);
      const warn = (msg: string) => void (eng.warnings.length < 1000 && !eng.warnings.includes(msg) && eng.warnings.push(msg));
      early.forEach(warn);
      skip.onSkip = warn;
      return eng;
    }
    reasons.push(e.os);
  }
  throw new MemqError(
    `${mem.source.name}: ${mem.format} dump read, but no supported kernel found in it (looked for: ${reasons.join(', ')})`,
    'E_NO_KERNEL',
  );
}

export async function openDump(file: string, opts: EngineOptions & OpenOptions = {}): Promise<OsEngine> {
  const mem = await openDumpFile(file, opts);
  try {
    return openEngine(mem, opts);
  } catch (e) {
    mem.close();
    throw e;
  }
}

let loaded = false;
function loadEngines(): void {
  if (loaded) return;
  loaded = true;
  // Engines register themselves on import; required on first use, with literal paths so that
  // bundlers (the built CLI in dist/, the Lambda assets) include them.
  require('./linux');
  require('./windows');
}
