// "Try again" must never become "unreadable memory, skipped": a byte source that throws TransientError
// (what lib/image/s3-source.ts throws once its in-worker retries are spent) in the middle of an
// extraction must make that extraction throw TransientError — never return fewer rows with a warning,
// and never turn into a MemqError (which the state machine does not retry). Checked on the real Linux
// dev kdump (every table) and, for the engine open, the Windows x64 triage dump, failing every k-th read below the caches for
// several k (so the failure lands at many different points of the format readers, the page-table walk,
// the list walks and the extractors).
import * as path from 'node:path';
import { FileSource, type ByteSource } from '../../lib/image/byte-source';
import { openSource } from '../../lib/image/open';
import { openEngine } from '../../lib/os/open';
import type { OsEngine } from '../../lib/os/engine';
import { TransientError, isTransientError } from '../../lib/util/errors';
import { IMAGES } from '../support/dumps';
import '../../lib/os/linux';
import '../../lib/os/windows';

/** Passes reads through until armed; then every `every`-th read (or only read number `once`) throws TransientError. */
class Flaky implements ByteSource {
  every = 0;
  once = 0;
  reads = 0;
  thrown = 0;
  constructor(private readonly inner: ByteSource) {}
  get size() {
    return this.inner.size;
  }
  get name() {
    return this.inner.name;
  }
  readInto(o: number, t: Uint8Array, to: number, n: number): number {
    this.reads++;
    if ((this.every > 0 && this.reads % this.every === 0) || this.reads === this.once) {
      this.thrown++;
      throw new TransientError(`${this.name}: S3 GET failed after 6 attempts — SlowDown (HTTP 503)`, 'E_S3_THROTTLED');
    }
    return this.inner.readInto(o, t, to, n);
  }
  close() {
    this.inner.close();
  }
}

const DUMPS = [path.join(IMAGES, 'linux-dev/memory.kdump'), path.join(IMAGES, 'windows-triage/triage_x64.dmp')];

function open(file: string, hints?: Record<string, number | string>): { eng: OsEngine; flaky: Flaky } {
  const flaky = new Flaky(new FileSource(file));
  // a small cache so extraction keeps reading the source
  const eng = openEngine(openSource(flaky, { cacheBytes: 256 << 10 }), { hints });
  return { eng, flaky };
}

describe.each(DUMPS)('%s', (file) => {
  let baseline: Map<string, number>; // rows per table with no failure (for messages)
  let tables: readonly string[];
  let hints: Record<string, number | string>;
  beforeAll(() => {
    const { eng } = open(file);
    hints = eng.discoveryHints?.() ?? {};
    tables = eng.tables;
    baseline = new Map(eng.tables.map((t) => [t, eng.extract(t).length]));
    eng.mem.close();
  });

  // the Windows triage dump is small enough that its engine holds what it needs after the open: there
  // a failure can only happen during the open (tested below), and this test checks that no read follows
  const triage = file.includes('windows-triage');
  if (triage)
    test('after the open, no table reads the dump again (a transient failure can only hit the open)', () => {
      for (const t of tables) {
        const dry = open(file, hints);
        dry.flaky.every = 0;
        dry.flaky.reads = 0;
        dry.eng.extract(t as never);
        expect([t, dry.flaky.reads]).toEqual([t, 0]);
        dry.eng.mem.close();
      }
    });
  const testExtract = triage ? () => undefined : test;
  // One failed read, at many different points of each extraction: the sharpest check that no layer
  // (format reader, page walk, list walk, extractor) catches it and carries on with less data.
  testExtract('every table: a single transient failure anywhere in the extraction is TransientError', () => {
    for (const t of tables) {
      const dry = open(file, hints);
      dry.flaky.every = 0;
      dry.flaky.reads = 0;
      dry.eng.extract(t as never);
      const total = dry.flaky.reads;
      dry.eng.mem.close();
      const points = [...new Set([1, 2, ...[0.25, 0.5, 0.75].map((f) => Math.ceil(f * total)), total])].filter((n) => n >= 1 && n <= total);
      for (const at of points) {
        const { eng, flaky } = open(file, hints);
        flaky.reads = 0;
        flaky.once = at;
        let err: unknown = null;
        let rows = -1;
        try {
          rows = eng.extract(t as never).length;
        } catch (e) {
          err = e;
        }
        eng.mem.close();
        if (!flaky.thrown) continue; // a different path (cache state) made fewer reads
        if (!isTransientError(err)) {
          throw new Error(`${t}: read ${at} of ${total} failed once → ${err ? `threw ${(err as Error).name}: ${(err as Error).message}` : `returned ${rows} rows (baseline ${baseline.get(t)})`}`);
        }
      }
    }
  });

  test('opening the engine: a transient failure during discovery is TransientError too', () => {
    let injected = 0;
    for (const every of [1, 2, 3, 11, 101]) {
      const flaky = new Flaky(new FileSource(file));
      flaky.every = every;
      let err: unknown = null;
      try {
        openEngine(openSource(flaky, { cacheBytes: 256 << 10 })).mem.close();
      } catch (e) {
        err = e;
      }
      flaky.close();
      if (!flaky.thrown) {
        // a small dump may be fully read before the k-th read: then the open must simply succeed
        expect(err).toBeNull();
        continue;
      }
      injected++;
      expect((err as Error | null)?.name).toBe('TransientError');
    }
    expect(injected).toBeGreaterThanOrEqual(2);
  });
});
