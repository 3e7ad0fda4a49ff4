// What a customer deployment may do, from the entitlement its usage reporter last heard from the seller
// (stored in the deployment's usage table, lib/pipeline/usage-table.ts). The policy, as documented in
// marketplace/README.md ("When a subscription ends"):
//
//   active / pending / ending → full use.
//   ended (or never subscribed) → READ-ONLY for GRACE_DAYS: no new snapshots; uploads and analyses
//     already under way finish; browsing, queries, hunts, exports and deletes keep working.
//   after the grace period → INGEST STOPS: no upload or analysis starts at all (the ingest Lambda
//     refuses every dump); reads, exports and deletes keep working. Nothing is ever deleted: the data
//     stays in the buyer's account, and a new subscription restores full use at the next hourly check.
//
// The check runs in the buyer's account: it is an honest deployment's enforcement, not tamper-proofing.
// When the seller endpoint cannot be reached the last known state stands (an outage of the seller
// never stops a paying customer).
export const GRACE_DAYS = 30;
const DAY_MS = 86_400_000;

export interface StoredEntitlement {
  state: 'active' | 'pending' | 'ending' | 'ended' | 'none';
  endedAt?: string;
  licenseArn?: string;
  /** when the reporter last heard from the seller */
  checkedAt: string;
  /** first time the seller answered `none` (a deployment that never subscribed) */
  noneSince?: string;
}

export type Mode = 'full' | 'read-only' | 'stopped';

export interface ModeDecision {
  mode: Mode;
  /** ISO end of the read-only grace period, when it applies */
  graceUntil?: string;
  reason?: string;
}

export function decide(e: StoredEntitlement | null, now: Date): ModeDecision {
  if (!e || e.state === 'active' || e.state === 'pending' || e.state === 'ending') return { mode: 'full' };
  const since = e.state === 'ended' ? e.endedAt ?? e.checkedAt : e.noneSince ?? e.checkedAt;
  const graceUntil = new Date(Date.parse(since) + GRACE_DAYS * DAY_MS).toISOString();
  const what = e.state === 'ended' ? `the AWS Marketplace subscription of this account ended at ${since}` : 'this AWS account has no AWS Marketplace subscription to memq';
  if (now.getTime() < Date.parse(graceUntil)) return { mode: 'read-only', graceUntil, reason: `${what}: read-only until ${graceUntil} (existing data stays available; subscribe again to analyze new dumps)` };
  return { mode: 'stopped', graceUntil, reason: `${what}; the grace period ended at ${graceUntil}: no new uploads or analyses (existing data stays available; subscribe again to resume)` };
}

// matched on the path's end, so the API's prefix (API_PREFIX, or a stage in front of it) does not matter
/** Starts new work: refused from read-only on. */
const isNewSnapshot = (method: string, path: string) => method === 'POST' && /\/snapshots\/?$/.test(path);
/** Continues an upload of an existing snapshot: refused once ingest stopped. */
const isUploadStep = (method: string, path: string) =>
  (method === 'PUT' && /\/snapshots\/[^/]+\/content$/.test(path)) ||
  (method === 'POST' && /\/snapshots\/[^/]+\/(complete|multipart|multipart\/complete)$/.test(path)) ||
  (method === 'GET' && /\/snapshots\/[^/]+\/multipart\/parts$/.test(path));

/** The API request refused under `d`, with the reason; null when it may proceed. */
export function refuseApi(d: ModeDecision, method: string, path: string): string | null {
  if (d.mode === 'full') return null;
  if (isNewSnapshot(method, path)) return d.reason!;
  if (d.mode === 'stopped' && isUploadStep(method, path)) return d.reason!;
  return null;
}

/** Whether the ingest Lambda may start an analysis under `d`. */
export function refuseIngest(d: ModeDecision): string | null {
  return d.mode === 'stopped' ? d.reason! : null;
}
