// The one job model (zod), beside the object catalog: pages of rows, query / hunt / IOC jobs and their
// results, and the playbook library entry. The routes validate responses with these schemas (and
// OpenAPI is generated from them), the data plane's types are inferred from them, and the web client
// imports the same types — one definition instead of three. Only zod is imported here, so the browser
// build can use it.
import { z } from 'zod';

/** Serialized rows per page, at most (leaves room for the envelope under Lambda's 6 MB). */
export const MAX_PAGE_BYTES = 5_000_000;

export const ColumnSchema = z.object({ name: z.string(), kind: z.string() });
export const PageSchema = z.object({
  columns: z.array(ColumnSchema),
  rows: z.array(z.array(z.unknown())),
  total: z.number().nullable(),
  offset: z.number(),
  next_offset: z
    .number()
    .nullable()
    .optional()
    .describe(
      `cursor: where the next page starts, null at the end. A page is cut at \`limit\` rows or ${MAX_PAGE_BYTES / 1e6} MB of serialized rows, whichever comes first (cloud: Lambda responses are at most 6 MB), so continue at next_offset, never at offset + limit`,
    ),
});

const JobStatus = z.enum(['running', 'done', 'failed']);
const Progress = z.object({ done: z.number(), total: z.number() }).describe('statements finished, of total');
export const PositionSchema = z.object({ line: z.number(), column: z.number() });

export const QueryJobSchema = z.object({
  id: z.string(),
  owner_id: z.string(),
  status: JobStatus,
  text: z.string(),
  snapshot_ids: z.array(z.string()),
  error: z.object({ message: z.string(), position: PositionSchema.nullable() }).nullable(),
  elapsed_ms: z.number().nullable(),
  total: z.number().nullable(),
});

export const TechniqueSchema = z.object({ id: z.string(), name: z.string(), tactics: z.array(z.string()) });
export const PlaybookInfoSchema = z.object({
  id: z.string(),
  title: z.string(),
  description: z.string(),
  severity: z.string(),
  platform: z.string(),
  techniques: z.array(TechniqueSchema),
  queries: z.array(z.string()),
});

export const HuntHitSchema = z.object({
  playbook_id: z.string(),
  title: z.string(),
  severity: z.string(),
  techniques: z.array(TechniqueSchema),
  snapshot_id: z.string(),
  columns: z.array(z.string()),
  rows: z.array(z.array(z.unknown())),
});
export const TacticGroupSchema = z.object({
  id: z.string(),
  shortname: z.string(),
  name: z.string(),
  techniques: z.array(z.object({ id: z.string(), name: z.string(), playbooks: z.array(z.object({ id: z.string(), title: z.string(), severity: z.string(), count: z.number() })) })),
});
export const HuntResultSchema = z.object({
  playbooks_run: z.number(),
  hits: z.array(HuntHitSchema),
  errors: z.array(z.object({ playbook_id: z.string(), message: z.string() })),
  /** fired playbooks by ATT&CK tactic → technique, tactics in matrix order */
  by_tactic: z.array(TacticGroupSchema).optional(),
});
export const HuntJobSchema = z.object({
  id: z.string(),
  owner_id: z.string(),
  status: JobStatus,
  snapshot_ids: z.array(z.string()),
  progress: Progress,
  error: z.string().nullable(),
  elapsed_ms: z.number().nullable(),
  result: HuntResultSchema.nullable(),
});

/**
 * What one finished hunt found on one snapshot, kept by the data plane beyond the job's life (the fleet
 * overview's counts): distinct hit rows and the highest severity, per fired playbook and in total.
 */
export const HuntSummarySchema = z.object({
  snapshot_id: z.string(),
  hunt_id: z.string(),
  /** who ran the hunt (only they may open the hunt job itself) */
  owner_id: z.string(),
  started_at: z.string(),
  finished_at: z.string(),
  playbooks_run: z.number(),
  /** distinct hit rows over the fired playbooks (a row two queries of one playbook return counts once) */
  hits: z.number(),
  /** playbooks that fired on this snapshot */
  playbooks: z.number(),
  /** highest severity among them (null: nothing fired) */
  severity: z.string().nullable(),
  /** playbook queries that failed in that hunt */
  errors: z.number(),
  by_playbook: z.array(z.object({ playbook_id: z.string(), hits: z.number(), severity: z.string() })),
});

export const IocHitSchema = z.object({
  /** the IOC as given, and what kind it was recognized as (ipv4, domain, path, …) */
  ioc: z.string(),
  kind: z.string(),
  snapshot_id: z.string(),
  table: z.string(),
  column: z.string(),
  /** the matching text (shortened around the match when long) */
  match: z.string(),
  /** columns that locate the row (process_id, fd, address, …) */
  where: z.record(z.string(), z.unknown()),
});
export const IocResultSchema = z.object({
  hits: z.array(IocHitSchema),
  snapshots_searched: z.number(),
  /** tables whose row cap was reached: more hits may exist there */
  truncated: z.array(z.string()),
  /** tables whose search failed; the other tables still count */
  errors: z.array(z.object({ table: z.string(), message: z.string() })),
});
export const IocJobSchema = z.object({
  id: z.string(),
  owner_id: z.string(),
  status: JobStatus,
  snapshot_ids: z.array(z.string()),
  values: z.array(z.string()),
  progress: Progress,
  error: z.string().nullable(),
  elapsed_ms: z.number().nullable(),
  result: IocResultSchema.nullable(),
});

/**
 * One process of one snapshot as the process page shows it: its row, the parent chain (nearest first)
 * and children, then one section per 1:N sub-object of the catalog's process object (memory map,
 * threads, libraries, handles, sockets, environment, open files, indicators, shell history — the
 * tables of the snapshot's OS), memory regions worth a look, and the playbook hits on it when a hunt
 * is named. Every section is a page of the table's catalog columns (`total` counts every row).
 */
export const ProcessViewSchema = z.object({
  snapshot_id: z.string(),
  process_id: z.number(),
  process: PageSchema,
  ancestors: PageSchema,
  children: PageSchema,
  sections: z.array(z.object({ key: z.string(), table: z.string(), doc: z.string(), page: PageSchema })),
  /** rows of the memory-map section that are writable+executable or hold a PE image outside an image mapping */
  flagged_regions: z.array(z.object({ row: z.number(), reasons: z.array(z.string()) })),
  /** the hunt the hits come from (null: none named) */
  hunt_id: z.string().nullable(),
  /** that hunt's hits on this process, each keeping only this process's rows */
  hits: z.array(HuntHitSchema),
});

export type Column = z.infer<typeof ColumnSchema>;
export type ProcessView = z.infer<typeof ProcessViewSchema>;
/** A page of rows of one table or result (browse, query results, overview sections). */
export type Page = z.infer<typeof PageSchema>;
export type QueryPosition = z.infer<typeof PositionSchema>;
export type QueryJob = z.infer<typeof QueryJobSchema>;
export type PlaybookInfo = z.infer<typeof PlaybookInfoSchema>;
export type HuntHit = z.infer<typeof HuntHitSchema>;
export type TacticGroup = z.infer<typeof TacticGroupSchema>;
export type HuntResult = z.infer<typeof HuntResultSchema>;
export type HuntJob = z.infer<typeof HuntJobSchema>;
export type HuntSummary = z.infer<typeof HuntSummarySchema>;
export type IocHit = z.infer<typeof IocHitSchema>;
export type IocResult = z.infer<typeof IocResultSchema>;
export type IocJob = z.infer<typeof IocJobSchema>;
