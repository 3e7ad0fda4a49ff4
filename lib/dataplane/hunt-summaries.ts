// HuntSummaryStore adapters (ports.ts): the latest hunt summary per snapshot, kept after the hunt job
// itself has expired. Locally one JSON file per snapshot under <store>/_platform/hunt-summaries/ (so a
// restarted `memq serve` still shows the fleet's counts); in the cloud one item per snapshot in the
// metadata table (the API Lambda already reads and writes it; the results bucket expires in a week).
// Both keep the newest hunt: a hunt that finishes after another but was started earlier still wins by
// its finish time, and an older one arriving late never overwrites a newer one.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DeleteCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { HuntSummarySchema, type HuntSummary } from '../model/jobs';
import type { HuntSummaryStore } from './ports';

/** Snapshots one lookup reads at most (a project's fleet page); more is refused, not silently cut. */
export const MAX_SUMMARY_LOOKUP = 5000;

function checkLookup(ids: readonly string[]): void {
  if (ids.length > MAX_SUMMARY_LOOKUP) throw new Error(`hunt summaries: at most ${MAX_SUMMARY_LOOKUP} snapshots per lookup (asked for ${ids.length})`);
}

function parse(text: string): HuntSummary | null {
  try {
    const r = HuntSummarySchema.safeParse(JSON.parse(text));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}

/** One file per snapshot, named by a digest of its id (ids are free text up to 128 characters). */
export function fileHuntSummaryStore(dir: string): HuntSummaryStore {
  const file = (id: string) => path.join(dir, `${crypto.createHash('sha256').update(id).digest('hex').slice(0, 40)}.json`);
  const read = async (id: string): Promise<HuntSummary | null> => {
    const text = await fs.promises.readFile(file(id), 'utf8').catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? null : Promise.reject(e)));
    const s = text === null ? null : parse(text);
    return s && s.snapshot_id === id ? s : null;
  };
  // one server process writes: compare-and-write per snapshot runs in turn, never interleaved
  const turns = new Map<string, Promise<void>>();
  const inTurn = (id: string, f: () => Promise<void>): Promise<void> => {
    const next = (turns.get(id) ?? Promise.resolve()).then(f, f);
    turns.set(id, next);
    const clear = () => void (turns.get(id) === next && turns.delete(id));
    next.then(clear, clear);
    return next;
  };
  return {
    put: (s) =>
      inTurn(s.snapshot_id, async () => {
        const old = await read(s.snapshot_id);
        if (old && old.finished_at > s.finished_at) return;
        await fs.promises.mkdir(dir, { recursive: true });
        const tmp = `${file(s.snapshot_id)}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
        await fs.promises.writeFile(tmp, JSON.stringify(s));
        await fs.promises.rename(tmp, file(s.snapshot_id)); // readers see the old or the new file, never half of one
      }),
    async get(ids) {
      checkLookup(ids);
      const out = new Map<string, HuntSummary>();
      for (let i = 0; i < ids.length; i += 64) {
        const got = await Promise.all(ids.slice(i, i + 64).map(read));
        for (const s of got) if (s) out.set(s.snapshot_id, s);
      }
      return out;
    },
    delete: (id) => inTurn(id, () => fs.promises.rm(file(id), { force: true })),
  };
}

/**
 * Items `hunt_summary#<snapshot id>` of the metadata table. They carry no `kind` or index keys, so the
 * platform's indexes (lib/platform/dynamo-repository.ts) never list them. Newest wins by a conditional put.
 */
export function dynamoHuntSummaryStore(client: DynamoDBClient, tableName: string): HuntSummaryStore {
  const doc = DynamoDBDocumentClient.from(client);
  const pk = (id: string) => `hunt_summary#${id}`;
  return {
    async put(s) {
      try {
        await doc.send(
          new PutCommand({
            TableName: tableName,
            Item: { pk: pk(s.snapshot_id), finished_at: s.finished_at, body: JSON.stringify(s) },
            ConditionExpression: 'attribute_not_exists(pk) OR finished_at <= :t',
            ExpressionAttributeValues: { ':t': s.finished_at },
          }),
        );
      } catch (e) {
        if ((e as Error).name !== 'ConditionalCheckFailedException') throw e; // a later hunt's summary is there already
      }
    },
    async get(ids) {
      checkLookup(ids);
      const out = new Map<string, HuntSummary>();
      const unique = [...new Set(ids)];
      for (let i = 0; i < unique.length; i += 100) {
        let keys: Record<string, unknown>[] = unique.slice(i, i + 100).map((id) => ({ pk: pk(id) }));
        // unprocessed keys (throttling) are asked again a few times, then the lookup fails loudly
        for (let attempt = 0; keys.length > 0; attempt++) {
          if (attempt === 5) throw new Error('hunt summaries: DynamoDB left keys unprocessed; try again');
          if (attempt > 0) await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
          const r = await doc.send(new BatchGetCommand({ RequestItems: { [tableName]: { Keys: keys, ConsistentRead: true } } }));
          for (const it of r.Responses?.[tableName] ?? []) {
            const s = parse(String(it.body));
            if (s && it.pk === pk(s.snapshot_id)) out.set(s.snapshot_id, s);
          }
          keys = (r.UnprocessedKeys?.[tableName]?.Keys as Record<string, unknown>[] | undefined) ?? [];
        }
      }
      return out;
    },
    async delete(id) {
      await doc.send(new DeleteCommand({ TableName: tableName, Key: { pk: pk(id) } }));
    },
  };
}
