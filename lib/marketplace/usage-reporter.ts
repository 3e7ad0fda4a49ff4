// Customer-side usage reporter: sends pending usage records (one per analyzed snapshot, written by the
// pipeline's finalize) to the seller's metering endpoint, signed with SigV4 by the Lambda's own role
// (service execute-api), then clears their pending flag. Resending is harmless: the seller dedupes
// by record id. Records are sent only for closed hours so a report is never split across runs.
// Every answer carries the account's entitlement, stored in the usage table for the API and ingest to
// enforce (lib/marketplace/entitlement.ts); with nothing to report an empty report asks for it.
//   200 → records accepted (pending flag cleared)   409 → subscription not active yet (kept, resent)
//   403 → no/ended subscription: the records will never be billed (marked refused, not resent)
import { DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SignatureV4 } from '@smithy/signature-v4';
import { Hash } from '@smithy/hash-node';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { PENDING, readEntitlement, usageTableShape, writeEntitlement, type EntitlementItem } from '../pipeline/usage-table';

export interface ReporterDeps {
  ddb: DynamoDBClient;
  table: string;
  url: string;
  region: string;
  credentials: AwsCredentialIdentityProvider;
  fetch?: typeof fetch;
  now?: () => Date;
}

interface Pending {
  pk: string;
  snapshot: string;
  bytes: number;
  hour: string;
}

export interface ReportResult {
  sent: number;
  batches: number;
  refused: number;
  entitlement: EntitlementItem['state'] | null;
}

export async function reportUsage(deps: ReporterDeps): Promise<ReportResult> {
  const doc = DynamoDBDocumentClient.from(deps.ddb);
  const currentHour = (deps.now?.() ?? new Date()).toISOString().slice(0, 13);
  const idx = usageTableShape.pendingIndex;
  const items: Pending[] = [];
  let start: Record<string, unknown> | undefined;
  for (let page = 0; page < 20; page++) {
    const r = await doc.send(
      new QueryCommand({
        TableName: deps.table,
        IndexName: idx.name,
        KeyConditionExpression: '#p = :p AND #s < :h',
        ExpressionAttributeNames: { '#p': idx.partitionKey, '#s': idx.sortKey },
        ExpressionAttributeValues: { ':p': PENDING, ':h': currentHour },
        ExclusiveStartKey: start,
      }),
    );
    for (const it of r.Items ?? []) items.push(it as Pending);
    start = r.LastEvaluatedKey;
    if (!start) break;
  }
  const signer = new SignatureV4({ service: 'execute-api', region: deps.region, credentials: deps.credentials, sha256: Hash.bind(null, 'sha256') });
  const url = new URL(deps.url);
  const doFetch = deps.fetch ?? fetch;
  let batches = 0;
  let sent = 0;
  let refused = 0;
  let entitlement: Omit<EntitlementItem, 'checkedAt' | 'noneSince'> | null = null;
  const post = async (body: string) => {
    const signed = await signer.sign({
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      path: url.pathname,
      headers: { host: url.host, 'content-type': 'application/json' },
      body,
    });
    const res = await doFetch(deps.url, { method: 'POST', headers: signed.headers as Record<string, string>, body });
    const text = await res.text();
    let parsed: { entitlement?: typeof entitlement } = {};
    try {
      parsed = JSON.parse(text);
    } catch {
      /* not JSON: handled by status */
    }
    if (![200, 403, 409].includes(res.status)) throw new Error(`seller metering endpoint answered ${res.status}: ${text.slice(0, 300)}`);
    if (parsed.entitlement?.state) entitlement = parsed.entitlement;
    return res.status;
  };
  const clear = async (b: Pending, outcome: Record<string, string>) => {
    const names: Record<string, string> = { '#p': idx.partitionKey, '#s': idx.sortKey };
    const values: Record<string, unknown> = {};
    const sets = Object.entries(outcome).map(([k, v], i) => ((names[`#o${i}`] = k), (values[`:o${i}`] = v), `#o${i} = :o${i}`));
    await doc.send(new UpdateCommand({ TableName: deps.table, Key: { pk: b.pk }, UpdateExpression: `SET ${sets.join(', ')} REMOVE #p, #s`, ExpressionAttributeNames: names, ExpressionAttributeValues: values }));
  };
  for (let i = 0; i < items.length; i += 100) {
    const batch = items.slice(i, i + 100);
    const status = await post(JSON.stringify({ records: batch.map((b) => ({ id: b.snapshot, bytes: b.bytes })) }));
    batches++;
    if (status === 409) break; // not active yet: everything stays pending for the next run
    const at = (deps.now?.() ?? new Date()).toISOString();
    for (const b of batch) await clear(b, status === 200 ? { reported_at: at } : { refused_at: at });
    if (status === 200) sent += batch.length;
    else refused += batch.length;
  }
  if (!items.length) await post(JSON.stringify({ records: [] }));
  if (entitlement) {
    const e = entitlement as Omit<EntitlementItem, 'checkedAt' | 'noneSince'>;
    const checkedAt = (deps.now?.() ?? new Date()).toISOString();
    const prev = await readEntitlement(deps.ddb, deps.table);
    await writeEntitlement(deps.ddb, deps.table, { state: e.state, endedAt: e.endedAt, licenseArn: e.licenseArn, checkedAt, noneSince: e.state === 'none' ? prev?.noneSince ?? checkedAt : undefined });
  }
  return { sent, batches, refused, entitlement: (entitlement as { state: EntitlementItem['state'] } | null)?.state ?? null };
}
