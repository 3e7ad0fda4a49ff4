// The buyer deployment's entitlement gate: reads the `entitlement` item of the usage table (written by
// the hourly usage reporter) at most once a minute per Lambda container and applies the policy of
// lib/marketplace/entitlement.ts. Without a usage table (memq serve, tests) nothing is refused.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { readEntitlement } from '../pipeline/usage-table';
import { decide, refuseApi, refuseIngest, type ModeDecision } from './entitlement';

export interface Gate {
  decision(): Promise<ModeDecision>;
  /** a 403 reason for an API request, or null */
  api(method: string, path: string): Promise<string | null>;
  /** a reason the ingest Lambda must not start an analysis, or null */
  ingest(): Promise<string | null>;
}

export function entitlementGate(opts: { ddb?: DynamoDBClient; table?: string; now?: () => Date; ttlMs?: number } = {}): Gate {
  const table = opts.table ?? process.env.USAGE_TABLE;
  let cached: { at: number; d: ModeDecision } | undefined;
  let ddb = opts.ddb;
  const decision = async (): Promise<ModeDecision> => {
    if (!table) return { mode: 'full' };
    const now = opts.now?.() ?? new Date();
    if (cached && now.getTime() - cached.at < (opts.ttlMs ?? 60_000)) return cached.d;
    ddb ??= new DynamoDBClient({});
    const d = decide(await readEntitlement(ddb, table), now);
    cached = { at: now.getTime(), d };
    return d;
  };
  return {
    decision,
    api: async (method, path) => refuseApi(await decision(), method, path),
    ingest: async () => refuseIngest(await decision()),
  };
}
