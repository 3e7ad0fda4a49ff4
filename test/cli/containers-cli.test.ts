// `memq containers` and `memq mounts` on the shipped dumps: the rootkit-dev dump's two containers and
// the docker container's mounts as the guest's ground truth lists them; a host without containers says
// why on stderr instead of printing an empty table.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { dumpPath, IMAGES } from '../support/dumps';

jest.setTimeout(180_000);
const BIN = path.resolve(__dirname, '../../bin/memq.js');
const run = (...args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, MEMQ_PROGRESS: '0' }, maxBuffer: 64 << 20 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const ROOTKIT = path.join(IMAGES, 'linux-dev-rootkit', 'memory.kdump');
const gt = JSON.parse(fs.readFileSync(path.join(IMAGES, 'linux-dev-rootkit', 'ground-truth.json'), 'utf8')) as {
  containers: { id: string; runtime: string; hostname: string; init_pid: number; pids: number[]; rootfs: string }[];
  processes: { pid: number; mountinfo?: { mount_id: number; fstype: string }[] }[];
};

test('memq containers lists the guest\'s containers; memq mounts their mounts', () => {
  const r = run('containers', ROOTKIT, '--format', 'json');
  expect(r.code).toBe(0);
  const rows = JSON.parse(r.out) as { container_id: string; runtime: string; hostname: string; init_process_id: number; process_count: number; rootfs: string }[];
  expect(rows.map((c) => [c.container_id, c.runtime, c.hostname, c.init_process_id, c.process_count, c.rootfs]).sort()).toEqual(
    gt.containers.map((c) => [c.id, c.runtime, c.hostname, c.init_pid, c.pids.length, c.rootfs]).sort(),
  );
  const table = run('containers', ROOTKIT);
  expect(table.code).toBe(0);
  for (const c of gt.containers) expect(table.out).toContain(c.runtime);

  const m = run('mounts', ROOTKIT, '--format', 'json');
  expect(m.code).toBe(0);
  const mounts = JSON.parse(m.out) as { mount_id: number; fs_type: string }[];
  const docker = gt.containers.find((c) => c.runtime === 'docker')!;
  for (const e of gt.processes.find((p) => p.pid === docker.init_pid)!.mountinfo!) {
    expect([e.mount_id, mounts.find((x) => x.mount_id === e.mount_id)?.fs_type]).toEqual([e.mount_id, e.fstype]);
  }
});

test('on a host without containers memq containers says why and exits 0', async () => {
  const r = run('containers', await dumpPath('6.1', 'memory.kdump'));
  expect(r.code).toBe(0);
  expect(r.err).toMatch(/^memq containers: no process runs in a container's cgroup/m);
  expect(JSON.parse(run('containers', await dumpPath('6.1', 'memory.kdump'), '--format', 'json').out)).toEqual([]);
});
