// The authorization matrix, exercised through the service (so the facts gathering is tested too):
// org walls, roles, TLP:RED share lists, revocation, and the audit trail of who did what — on both
// metadata repositories (embedded SQLite and DynamoDB via dynalite).
import * as http from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Platform } from '../../lib/platform/service';
import { SqliteRepository } from '../../lib/platform/sqlite-repository';
import { DynamoRepository, createMetadataTable } from '../../lib/platform/dynamo-repository';
import type { MetadataRepository } from '../../lib/platform/repository';
import { decide, type Subject } from '../../lib/platform/authz';
import type { Snapshot, User } from '../../lib/platform/model';

const dynalite = require('dynalite') as (o: object) => http.Server;
let server: http.Server;
let client: DynamoDBClient;
let tables = 0;
beforeAll(async () => {
  server = dynalite({ createTableMs: 0 });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  client = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
});
afterAll(async () => {
  client.destroy();
  await new Promise((r) => server.close(r));
});

const backends: [string, () => Promise<MetadataRepository>][] = [
  ['sqlite', async () => new SqliteRepository(':memory:')],
  [
    'dynamodb',
    async () => {
      const name = `meta-${++tables}`;
      await createMetadataTable(client, name);
      return new DynamoRepository(client, name);
    },
  ],
];
let makeRepo: () => Promise<MetadataRepository>;
const PW = 'member-password-1';

async function world() {
  const pf = new Platform(await makeRepo());
  const a = await pf.createOrgWithAdmin('Org A', 'admin@a.test', 'A admin', 'pw-a-long-1');
  const b = await pf.createOrgWithAdmin('Org B', 'admin@b.test', 'B admin', 'pw-b-long-1');
  const sA = await pf.subject(a.user);
  const mk = async (email: string) => pf.createUser(sA, { email, name: email, password: PW });
  const owner = await mk('owner@a.test');
  const analyst = await mk('analyst@a.test');
  const viewer = await mk('viewer@a.test');
  const outsider = await mk('outsider@a.test'); // same org, not in the project
  const sOwner = await pf.subject(owner.id);
  const proj = await pf.createProject(sOwner, { name: 'incident-1' });
  await pf.setMember(sOwner, proj.id, { user_id: analyst.id, role: 'analyst' });
  await pf.setMember(sOwner, proj.id, { email: 'viewer@a.test', role: 'viewer' });
  const other = await pf.createProject(await pf.subject(outsider.id), { name: 'other-team' });
  const sub = (u: { id: string }) => pf.subject(u.id);
  const snap = await pf.createSnapshot(await sub(analyst), { project_id: proj.id, machine_name: 'web-01', dump_name: 'memory.kdump', size: 10 });
  return { pf, a, b, owner, analyst, viewer, outsider, proj, other, snap, sub };
}

describe.each(backends)('on %s', (_name, factory) => {
  beforeAll(() => {
    makeRepo = factory;
  });

  test('a user of org B cannot see org A snapshots, projects or users (answered as not found)', async () => {
    const { pf, b, snap, proj } = await world();
    const sB = await pf.subject(b.user);
    await expect(pf.getSnapshot(sB, snap.id)).rejects.toMatchObject({ kind: 'not_found' });
    await expect(pf.getProject(sB, proj.id)).rejects.toMatchObject({ kind: 'not_found' });
    expect(await pf.listProjects(sB)).toEqual([]);
    expect((await pf.listSnapshots(sB, {})).items).toEqual([]);
    expect((await pf.listUsers(sB)).map((u) => u.email)).toEqual(['admin@b.test']);
    await expect(pf.share(sB, 'snapshot', snap.id, { target_kind: 'user', target_id: b.user.id })).rejects.toMatchObject({ kind: 'not_found' });
  });

  test('sharing never crosses organizations', async () => {
    const { pf, b, snap, analyst, sub } = await world();
    await expect(pf.share(await sub(analyst), 'snapshot', snap.id, { target_kind: 'user', target_id: b.user.id })).rejects.toMatchObject({ kind: 'not_found' });
    await expect(pf.share(await sub(analyst), 'snapshot', snap.id, { target_kind: 'user', email: 'admin@b.test' })).rejects.toMatchObject({ kind: 'not_found' });
  });

  test('roles: viewer reads but cannot share, classify or delete; analyst can share; owner deletes', async () => {
    const { pf, viewer, analyst, owner, outsider, snap, sub } = await world();
    const sv = await sub(viewer);
    expect((await pf.getSnapshot(sv, snap.id)).id).toBe(snap.id);
    await expect(pf.share(sv, 'snapshot', snap.id, { target_kind: 'user', target_id: outsider.id })).rejects.toMatchObject({ kind: 'forbidden' });
    await expect(pf.classify(sv, 'snapshot', snap.id, { classification: 'GREEN' })).rejects.toMatchObject({ kind: 'forbidden' });
    await expect(pf.deleteSnapshot(sv, snap.id)).rejects.toMatchObject({ kind: 'forbidden' });
    // outsider (same org, not a member) does not see an AMBER snapshot at all
    await expect(pf.getSnapshot(await sub(outsider), snap.id)).rejects.toMatchObject({ kind: 'not_found' });
    // analyst shares with the outsider, who can then read (only read)
    const sh = await pf.share(await sub(analyst), 'snapshot', snap.id, { target_kind: 'user', target_id: outsider.id });
    expect((await pf.getSnapshot(await sub(outsider), snap.id)).id).toBe(snap.id);
    await expect(pf.classify(await sub(outsider), 'snapshot', snap.id, { classification: 'GREEN' })).rejects.toMatchObject({ kind: 'forbidden' });
    expect((await pf.sharedWithMe(await sub(outsider))).items.map((x) => x.item.id)).toEqual([snap.id]);
    expect(sh.revoked_at).toBeNull();
    // an analyst who did not create it cannot delete; the owner can
    const other = await pf.createSnapshot(await sub(owner), { project_id: snap.project_id, machine_id: snap.machine_id, dump_name: 'x', size: 1 });
    await expect(pf.deleteSnapshot(await sub(analyst), other.id)).rejects.toMatchObject({ kind: 'forbidden' });
    await pf.deleteSnapshot(await sub(owner), other.id);
    await expect(pf.getSnapshot(await sub(owner), other.id)).rejects.toMatchObject({ kind: 'not_found' });
  });

  test('revoked shares stop working (user and project shares)', async () => {
    const { pf, analyst, outsider, other, snap, sub } = await world();
    const so = await sub(outsider);
    const byUser = await pf.share(await sub(analyst), 'snapshot', snap.id, { target_kind: 'user', target_id: outsider.id });
    expect((await pf.getSnapshot(so, snap.id)).id).toBe(snap.id);
    await pf.revokeShare(await sub(analyst), byUser.id);
    await expect(pf.getSnapshot(so, snap.id)).rejects.toMatchObject({ kind: 'not_found' });
    expect((await pf.sharedWithMe(so)).items).toEqual([]);
    // project share: every member of the target project reads; revocation ends it
    const byProject = await pf.share(await sub(analyst), 'snapshot', snap.id, { target_kind: 'project', target_id: other.id });
    expect((await pf.listSnapshots(so, {})).items.map((s) => s.id)).toContain(snap.id);
    await pf.revokeShare(await sub(analyst), byProject.id);
    expect((await pf.listSnapshots(so, {})).items.map((s) => s.id)).not.toContain(snap.id);
    await expect(pf.readableSnapshots(so, { snapshot_ids: [snap.id] })).rejects.toMatchObject({ kind: 'not_found' });
  });

  test('TLP:RED stays inside its explicit share list', async () => {
    const { pf, a, owner, viewer, analyst, outsider, other, snap, sub } = await world();
    await pf.classify(await sub(analyst), 'snapshot', snap.id, { classification: 'RED', tags: ['apt-x'] });
    // project owner, viewer and the org admin are not on the list: they do not see it
    for (const u of [owner, viewer, a.user]) {
      await expect(pf.getSnapshot(await sub(u), snap.id)).rejects.toMatchObject({ kind: 'not_found' });
      expect((await pf.listSnapshots(await sub(u), {})).items.map((s) => s.id)).not.toContain(snap.id);
    }
    // creator still sees it
    expect((await pf.getSnapshot(await sub(analyst), snap.id)).classification).toBe('RED');
    // a project share does not open RED to the project's members
    await pf.share(await sub(analyst), 'snapshot', snap.id, { target_kind: 'project', target_id: other.id });
    await expect(pf.getSnapshot(await sub(outsider), snap.id)).rejects.toMatchObject({ kind: 'not_found' });
    // a named share does
    const sh = await pf.share(await sub(analyst), 'snapshot', snap.id, { target_kind: 'user', target_id: viewer.id });
    expect((await pf.getSnapshot(await sub(viewer), snap.id)).id).toBe(snap.id);
    await pf.revokeShare(await sub(analyst), sh.id);
    await expect(pf.getSnapshot(await sub(viewer), snap.id)).rejects.toMatchObject({ kind: 'not_found' });
  });

  test('TLP:RED recipients only read: no onward share, no reclassify, no edit, no delete (#13 item 5)', async () => {
    const { pf, a, owner, viewer, analyst, outsider, proj, sub } = await world();
    // a second analyst in the project, named as a recipient: their project role gives nothing on RED
    const peer = await pf.createUser(await pf.subject(a.user), { email: 'peer@a.test', name: 'peer', password: PW });
    await pf.setMember(await sub(owner), proj.id, { user_id: peer.id, role: 'analyst' });
    const q = await pf.createSavedQuery(await sub(analyst), { project_id: proj.id, name: 'c2 beacons', text: 'process where name = "x"', classification: 'RED' });
    await pf.share(await sub(analyst), 'saved_query', q.id, { target_kind: 'user', target_id: peer.id });
    const sp = await sub(peer);
    expect((await pf.getClassified(sp, 'saved_query', q.id)).id).toBe(q.id);
    await expect(pf.share(sp, 'saved_query', q.id, { target_kind: 'user', target_id: outsider.id })).rejects.toMatchObject({ kind: 'forbidden' });
    await expect(pf.share(sp, 'saved_query', q.id, { target_kind: 'project', target_id: proj.id })).rejects.toMatchObject({ kind: 'forbidden' });
    await expect(pf.classify(sp, 'saved_query', q.id, { classification: 'CLEAR' })).rejects.toMatchObject({ kind: 'forbidden' });
    await expect(pf.updateSavedQuery(sp, q.id, { text: 'process' })).rejects.toMatchObject({ kind: 'forbidden' });
    await expect(pf.deleteClassified(sp, 'saved_query', q.id)).rejects.toMatchObject({ kind: 'forbidden' });
    // nothing leaked: still RED, still unseen by the outsider, the org admin and the project owner
    expect((await pf.getClassified(await sub(analyst), 'saved_query', q.id)).classification).toBe('RED');
    for (const u of [outsider, a.user, owner, viewer]) await expect(pf.getClassified(await sub(u), 'saved_query', q.id)).rejects.toMatchObject({ kind: 'not_found' });
    // the creator keeps full control
    await pf.share(await sub(analyst), 'saved_query', q.id, { target_kind: 'user', target_id: viewer.id });
    expect((await pf.classify(await sub(analyst), 'saved_query', q.id, { classification: 'AMBER' })).classification).toBe('AMBER');
  });

  test('TLP:RED creator removed from (or demoted in) the project loses control at once (#13 item 6)', async () => {
    const { pf, owner, analyst, outsider, proj, snap, sub } = await world();
    await pf.classify(await sub(analyst), 'snapshot', snap.id, { classification: 'RED' });
    const q = await pf.createSavedQuery(await sub(analyst), { project_id: proj.id, name: 'n', text: 'process', classification: 'RED' });
    // demoted to viewer: reads, changes nothing
    await pf.setMember(await sub(owner), proj.id, { user_id: analyst.id, role: 'viewer' });
    expect((await pf.getSnapshot(await sub(analyst), snap.id)).id).toBe(snap.id);
    await expect(pf.classify(await sub(analyst), 'snapshot', snap.id, { classification: 'CLEAR' })).rejects.toMatchObject({ kind: 'forbidden' });
    await expect(pf.share(await sub(analyst), 'snapshot', snap.id, { target_kind: 'user', target_id: outsider.id })).rejects.toMatchObject({ kind: 'forbidden' });
    // removed: the items are gone for them (update, share, reclassify, delete, even read)
    await pf.removeMember(await sub(owner), proj.id, analyst.id);
    const sa = await sub(analyst);
    await expect(pf.getSnapshot(sa, snap.id)).rejects.toMatchObject({ kind: 'not_found' });
    await expect(pf.classify(sa, 'snapshot', snap.id, { classification: 'CLEAR' })).rejects.toMatchObject({ kind: 'not_found' });
    await expect(pf.share(sa, 'snapshot', snap.id, { target_kind: 'user', target_id: outsider.id })).rejects.toMatchObject({ kind: 'not_found' });
    await expect(pf.updateSavedQuery(sa, q.id, { text: 'module' })).rejects.toMatchObject({ kind: 'not_found' });
    await expect(pf.deleteClassified(sa, 'saved_query', q.id)).rejects.toMatchObject({ kind: 'not_found' });
    expect((await pf.listSnapshots(sa, {})).items.map((s) => s.id)).not.toContain(snap.id);
    // re-added as analyst: control comes back (membership is the fact, decided each time)
    await pf.setMember(await sub(owner), proj.id, { user_id: analyst.id, role: 'analyst' });
    expect((await pf.classify(await sub(analyst), 'snapshot', snap.id, { tags: ['x'] })).classification).toBe('RED');
  });

  test('the audit log never holds names, text or tags of TLP:RED items (#13 item 7)', async () => {
    const { pf, a, owner, analyst, proj, snap, sub } = await world();
    const secret = 'beacon-to-evil.example';
    const q = await pf.createSavedQuery(await sub(analyst), { project_id: proj.id, name: secret, text: `process where name = "${secret}"`, classification: 'RED' });
    await pf.updateSavedQuery(await sub(analyst), q.id, { name: secret + '2' });
    const pb = await pf.createPlaybook(await sub(analyst), pbInput(proj.id, { name: secret, slug: secret, classification: 'RED' }));
    await pf.updatePlaybook(await sub(analyst), pb.id, { name: secret, slug: secret, yaml: secret });
    const rs = await pf.createResultSet(await sub(analyst), { project_id: proj.id, name: secret, query: secret, columns: ['a'], rows: [[secret]], classification: 'RED' });
    await pf.classify(await sub(analyst), 'snapshot', snap.id, { classification: 'RED', tags: [secret] });
    const rsnap = await pf.createSnapshot(await sub(analyst), { project_id: proj.id, machine_id: snap.machine_id, name: secret, dump_name: secret, size: 1, classification: 'RED' });
    for (const [kind, id] of [['saved_query', q.id], ['playbook', pb.id], ['result_set', rs.id]] as const) await pf.deleteClassified(await sub(analyst), kind, id);
    await pf.deleteSnapshot(await sub(analyst), rsnap.id);
    for (const reader of [a.user, owner]) {
      const ev = (await pf.listAudit(await sub(reader), { project_id: proj.id })).items;
      expect(JSON.stringify(ev)).not.toContain(secret);
      // the events are there, by id and classification
      expect(ev.find((e) => e.resource_id === q.id && e.action === 'saved_query.create')!.detail).toEqual({ classification: 'RED', redacted: true });
      expect(ev.filter((e) => e.resource_id === rsnap.id).map((e) => e.action)).toEqual(['snapshot.delete', 'snapshot.upload']);
    }
    // non-RED objects keep their names in the log
    const g = await pf.createSavedQuery(await sub(analyst), { project_id: proj.id, name: 'routine', text: 'process', classification: 'GREEN' });
    expect((await pf.listAudit(await sub(owner), { project_id: proj.id })).items.find((e) => e.resource_id === g.id)!.detail).toMatchObject({ name: 'routine', classification: 'GREEN' });
  });

  test('every list pages newest-first with a cursor, merged across projects and filtered by decide() (#13 item 8)', async () => {
    const { pf, a, analyst, outsider, proj, other, snap, sub } = await world();
    const mine = [snap.id];
    for (let i = 0; i < 6; i++) mine.push((await pf.createSnapshot(await sub(analyst), { project_id: proj.id, machine_id: snap.machine_id, dump_name: `d${i}`, size: 1 })).id);
    const theirs: string[] = [];
    for (let i = 0; i < 5; i++) theirs.push((await pf.createSnapshot(await sub(outsider), { project_id: other.id, machine_name: 'm', dump_name: `o${i}`, size: 1 })).id);
    const drain = async <T extends { id: string }>(get: (before?: string) => Promise<{ items: T[]; next: string | null }>) => {
      const out: string[] = [];
      let before: string | undefined;
      for (let i = 0; i < 100; i++) {
        const p = await get(before);
        out.push(...p.items.map((x) => x.id));
        if (!p.next) return out;
        before = p.next;
      }
      throw new Error('no end');
    };
    const desc = (ids: string[]) => [...ids].sort().reverse();
    // the org admin reads every AMBER snapshot: both projects, merged newest-first, pages of 3
    const sa = await pf.subject(a.user);
    expect(await drain((before) => pf.listSnapshots(sa, {}, { limit: 3, before }))).toEqual(desc([...mine, ...theirs]));
    // the outsider: AMBER snapshots of a project they are not in are filtered out, never short-circuiting the list
    const so = await sub(outsider);
    expect(await drain((before) => pf.listSnapshots(so, {}, { limit: 2, before }))).toEqual(desc(theirs));
    expect(await drain((before) => pf.listSnapshots(sa, { project_id: proj.id }, { limit: 4, before }))).toEqual(desc(mine));
    // audit: newest first, strictly descending, complete; an event written now heads the first page
    const all = await drain((before) => pf.listAudit(sa, { limit: 4, before }));
    expect(all).toEqual(desc(all));
    expect(new Set(all).size).toBe(all.length);
    await pf.createSavedQuery(await sub(analyst), { project_id: proj.id, name: 'newest', text: 'process' });
    expect((await pf.listAudit(sa, { limit: 1 })).items[0]!.action).toBe('saved_query.create');
    // a project's log (filtered from the org's) pages the same way
    const inProj = await drain((before) => pf.listAudit(sa, { project_id: proj.id, limit: 2, before }));
    expect(inProj.length).toBeGreaterThan(7);
    // shares and saved queries page too
    for (const u of [outsider, analyst]) await pf.share(await sub(analyst), 'snapshot', snap.id, { target_kind: 'user', target_id: u.id });
    await pf.share(await sub(analyst), 'snapshot', snap.id, { target_kind: 'project', target_id: other.id });
    const shares = await drain((before) => pf.listShares(sa, 'snapshot', snap.id, { limit: 2, before }));
    expect(shares).toHaveLength(3);
    expect(shares).toEqual(desc(shares));
    expect(await drain((before) => pf.listClassified(sa, 'saved_query', proj.id, { limit: 1, before }))).toHaveLength(1);
    expect((await pf.sharedWithMe(so, { limit: 1 })).items.map((x) => x.item.id)).toEqual([snap.id]);
  });

  test('CLEAR/GREEN are readable org-wide, never outside the org', async () => {
    const { pf, b, outsider, analyst, snap, sub } = await world();
    await expect(pf.getSnapshot(await sub(outsider), snap.id)).rejects.toMatchObject({ kind: 'not_found' });
    await pf.classify(await sub(analyst), 'snapshot', snap.id, { classification: 'GREEN' });
    expect((await pf.getSnapshot(await sub(outsider), snap.id)).classification).toBe('GREEN');
    await expect(pf.getSnapshot(await pf.subject(b.user), snap.id)).rejects.toMatchObject({ kind: 'not_found' });
  });

  test('audit log records upload, share, reclassify, delete; only admins/owners read it', async () => {
    const { pf, a, owner, viewer, analyst, outsider, snap, proj, sub } = await world();
    await pf.classify(await sub(analyst), 'snapshot', snap.id, { classification: 'GREEN' });
    const sh = await pf.share(await sub(analyst), 'snapshot', snap.id, { target_kind: 'user', target_id: outsider.id });
    await pf.revokeShare(await sub(owner), sh.id);
    await pf.deleteSnapshot(await sub(owner), snap.id);
    const ev = (await pf.listAudit(await sub(owner), { project_id: proj.id })).items;
    const actions = ev
      .filter((e) => e.resource_kind === 'snapshot')
      .map((e) => `${e.action}:${e.actor_id === owner.id ? 'owner' : e.actor_id === analyst.id ? 'analyst' : '?'}`);
    expect(actions).toEqual(['snapshot.delete:owner', 'share.revoke:owner', 'share.create:analyst', 'classify:analyst', 'snapshot.upload:analyst']);
    expect(ev.find((e) => e.action === 'classify')!.detail).toMatchObject({ from: 'AMBER', to: 'GREEN' });
    await expect(pf.listAudit(await sub(viewer), { project_id: proj.id })).rejects.toMatchObject({ kind: 'forbidden' });
    await expect(pf.listAudit(await sub(owner), {})).rejects.toMatchObject({ kind: 'forbidden' });
    expect((await pf.listAudit(await pf.subject(a.user), {})).items.length).toBeGreaterThan(5);
  });

  // custom playbooks: the platform stores whatever YAML the API validated; these texts are opaque here
  const pbInput = (project_id: string, extra: object = {}) => ({ project_id, name: 'Reverse shell', slug: 'reverse-shell', yaml: 'id: reverse-shell\n', ...extra });

  test('custom playbooks: org wall, viewer cannot create/share/delete, analyst creates and shares, owner deletes', async () => {
    const { pf, b, viewer, analyst, owner, outsider, proj, sub } = await world();
    await expect(pf.createPlaybook(await sub(viewer), pbInput(proj.id))).rejects.toMatchObject({ kind: 'forbidden' });
    const pb = await pf.createPlaybook(await sub(analyst), pbInput(proj.id));
    expect(pb).toMatchObject({ classification: 'AMBER', org_id: proj.org_id, created_by: analyst.id });
    // org B: not found, never listed, cannot share it
    const sB = await pf.subject(b.user);
    await expect(pf.getClassified(sB, 'playbook', pb.id)).rejects.toMatchObject({ kind: 'not_found' });
    expect(await pf.readablePlaybooks(sB)).toEqual([]);
    await expect(pf.share(sB, 'playbook', pb.id, { target_kind: 'user', target_id: b.user.id })).rejects.toMatchObject({ kind: 'not_found' });
    // viewer reads but cannot share, update or delete
    const sv = await sub(viewer);
    expect((await pf.readablePlaybooks(sv)).map((p) => p.id)).toEqual([pb.id]);
    await expect(pf.share(sv, 'playbook', pb.id, { target_kind: 'user', target_id: outsider.id })).rejects.toMatchObject({ kind: 'forbidden' });
    await expect(pf.updatePlaybook(sv, pb.id, { name: 'x', slug: 'x', yaml: 'x' })).rejects.toMatchObject({ kind: 'forbidden' });
    await expect(pf.deleteClassified(sv, 'playbook', pb.id)).rejects.toMatchObject({ kind: 'forbidden' });
    // AMBER: the outsider (same org, other project) does not see it until it is shared
    expect(await pf.readablePlaybooks(await sub(outsider))).toEqual([]);
    const sh = await pf.share(await sub(analyst), 'playbook', pb.id, { target_kind: 'user', target_id: outsider.id });
    expect((await pf.readablePlaybooks(await sub(outsider))).map((p) => p.id)).toEqual([pb.id]);
    expect((await pf.sharedWithMe(await sub(outsider))).items.map((x) => [x.kind, x.item.id])).toEqual([['playbook', pb.id]]);
    await expect(pf.updatePlaybook(await sub(outsider), pb.id, { name: 'x', slug: 'x', yaml: 'x' })).rejects.toMatchObject({ kind: 'forbidden' });
    // revoking stops access
    await pf.revokeShare(await sub(analyst), sh.id);
    expect(await pf.readablePlaybooks(await sub(outsider))).toEqual([]);
    await expect(pf.getClassified(await sub(outsider), 'playbook', pb.id)).rejects.toMatchObject({ kind: 'not_found' });
    // analyst edits; owner deletes; gone for everyone
    expect((await pf.updatePlaybook(await sub(analyst), pb.id, { name: 'Reverse shell v2', slug: 'reverse-shell', yaml: 'id: reverse-shell\n# v2\n' })).name).toBe('Reverse shell v2');
    await pf.deleteClassified(await sub(owner), 'playbook', pb.id);
    expect(await pf.readablePlaybooks(await sub(analyst))).toEqual([]);
    const actions = (await pf.listAudit(await sub(owner), { project_id: proj.id })).items.filter((e) => e.resource_kind === 'playbook').map((e) => e.action);
    expect(actions).toEqual(['playbook.delete', 'playbook.update', 'share.revoke', 'share.create', 'playbook.create']);
  });

  test('a TLP:RED custom playbook is invisible to project members outside its named share list', async () => {
    const { pf, a, owner, viewer, analyst, outsider, other, proj, sub } = await world();
    const pb = await pf.createPlaybook(await sub(analyst), pbInput(proj.id, { classification: 'RED' }));
    for (const u of [owner, viewer, a.user, outsider]) {
      expect(await pf.readablePlaybooks(await sub(u))).toEqual([]);
      await expect(pf.getClassified(await sub(u), 'playbook', pb.id)).rejects.toMatchObject({ kind: 'not_found' });
    }
    expect((await pf.readablePlaybooks(await sub(analyst))).map((p) => p.classification)).toEqual(['RED']);
    await pf.share(await sub(analyst), 'playbook', pb.id, { target_kind: 'project', target_id: other.id });
    expect(await pf.readablePlaybooks(await sub(outsider))).toEqual([]);
    const sh = await pf.share(await sub(analyst), 'playbook', pb.id, { target_kind: 'user', target_id: viewer.id });
    expect((await pf.readablePlaybooks(await sub(viewer))).map((p) => p.id)).toEqual([pb.id]);
    await pf.revokeShare(await sub(analyst), sh.id);
    expect(await pf.readablePlaybooks(await sub(viewer))).toEqual([]);
    // GREEN opens it org-wide (still never to org B)
    await pf.classify(await sub(analyst), 'playbook', pb.id, { classification: 'GREEN' });
    expect((await pf.readablePlaybooks(await sub(outsider))).map((p) => p.id)).toEqual([pb.id]);
  });

  test('sign-in and API tokens', async () => {
    const { pf, viewer } = await world();
    await expect(pf.login('viewer@a.test', 'wrong')).rejects.toMatchObject({ kind: 'unauthenticated' });
    const { token, user } = await pf.login('VIEWER@a.test', PW);
    expect(user.id).toBe(viewer.id);
    expect(user).not.toHaveProperty('password_hash');
    expect((await pf.authenticateToken(token))!.id).toBe(viewer.id);
    expect(await pf.authenticateToken(token.slice(0, -2) + 'xx')).toBeNull();
    await pf.logout(token);
    expect(await pf.authenticateToken(token)).toBeNull();
  });
});

test('first run creates exactly one admin', async () => {
  const pf = new Platform(new SqliteRepository(':memory:'));
  const first = await pf.bootstrap({ email: 'root@local', password: 'first-run-secret' });
  expect(first.created).toBe(true);
  expect(first.user!.org_admin).toBe(true);
  expect((await pf.bootstrap()).created).toBe(false);
  expect((await pf.login('root@local', 'first-run-secret')).user.email).toBe('root@local');
});

test('SQLite: the audit log past 10,000 events still shows the newest first (#13 item 8)', async () => {
  const repo = new SqliteRepository(':memory:');
  const pf = new Platform(repo);
  const { user } = await pf.createOrgWithAdmin('Org', 'root@o.test', 'root', 'pw-long-enough');
  for (let i = 0; i < 10_050; i++) await pf.audit(user, `bulk.${i}`, 'x', 'r', null, {});
  await pf.createProject(await pf.subject(user), { name: 'after the flood' });
  const first = await pf.listAudit(await pf.subject(user), { limit: 2 });
  expect(first.items.map((e) => e.action)).toEqual(['project.create', 'bulk.10049']);
  expect(first.next).toBe(first.items[1]!.id);
});

test('decide() is pure: same facts, same verdict, and revoked shares are ignored', () => {
  const user: User = { id: 'u1', org_id: 'o1', email: 'u@x', name: 'u', org_admin: false, created_at: '' };
  const s: Subject = { user, roles: new Map() };
  const base = { kind: 'snapshot' as const, org_id: 'o1', project_id: 'p1', classification: 'AMBER' as Snapshot['classification'], created_by: 'u2' };
  const share = { id: 's', org_id: 'o1', resource_kind: 'snapshot' as const, resource_id: 'x', target_kind: 'user' as const, target_id: 'u1', created_by: 'u2', created_at: '', revoked_at: null, revoked_by: null };
  expect(decide(s, 'read', { ...base, shares: [] }).allow).toBe(false);
  expect(decide(s, 'read', { ...base, shares: [share] }).allow).toBe(true);
  expect(decide(s, 'share', { ...base, shares: [share] }).allow).toBe(false);
  expect(decide(s, 'read', { ...base, shares: [{ ...share, revoked_at: 'now', revoked_by: 'u2' }] }).allow).toBe(false);
  // RED: a named recipient reads only, whatever their project role; a creator needs a current analyst role
  const red = { ...base, classification: 'RED' as const };
  const analystHere: Subject = { user, roles: new Map([['p1', 'analyst' as const]]) };
  for (const act of ['share', 'classify', 'update', 'delete'] as const) expect(decide(analystHere, act, { ...red, shares: [share] })).toMatchObject({ allow: false, deny: 'forbidden' });
  expect(decide(analystHere, 'read', { ...red, shares: [share] }).allow).toBe(true);
  const mine = { ...red, created_by: 'u1', shares: [] };
  expect(decide(analystHere, 'share', mine).allow).toBe(true);
  expect(decide({ user, roles: new Map([['p1', 'viewer' as const]]) }, 'share', mine)).toMatchObject({ allow: false, deny: 'forbidden' });
  expect(decide({ user, roles: new Map([['p1', 'viewer' as const]]) }, 'read', mine).allow).toBe(true);
  expect(decide(s, 'share', mine)).toMatchObject({ allow: false, deny: 'not_found' });
  expect(decide({ user: { ...user, org_admin: true }, roles: new Map() }, 'read', { ...red, shares: [] })).toMatchObject({ allow: false, deny: 'not_found' });
});
