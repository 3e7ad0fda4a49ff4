// Probe scans for the kernel once; plan must not repeat it. The probe returns the engine's discovery
// hints (where VMCOREINFO is) in its result; plan — in a cold container, i.e. with no engine cached —
// opens with them, and hands them to every table shard. Measured in bytes read from the dump (the
// S3 cost) on the real dev raw dump (no format header carries VMCOREINFO: the probe has to scan RAM).
import { FileSource, type ByteSource } from '../../lib/image/byte-source';
import { closeCachedEngine, plan, probe, type SnapshotJob } from '../../lib/pipeline/steps';
import type { PipelineDeps } from '../../lib/pipeline/ports';
import type { ShardSpec } from '../../lib/pipeline/plan';
import { dumpPath } from '../support/dumps';
import '../../lib/os/linux';
import '../../lib/os/windows';

class Counting implements ByteSource {
  constructor(private readonly inner: ByteSource, private readonly counter: { bytes: number; reads: number }) {}
  get size() {
    return this.inner.size;
  }
  get name() {
    return this.inner.name;
  }
  readInto(o: number, t: Uint8Array, to: number, n: number): number {
    const r = this.inner.readInto(o, t, to, n);
    this.counter.bytes += r;
    this.counter.reads++;
    return r;
  }
  close() {
    this.inner.close();
  }
}

function fakeDeps(file: string, counter: { bytes: number; reads: number }): { deps: PipelineDeps; lake: Map<string, string> } {
  const lake = new Map<string, string>();
  const snap = { id: 's1', org_id: 'o', project_id: 'p', machine_id: 'm', status: 'analyzing' };
  const deps = {
    lake: {
      bucket: 'lake',
      put: async (k: string, b: Uint8Array | string) => void lake.set(k, String(b)),
      getText: async (k: string) => lake.get(k) ?? null,
      list: async () => [],
      delete: async () => {},
    },
    dumps: { head: async () => ({ size: 0, etag: '', metadata: {} }), open: () => new Counting(new FileSource(file), counter) },
    repo: { get: async () => ({ ...snap }), put: async () => {} },
    partitions: { register: async () => {} },
    usage: { record: async () => true },
    tmpDir: '/tmp',
  } as unknown as PipelineDeps;
  return { deps, lake };
}

afterEach(() => closeCachedEngine());

test('plan in a cold container reuses the probe hints: no second VMCOREINFO scan; shards carry the hints', async () => {
  const file = await dumpPath('6.1', 'memory.raw.gz');
  const counter = { bytes: 0, reads: 0 };
  const { deps, lake } = fakeDeps(file, counter);
  const job: SnapshotJob = { snapshot: 's1', org: 'o', project: 'p', machine: 'm', bucket: 'b', key: 'k', size: new FileSource(file).size };

  const probed = await probe(deps, job);
  const probeBytes = counter.bytes;
  expect(probed.probe.hints?.vmcoreinfo_paddr).toEqual(expect.any(Number));
  // round-trip through JSON like a Step Functions payload
  const payload = JSON.parse(JSON.stringify(probed)) as typeof probed;

  closeCachedEngine(); // the next state runs in another container
  counter.bytes = 0;
  await plan(deps, payload);
  const planBytes = counter.bytes;
  const shards = JSON.parse([...lake.entries()].find(([k]) => k.endsWith('shards.json'))![1]) as ShardSpec[];
  for (const s of shards) if (s.kind === 'table') expect(s.hints).toEqual(payload.probe.hints);

  // the same plan without the probe's hints (a payload from before they existed) scans again
  closeCachedEngine();
  counter.bytes = 0;
  await plan(deps, { job, probe: { ...payload.probe, hints: undefined } });
  const rescanBytes = counter.bytes;

  // the probe scanned up to VMCOREINFO (~81 MiB into RAM); a hinted plan reads only what discovery
  // needs besides (kallsyms, BTF, page tables)
  expect(probeBytes).toBeGreaterThan(80 << 20);
  expect(rescanBytes).toBeGreaterThan(80 << 20);
  expect(planBytes).toBeLessThan(probeBytes / 3);
  console.log(`probe read ${(probeBytes / 2 ** 20).toFixed(1)} MiB; plan with hints ${(planBytes / 2 ** 20).toFixed(1)} MiB; plan without ${(rescanBytes / 2 ** 20).toFixed(1)} MiB`);
});
