// Audit entries as sentences ("uploaded memory.kdump (27.4 MiB) for machine memq-dev, TLP:AMBER")
// and readable detail pairs instead of raw JSON. Pure (tested in jest); unknown actions fall back to
// the action's words and the detail's pairs, so new actions still read well.
export interface AuditEvent {
  id: string;
  at: string;
  actor_id: string;
  action: string;
  resource_kind: string;
  resource_id: string;
  project_id: string | null;
  detail: Record<string, unknown>;
}

const VERBS: Record<string, string> = {
  'org.create': 'created the organization',
  'project.create': 'created project',
  'project.register': 'registered project',
  'machine.create': 'added machine',
  'snapshot.upload': 'uploaded a snapshot',
  'snapshot.register': 'registered a snapshot',
  'snapshot.delete': 'deleted a snapshot',
  'query.run': 'ran a query',
  'hunt.run': 'ran a hunt',
  'ioc.search': 'searched IOCs',
  'share.create': 'shared',
  'share.revoke': 'revoked a share of',
  classify: 'classified',
  'member.set': 'set a member role in',
  'member.remove': 'removed a member from',
  'playbook.update': 'changed a playbook',
  'saved_query.update': 'changed a saved query',
  'token.create': 'created an API token',
  'token.revoke': 'revoked a token',
  'user.create': 'created user',
  'user.delete': 'deleted user',
  'user.link': 'linked a sign-in to user',
  'user.login': 'signed in',
  'user.password': 'changed a password',
};

const size = (n: number) => (n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(1)} GiB` : n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(1)} MiB` : `${n} bytes`);

/** One detail value as short text (lists counted past three items, objects as their pairs). */
export function detailText(v: unknown, resolve: (id: string) => string | undefined = () => undefined, depth = 0): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'string') return resolve(v) ?? (v.length > 160 ? v.slice(0, 159) + '…' : v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) {
    const items = v.slice(0, 3).map((x) => detailText(x, resolve, depth + 1));
    return v.length > 3 ? `${items.join(', ')} and ${v.length - 3} more` : items.join(', ') || 'none';
  }
  if (typeof v === 'object' && depth < 2) {
    return Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => `${k.replace(/_/g, ' ')} ${detailText(x, resolve, depth + 1)}`)
      .join(', ');
  }
  return '…';
}

/** "ran a hunt: 32 playbooks over 1 snapshot" — the what, without the who and when. */
export function auditSentence(e: AuditEvent, resolve: (id: string) => string | undefined = () => undefined): string {
  const d = e.detail ?? {};
  const verb = VERBS[e.action] ?? e.action.replace(/[._]/g, ' ');
  const target = resolve(e.resource_id) ?? (typeof d.name === 'string' ? d.name : undefined);
  const n = (k: string) => (Array.isArray(d[k]) ? (d[k] as unknown[]).length : 0);
  switch (e.action) {
    case 'snapshot.upload':
    case 'snapshot.register':
      return `${verb}: ${d.dump_name ?? target ?? e.resource_id}${typeof d.size === 'number' ? ` (${size(d.size)})` : ''}${d.machine ? ` for machine ${d.machine}` : ''}${d.classification ? `, TLP:${d.classification}` : ''}`;
    case 'query.run':
      return `${verb}${n('snapshots') ? ` over ${n('snapshots')} snapshot${n('snapshots') === 1 ? '' : 's'}` : ''}${typeof d.text === 'string' ? `: ${d.text.replace(/\s+/g, ' ').slice(0, 140)}` : ''}`;
    case 'hunt.run':
      return `${verb}: ${n('playbook_ids') ? `${n('playbook_ids')} playbooks` : 'all playbooks'} over ${n('snapshots')} snapshot${n('snapshots') === 1 ? '' : 's'}${d.tactic ? ` (tactic ${d.tactic})` : ''}`;
    case 'ioc.search':
      return `${verb}${n('values') ? `: ${detailText(d.values)}` : ''}${n('snapshots') ? ` in ${n('snapshots')} snapshots` : ''}`;
    case 'user.login':
    case 'org.create':
      return verb;
    default:
      return target ? `${verb} ${target}` : `${verb} ${e.resource_kind.replace(/_/g, ' ')}`;
  }
}

/** The detail as label/value pairs, minus what the sentence already says. */
export function auditPairs(e: AuditEvent, resolve: (id: string) => string | undefined = () => undefined): [string, string][] {
  const said: Record<string, string[]> = {
    'snapshot.upload': ['dump_name', 'size', 'machine', 'classification'],
    'snapshot.register': ['dump_name', 'size', 'machine', 'classification'],
    'query.run': ['text', 'snapshots'],
    'hunt.run': ['playbook_ids', 'snapshots', 'tactic'],
    'ioc.search': ['values', 'snapshots'],
  };
  const skip = new Set([...(said[e.action] ?? []), 'name']);
  return Object.entries(e.detail ?? {})
    .filter(([k]) => !skip.has(k))
    .map(([k, v]) => [k.replace(/_/g, ' '), detailText(v, resolve)]);
}
