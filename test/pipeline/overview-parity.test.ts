// The cloud overview is precomputed from the rows the pipeline shards extract (lib/api/overview.ts via
// analyzeTables' onRows, the hook runShard uses); on real dumps it must show what the local overview
// shows (five browses over DuckDB of the Parquet written from the same rows): same columns, same rows
// in the same order, same totals — cell for cell in the API's JSON form.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openDump } from '../../lib/os/open';
import { analyzeTables } from '../../lib/store/analyze';
import { addDumpToStore } from '../../lib/store/add';
import { localDataPlane } from '../../lib/dataplane/planes';
import type { DataPlaneService } from '../../lib/dataplane/service';
import { OVERVIEW_SECTIONS, mergeOverview, overviewSlices, overviewTables, type OverviewSlice } from '../../lib/store/overview';
import { tableNames } from '../../lib/model';
import type { Snapshot } from '../../lib/platform/model';
import { IMAGES, dumpPath, imagesAvailable, describeWithImages } from '../support/dumps';

const run = describeWithImages;

run('precomputed (cloud) overview = local overview on real dumps', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-overview-'));
  let plane: DataPlaneService;
  afterAll(async () => {
    await plane?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test.each([
    ['linux kdump', async () => dumpPath('6.1', 'memory.kdump')],
    ['windows triage', async () => path.join(IMAGES, 'windows-triage', 'triage_x64.dmp')],
  ])('%s', async (label, dumpOf) => {
    const dump = await dumpOf();
    const id = label.replace(/\W/g, '_');
    const ref = { project: 'prj_o', machine: 'mch_o', snapshot: id };
    await addDumpToStore(path.join(tmp, 'store'), dump, ref);
    plane ??= localDataPlane(path.join(tmp, 'store'));
    const snap = { id, project_id: ref.project, machine_id: ref.machine } as Snapshot;
    const local = await Promise.all(OVERVIEW_SECTIONS.map((s) => plane.browse(snap, s.table, { offset: 0, limit: s.limit, filter: s.filter })));

    // the pipeline's path: one engine, every overview table extracted once, slices kept by the onRows hook
    const eng = await openDump(dump);
    const slices: OverviewSlice[] = [];
    try {
      await analyzeTables(eng, path.join(tmp, `shards-${id}`), tableNames.filter((t) => overviewTables.has(t)), {
        onRows: (t, rows) => slices.push(...overviewSlices(t, rows)),
      });
    } finally {
      eng.mem.close();
    }
    const cloud = mergeOverview(slices).sections;
    let rows = 0;
    OVERVIEW_SECTIONS.forEach((s, i) => {
      const l = local[i]!;
      const c = cloud[s.key];
      expect({ section: s.key, columns: c.columns, total: c.total }).toEqual({ section: s.key, columns: l.columns, total: l.total });
      expect({ section: s.key, rows: c.rows }).toEqual({ section: s.key, rows: l.rows });
      rows += c.rows.length;
    });
    expect(rows).toBeGreaterThan(10);
  });
});
