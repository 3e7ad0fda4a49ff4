// Every bundled playbook against data with known behaviour: the dev dump's ground truth (what fires
// there is fixed by the scenario table in linux-dev/README.md, looked up by role), the same with
// planted Linux attacks, and a clean vs. a malicious hand-built Windows process set. Each playbook
// must fire exactly where its behaviour exists and stay silent elsewhere.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadPlaybooks } from '../../lib/hunt/loader';
import { runHunt, type HuntReport } from '../../lib/hunt/runner';
import { openLocalStore, runQuery, type LocalStore } from '../../lib/engine';
import { devRows, gtPid, hitKey, linuxTampered, windowsClean, windowsMalicious, writeSnapshot, type SnapshotRef } from './fixtures';
import { ParquetWriter } from '../../lib/store/parquet-writer';
import { imagesAvailable, describeWithImages } from '../support/dumps';

const playbooks = loadPlaybooks();
let dir: string;
let store: LocalStore;

const snaps = {
  dev: { project: 'lab', machine: 'memq-dev', snapshot: 'ground-truth' },
  tampered: { project: 'lab', machine: 'memq-dev', snapshot: 'tampered' },
  winClean: { project: 'lab', machine: 'win10', snapshot: 'clean' },
  winBad: { project: 'lab', machine: 'win10', snapshot: 'malicious' },
} satisfies Record<string, SnapshotRef>;

const tampered = linuxTampered();
const winBad = windowsMalicious();

function firedKeys(rep: HuntReport): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const r of rep.results) {
    const keys = new Set<string>();
    for (const q of r.queries) {
      expect(q.error).toBeUndefined();
      for (const row of q.rows) keys.add(hitKey(row));
    }
    out[r.id] = [...keys].sort();
  }
  return out;
}

async function hunt(ref: SnapshotRef): Promise<Record<string, string[]>> {
  const exec = async (text: string) => {
    const r = await runQuery(store, text, { projects: [ref.project], machines: [ref.machine], snapshots: [ref.snapshot] });
    return { columns: r.columns.map((c) => c.name), rows: r.rows };
  };
  return firedKeys(await runHunt(exec, playbooks));
}

/** Expected firing on the dev dump, from the scenario roles (README scenario table). */
function devExpected(): Record<string, string[]> {
  const pid = (...roles: string[]) => roles.map((r) => String(gtPid(r)));
  return {
    'linux-kernel-thread-name-masquerade': pid('fake_kthread'),
    'linux-deleted-executable': pid('deleted_exe'),
    'linux-exec-from-temp-dir': pid('evil_miner', 'deleted_exe'),
    'linux-exec-from-hidden-path': pid('evil_miner', 'deleted_exe', 'fake_kthread'),
    'linux-cwd-hidden-dir': pid('evil_miner', 'shell'),
    'linux-netcat-network': pid('nc_listener', 'nc_client'),
    cryptominer: pid('evil_miner'),
    // the shell typed `cd /tmp/.hidden` and echoed the pool URL (ground truth shell_history)
    'linux-history-suspicious-commands': pid('shell'),
    'mining-pool-url-in-memory': pid('evil_miner', 'shell'),
    // README: ":::8080 LISTEN (pids 115)" and the nc pair on 127.0.0.1:4444
    'listener-unusual-port': [`${gtPid('httpd')}:8080`],
    'suspicious-port-connection': [`${gtPid('nc_listener')}:4444`, `${gtPid('nc_client')}:40358`],
  };
}

function expectation(...parts: Record<string, string[]>[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const p of playbooks) {
    const s = new Set<string>();
    for (const part of parts) for (const k of part[p.id] ?? []) s.add(k);
    out[p.id] = [...s].sort();
  }
  return out;
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-hunt-'));
  const w = await ParquetWriter.create();
  try {
    await writeSnapshot(dir, snaps.dev, devRows(), w);
    await writeSnapshot(dir, snaps.tampered, tampered.rows, w);
    await writeSnapshot(dir, snaps.winClean, windowsClean(), w);
    await writeSnapshot(dir, snaps.winBad, winBad.rows, w);
  } finally {
    w.close();
  }
  store = openLocalStore(dir);
});

afterAll(() => {
  store?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const maybe = describeWithImages;

maybe('bundled playbooks', () => {
  test('there are at least 20, covering Linux and Windows', () => {
    expect(playbooks.length).toBeGreaterThanOrEqual(20);
    expect(playbooks.filter((p) => p.platform !== 'windows').length).toBeGreaterThanOrEqual(10);
    expect(playbooks.filter((p) => p.platform !== 'linux').length).toBeGreaterThanOrEqual(10);
  });

  test('every playbook has a fixture where its behaviour exists', () => {
    const anywhere = expectation(devExpected(), tampered.planted, winBad.planted);
    const none = playbooks.filter((p) => anywhere[p.id].length === 0).map((p) => p.id);
    expect(none).toEqual([]);
  });

  test('dev dump (ground truth): fires exactly on the scenario processes', async () => {
    expect(await hunt(snaps.dev)).toEqual(expectation(devExpected()));
  });

  test('dev dump with planted Linux attacks: each planted behaviour fires its playbook', async () => {
    expect(await hunt(snaps.tampered)).toEqual(expectation(devExpected(), tampered.planted));
  });

  test('clean Windows process set: nothing fires', async () => {
    expect(await hunt(snaps.winClean)).toEqual(expectation());
  });

  test('malicious Windows process set: each planted behaviour fires its playbook', async () => {
    expect(await hunt(snaps.winBad)).toEqual(expectation(winBad.planted));
  });
});
