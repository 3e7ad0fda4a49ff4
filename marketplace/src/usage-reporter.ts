// Customer-side usage reporter: sends pending usage records (one per analyzed snapshot, written by the
// pipeline's finalize) to the seller's metering endpoint, signed with SigV4 by the Lambda's own role
// (service execute-api), then clears their pending flag. Resending is harmless: the seller dedupes
// by record id. Records are sent only for closed hours so a report is never split across runs.
import { DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SignatureV4 } from '@smithy/signature-v4';
import { Hash } from '@smithy/hash-node';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { PENDING, usageTableShape } from '../../lib/pipeline/usage-table';

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

export async function reportUsage(deps: ReporterDeps): Promise<{ sent: number; batches: number }> {
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
  for (let i = 0; i < items.length; i += 100) {
    const batch = items.slice(i, i + 100);
    const body = JSON.stringify({ records: batch.map((b) => ({ id: b.snapshot, bytes: b.bytes })) });
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
    if (!res.ok) throw new Error(`seller metering endpoint answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
    batches++;
    const at = (deps.now?.() ?? new Date()).toISOString();
    for (const b of batch) {
      await doc.send(
        new UpdateCommand({
          TableName: deps.table,
          Key: { pk: b.pk },
          UpdateExpression: 'SET reported_at = :t REMOVE #p, #s',
          ExpressionAttributeNames: { '#p': idx.partitionKey, '#s': idx.sortKey },
          ExpressionAttributeValues: { ':t': at },
        }),
      );
    }
  }
  return { sent: items.length, batches };
}
