// What the API needs from the analysis side, as one interface: receive dumps, analyze them, browse
// object tables, run queries, playbook hunts and IOC searches (all as jobs: started, then polled), and
// multipart uploads of large dumps (cloud only). One implementation (service.ts) serves both `memq
// serve` and the API Lambda over per-plane adapters (ports.ts, planes.ts).
import type { Snapshot } from '../platform/model';
import type { TableName } from '../model';
import type { Playbook } from '../hunt/playbook';
import type { HuntReport } from '../hunt/runner';
import type { OverviewPages } from '../store/overview';
import type { HuntJob, HuntSummary, IocJob, Page, PlaybookInfo, ProcessView, QueryJob, QueryPosition } from '../model/jobs';
export type { Column, HuntHit, HuntJob, HuntResult, HuntSummary, IocHit, IocJob, IocResult, Page, PlaybookInfo, ProcessView, QueryJob, QueryPosition, TacticGroup } from '../model/jobs';
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

export interface BrowseOptions {
  offset: number;
  limit: number;
  order_by?: string;
  desc?: boolean;
  /** column → value; string columns match case-insensitively by substring, others by equality */
  filter?: Record<string, string>;
  /** run the count statement only when the page comes back full (fewer statements: the process page on Athena) */
  countIfFull?: boolean;
}

export type QueryCheck = { ok: true } | { ok: false; message: string; position: QueryPosition | null; suggestions: string[] };

export interface HuntSelection {
  playbook_ids?: string[];
  tactic?: string;
  /** custom playbooks the caller may read, already validated (the route decides which; ids are record ids) */
  custom?: Playbook[];
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
  /** One process and everything joined to it by pid; with `huntId` (the owner's finished hunt) its hits on it. */
  process(snap: Snapshot, pid: number, o: { huntId?: string; ownerId: string }): Promise<ProcessView>;
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
  /**
   * The latest hunt summary per snapshot (hit counts, highest severity, per playbook; kept when a hunt
   * finishes, durable beyond the job) for snapshots the route already authorized; absent: never hunted.
   */
  huntSummaries(snapshotIds: readonly string[]): Promise<Map<string, HuntSummary>>;
  /** A finished hunt of the owner as the hunt runner's report (for the HTML/PDF report). */
  huntReport(jobId: string, ownerId: string): Promise<{ job: HuntJob; report: HuntReport }>;
  /** Multipart upload of a large dump straight to storage (cloud); the local plane refuses (streamed uploads). */
  createMultipart(snap: Snapshot, range: PartRange): Promise<MultipartUpload>;
  multipartParts(snap: Snapshot, uploadId: string, range: PartRange): Promise<MultipartUpload>;
  completeMultipart(snap: Snapshot, uploadId: string, parts: { part_number: number; etag: string }[]): Promise<void>;
  abortMultipart(snap: Snapshot, uploadId: string): Promise<void>;
  deleteData(snap: Snapshot): Promise<void>;
  close(): Promise<void>;
  /** Evidence export of an analyzed snapshot (`memq dump`): local plane only (the dump is on this machine). */
  exportEvidence?(snap: Snapshot, req: EvidenceRequest): Promise<EvidenceExport>;
  /** One file of an export (a path its manifest lists, or manifest.json). */
  exportFile?(snap: Snapshot, exportId: string, file: string): Promise<Uint8Array>;
}

export interface EvidenceRequest {
  pids: number[];
  files: string[];
  regions: boolean;
  images: boolean;
  /** also the regular files each process has open, from the page cache */
  open_files: boolean;
}

export interface EvidenceExport {
  export_id: string;
  /** manifest.json of the export (lib/evidence/export.ts Manifest) */
  manifest: Record<string, unknown>;
}
