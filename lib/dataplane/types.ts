// What the API needs from the analysis side, as one interface: receive dumps, analyze them, browse
// object tables, run queries, playbook hunts and IOC searches (all as jobs: started, then polled), and
// multipart uploads of large dumps (cloud only). One implementation (service.ts) serves both `memq
// serve` and the API Lambda over per-plane adapters (ports.ts, planes.ts).
import type { Snapshot } from '../platform/model';
import type { TableName } from '../model';
import type { Playbook } from '../hunt/playbook';
import type { OverviewPages, TablePage } from '../store/overview';
export type { OverviewPages };

/** Where the API's routes live (upload targets name them; lib/api mounts the router there). */
export const API_PREFIX = '/api/v1';

export interface UploadTarget {
  method: 'PUT' | 'POST';
  /** absolute URL (presigned S3) or an API path (local streaming upload) */
  url: string;
  headers?: Record<string, string>;
  /** true when the bytes go through this API (local), false for direct-to-storage uploads */
  via_api: boolean;
  /** too large for one PUT: create a multipart upload (POST `url` = /snapshots/{id}/multipart) instead */
  multipart?: boolean;
}

/** A direct-to-storage multipart upload (cloud, dumps over 5 GiB) and presigned URLs for a range of its parts. */
export interface MultipartUpload {
  upload_id: string;
  part_size: number;
  /** parts the whole dump needs (numbered 1…part_count) */
  part_count: number;
  parts: { part_number: number; url: string; offset: number; length: number }[];
}

export interface PartRange {
  first_part: number;
  part_count: number;
}

export type Page = TablePage;

export interface BrowseOptions {
  offset: number;
  limit: number;
  order_by?: string;
  desc?: boolean;
  /** column → value; string columns match case-insensitively by substring, others by equality */
  filter?: Record<string, string>;
}

export type QueryPosition = { line: number; column: number };
export type QueryCheck = { ok: true } | { ok: false; message: string; position: QueryPosition | null; suggestions: string[] };

export interface QueryJob {
  id: string;
  owner_id: string;
  status: 'running' | 'done' | 'failed';
  text: string;
  snapshot_ids: string[];
  error: { message: string; position: QueryPosition | null } | null;
  elapsed_ms: number | null;
  total: number | null;
}

export interface IocHit {
  /** the IOC as given, and what kind it was recognized as (ipv4, domain, path, …) */
  ioc: string;
  kind: string;
  snapshot_id: string;
  table: string;
  column: string;
  /** the matching text (shortened around the match when long) */
  match: string;
  /** columns that locate the row (process_id, fd, address, …) */
  where: Record<string, unknown>;
}

export interface PlaybookInfo {
  id: string;
  title: string;
  description: string;
  severity: string;
  platform: string;
  techniques: { id: string; name: string; tactics: string[] }[];
  queries: string[];
}

export interface HuntHit {
  playbook_id: string;
  title: string;
  severity: string;
  techniques: { id: string; name: string; tactics: string[] }[];
  snapshot_id: string;
  columns: string[];
  rows: unknown[][];
}

export interface TacticGroup {
  id: string;
  shortname: string;
  name: string;
  techniques: { id: string; name: string; playbooks: { id: string; title: string; severity: string; count: number }[] }[];
}

export interface HuntResult {
  playbooks_run: number;
  hits: HuntHit[];
  errors: { playbook_id: string; message: string }[];
  /** fired playbooks by ATT&CK tactic → technique, tactics in matrix order (when the data plane groups them) */
  by_tactic?: TacticGroup[];
}

export interface HuntSelection {
  playbook_ids?: string[];
  tactic?: string;
  /** custom playbooks the caller may read, already validated (the route decides which; ids are record ids) */
  custom?: Playbook[];
}

/** A hunt runs as a job: POST /hunts starts it, GET /hunts/{id} reports progress and, when done, the result. */
export interface HuntJob {
  id: string;
  owner_id: string;
  status: 'running' | 'done' | 'failed';
  snapshot_ids: string[];
  /** playbook queries (cloud) or playbooks (local) finished so far, of total */
  progress: { done: number; total: number };
  error: string | null;
  elapsed_ms: number | null;
  result: HuntResult | null;
}

export interface IocResult {
  hits: IocHit[];
  snapshots_searched: number;
  /** tables whose row cap was reached: more hits may exist there */
  truncated: string[];
  /** tables whose search failed (cloud: an Athena query refused or failed); the other tables still count */
  errors: { table: string; message: string }[];
}

/** An IOC search runs as a job like a hunt: POST /ioc-searches starts it, GET /ioc-searches/{id} polls it. */
export interface IocJob {
  id: string;
  owner_id: string;
  status: 'running' | 'done' | 'failed';
  snapshot_ids: string[];
  values: string[];
  /** tables searched (local) or Athena statements finished (cloud) so far, of total */
  progress: { done: number; total: number };
  error: string | null;
  elapsed_ms: number | null;
  result: IocResult | null;
}

export interface DataPlane {
  uploadTarget(snap: Snapshot): Promise<UploadTarget>;
  /** Streams dump bytes into storage (local uploads). Returns the stored size. */
  receiveUpload?(snap: Snapshot, body: AsyncIterable<Uint8Array>, onBytes: (n: number) => void): Promise<number>;
  /** Starts analysis of an uploaded snapshot; progress and the outcome go to `report`. Returns at once. */
  startAnalysis(snap: Snapshot, report: (patch: Partial<Snapshot>) => Promise<void>): Promise<void>;
  browse(snap: Snapshot, table: TableName, opts: BrowseOptions): Promise<Page>;
  /**
   * The snapshot overview's pages without querying (cloud: precomputed by the pipeline). Absent: the
   * route builds it with browse() (local DuckDB).
   */
  overview?(snap: Snapshot): Promise<OverviewPages>;
  checkQuery(text: string): QueryCheck;
  startQuery(snaps: Snapshot[], text: string, ownerId: string): Promise<QueryJob>;
  queryPage(jobId: string, ownerId: string, offset: number, limit: number): Promise<{ job: QueryJob; page: Page | null }>;
  /** Starts an IOC search over authorized snapshots and returns at once; `limit` caps rows per table and hits. */
  startIocSearch(snaps: Snapshot[], values: string[], limit: number, ownerId: string): Promise<IocJob>;
  /** Progress of an IOC search job (advancing it, in the cloud); another owner's job is "not found". */
  iocSearchStatus(jobId: string, ownerId: string): Promise<IocJob>;
  playbooks(): Promise<PlaybookInfo[]>;
  /** Starts a hunt over authorized snapshots and returns at once (never runs the hunt inside the request). */
  startHunt(snaps: Snapshot[], opts: HuntSelection, ownerId: string): Promise<HuntJob>;
  /** Progress of a hunt job (advancing it, in the cloud); another owner's job is "not found". */
  huntStatus(jobId: string, ownerId: string): Promise<HuntJob>;
  /** Multipart upload of a large dump straight to storage (cloud); the local plane refuses (streamed uploads). */
  createMultipart(snap: Snapshot, range: PartRange): Promise<MultipartUpload>;
  multipartParts(snap: Snapshot, uploadId: string, range: PartRange): Promise<MultipartUpload>;
  completeMultipart(snap: Snapshot, uploadId: string, parts: { part_number: number; etag: string }[]): Promise<void>;
  abortMultipart(snap: Snapshot, uploadId: string): Promise<void>;
  deleteData(snap: Snapshot): Promise<void>;
  close(): Promise<void>;
}
