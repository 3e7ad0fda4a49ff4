// The rehearsal's independent local answers for hunts and IOC searches: lib/hunt's runner and
// lib/ioc's search run directly over a local store (the CLI's path), not through the data plane the
// cloud answers come from.
import { runQuery, type LocalStore } from '../../lib/engine';
import { searchIocs } from '../../lib/ioc/search';
import { localSqlExecutor } from '../../lib/ioc/local';
import { runHunt } from '../../lib/hunt/runner';
import type { SnapshotRef } from '../../lib/store/store';
import { huntResultOf, iocResultOf, selectHuntPlaybooks } from '../../lib/dataplane/library';
import type { HuntResult, IocResult } from '../../lib/dataplane/types';
import { jsonValue } from '../../lib/util/json-value';

export interface ScopedSnapshot {
  id: string;
  ref: SnapshotRef;
}

export async function huntOver(store: LocalStore, snaps: ScopedSnapshot[]): Promise<HuntResult> {
  const pbs = selectHuntPlaybooks({});
  const scope = { snapshots: snaps.map((s) => s.ref.snapshot) };
  const report = await runHunt(
    async (text) => {
      const r = await runQuery(store, text, scope, { maxRows: 10_000 });
      return { columns: r.columns.map((c) => c.name), rows: r.rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, jsonValue(v)]))) };
    },
    pbs,
    { maxRowsPerQuery: 1000, evidence: true }, // as memq hunt and the API run playbooks: rows carry their evidence
  );
  return huntResultOf(report, pbs);
}

export async function iocOver(store: LocalStore, snaps: ScopedSnapshot[], values: string[], limit: number): Promise<IocResult> {
  const r = await searchIocs(localSqlExecutor(store), values, { scope: { snapshots: snaps.map((s) => s.ref.snapshot) }, maxRowsPerTable: limit });
  return iocResultOf(r, snaps.length, limit);
}
