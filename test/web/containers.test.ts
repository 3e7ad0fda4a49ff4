// The overview's Containers tab groups processes by container: on the rootkit-dev dump's process and
// container tables (as the API serves them), one group per ground-truth container with exactly its
// pids, ordered by init pid, then the host's processes; a process whose container row is missing still
// gets its group.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { materialize } from '../../lib/image/open';
import { openDump } from '../../lib/os/open';
import { groupByContainer } from '../../web/src/lib/containers';
import { IMAGES } from '../support/dumps';

jest.setTimeout(120_000);

test('processes of the rootkit-dev dump grouped by container, host last', async () => {
  const gt = JSON.parse(fs.readFileSync(path.join(IMAGES, 'linux-dev-rootkit', 'ground-truth.json'), 'utf8')) as {
    processes: { pid: number }[];
    containers: { id: string; init_pid: number; pids: number[] }[];
  };
  const eng = await openDump(await materialize(path.join(IMAGES, 'linux-dev-rootkit', 'memory.kdump')));
  try {
    const procs = eng.extract('process') as unknown as Record<string, unknown>[];
    const ctrs = eng.extract('container') as unknown as Record<string, unknown>[];
    const groups = groupByContainer(procs, ctrs);
    const want = [...gt.containers].sort((a, b) => a.init_pid - b.init_pid);
    expect(groups.map((g) => g.id)).toEqual([...want.map((c) => c.id), null]);
    want.forEach((c, i) => {
      expect(groups[i]!.processes.map((p) => p.process_id)).toEqual([...c.pids].sort((a, b) => a - b));
      expect(groups[i]!.container?.init_process_id).toBe(c.init_pid);
    });
    const inContainers = new Set(gt.containers.flatMap((c) => c.pids));
    expect(groups.at(-1)!.processes.map((p) => p.process_id)).toEqual(gt.processes.map((p) => p.pid).filter((p) => !inContainers.has(p)).sort((a, b) => a - b));
    // the container table not loaded yet: groups from the processes alone
    const bare = groupByContainer(procs, []);
    expect(bare.map((g) => [g.id, g.container, g.processes.length])).toEqual(groups.map((g) => [g.id, null, g.processes.length]));
  } finally {
    eng.mem.close();
  }
});
