// One store, one truth: snapshots `memq add` put into a store folder become projects, machines and
// snapshots of the metadata (the SQLite inside the store) the first time `memq serve` sees them, owned by
// the local admin's organization. Records use the partition values as their ids (project "dev", machine
// "web1", snapshot "s1"), exactly as uploads through the UI live at project=<project id>/machine=<machine
// id>/snapshot=<snapshot id>: the data plane addresses every snapshot by its ids, and query scopes filter
// on the snapshot id, so a snapshot whose name is also used at another place of the store (or a machine
// name used by another project) is left out with a warning instead of mixing two dumps' rows.
import { listSnapshots, readManifest, type SnapshotInfo } from '../store/store';
import { now, type Machine, type Project, type Snapshot, type User } from '../platform/model';
import type { Platform } from '../platform/service';

export interface StoreSyncResult {
  registered: string[];
  /** partitions left out, with why */
  skipped: { snapshot: string; reason: string }[];
}

/** The organization admin that owns what the store held before the server knew it (the first-run admin). */
async function localAdmin(p: Platform): Promise<User | null> {
  const users = await p.repo.all('user', 1000);
  const admins = users.filter((u) => u.org_admin && !u.disabled_at).sort((a, b) => (a.id < b.id ? -1 : 1));
  return admins[0] ?? null;
}

/** the stage of a snapshot registered from the store (uploads say 'analyzed') */
export const REGISTERED_STAGE = 'added with memq add';

const label = (s: SnapshotInfo) => `${s.project}/${s.machine}/${s.snapshot}`;

/** Registers every store snapshot the metadata does not know yet. Idempotent; cheap when nothing is new. */
export async function registerStoreSnapshots(p: Platform, storeDir: string): Promise<StoreSyncResult> {
  const out: StoreSyncResult = { registered: [], skipped: [] };
  const found = listSnapshots(storeDir);
  if (found.length === 0) return out;
  const byName = new Map<string, SnapshotInfo[]>();
  for (const s of found) byName.set(s.snapshot, [...(byName.get(s.snapshot) ?? []), s]);
  let admin: User | null | undefined;
  for (const s of found) {
    const known = await p.repo.get('snapshot', s.snapshot);
    if (known) {
      if (known.project_id !== s.project || known.machine_id !== s.machine)
        out.skipped.push({ snapshot: label(s), reason: `snapshot id ${s.snapshot} is already ${known.project_id}/${known.machine_id}/${s.snapshot}` });
      else if (known.stage === REGISTERED_STAGE && s.created_at && s.created_at !== known.created_at) {
        // `memq add --replace` wrote it again: the record follows the new manifest
        await p.repo.put('snapshot', { ...known, os: s.os ?? null, kernel: s.kernel ?? null, counts: s.counts ?? {}, dump_name: s.dump ?? '', size: readManifest(storeDir, s)?.dump?.size ?? 0, created_at: s.created_at });
      }
      continue; // already registered (or an upload through the UI)
    }
    if (byName.get(s.snapshot)!.length > 1) {
      out.skipped.push({ snapshot: label(s), reason: `the snapshot name ${s.snapshot} is used ${byName.get(s.snapshot)!.length} times in the store (${byName.get(s.snapshot)!.map(label).join(', ')}); re-add it under a unique --snapshot name` });
      continue;
    }
    const machine = await p.repo.get('machine', s.machine);
    if (machine && machine.project_id !== s.project) {
      out.skipped.push({ snapshot: label(s), reason: `machine ${s.machine} already belongs to project ${machine.project_id}` });
      continue;
    }
    admin ??= await localAdmin(p);
    if (!admin) return out; // no user yet: the next sync (after bootstrap) registers it
    const when = s.created_at ?? now();
    let project = await p.repo.get('project', s.project);
    if (!project) {
      project = { id: s.project, org_id: admin.org_id, name: s.project, description: 'added with memq add', created_by: admin.id, created_at: when } satisfies Project;
      await p.repo.put('project', project);
      await p.repo.put('membership', { id: `${project.id}:${admin.id}`, project_id: project.id, user_id: admin.id, role: 'owner', created_at: when });
      await p.audit(admin, 'project.register', 'project', project.id, project.id, { name: project.name, source: 'memq add' });
    }
    if (!machine) {
      const m: Machine = { id: s.machine, project_id: project.id, name: s.machine, os: s.os === 'linux' || s.os === 'windows' ? s.os : 'unknown', created_at: when };
      await p.repo.put('machine', m);
    }
    const snap: Snapshot = {
      id: s.snapshot,
      org_id: project.org_id,
      project_id: project.id,
      machine_id: s.machine,
      name: s.snapshot,
      status: 'ready',
      progress: 1,
      stage: REGISTERED_STAGE,
      error: null,
      dump_name: s.dump ?? '',
      size: readManifest(storeDir, s)?.dump?.size ?? 0,
      os: s.os ?? null,
      kernel: s.kernel ?? null,
      captured_at: s.captured_at ?? null,
      counts: s.counts ?? {},
      classification: 'AMBER',
      tags: [],
      created_by: admin.id,
      created_at: when,
    };
    // another server process may register it at the same moment: the first one wins
    if (await p.repo.create('snapshot', snap)) {
      await p.audit(admin, 'snapshot.register', 'snapshot', snap.id, project.id, { machine: s.machine, dump_name: snap.dump_name, size: snap.size, source: 'memq add', classification: snap.classification });
      out.registered.push(label(s));
    }
  }
  return out;
}
