// The three ports the one data plane (service.ts) runs on; each plane supplies one adapter per port:
// - SqlEngine: where compiled statements run — DuckDB over the local store (finishes at once) or
//   Athena (start → poll → fetch across requests, since API Gateway stops at 29 s);
// - JobStore: where job state lives between requests — memory locally, JSON objects in S3 in the cloud;
// - DumpStore: where dumps go and how analysis starts — the local store's uploads and analysis worker,
//   or presigned S3 uploads whose landing event starts the cloud pipeline.
// Beside them, HuntSummaryStore keeps what outlives a job: the latest hunt summary per snapshot.
import type { ColumnKind } from '../model';
import type { BoundValue, Dialect } from '../query';
import type { Snapshot } from '../platform/model';
import type { HuntSummary } from '../model/jobs';
import type { EvidenceExport, EvidenceRequest, MultipartUpload, OverviewPages, PartRange, UploadTarget } from './types';

export interface StatementColumn {
  name: string;
  kind: ColumnKind;
}

/** A compiled statement: SQL with positional `?` parameters and the kinds of its result columns. */
export interface SqlStatement {
  sql: string;
  params: readonly BoundValue[];
  paramKinds: readonly ColumnKind[];
  columns: readonly StatementColumn[];
}

export type ExecState = { state: 'running' } | { state: 'succeeded'; elapsedMs: number } | { state: 'failed'; reason: string };

export interface SqlEngine {
  readonly dialect: Dialect;
  /** Glue database the statements name (Athena); undefined for DuckDB's unqualified views */
  readonly database?: string;
  /**
   * true when start() usually returns with the statement already finished (DuckDB): the plane then
   * collects results in the same request; false (Athena): the next poll does, the request never waits.
   */
  readonly settles: boolean;
  /**
   * Starts a statement; resolves with an execution id (never waits for the result beyond a short
   * settle). `owner` is the user it runs for: a local engine takes turns between owners, so one
   * user's flood queues behind their own statements, not in front of everyone's.
   */
  start(st: SqlStatement, o?: { owner?: string }): Promise<string>;
  state(id: string): Promise<ExecState>;
  /** Cancels a running statement whose caller gave up (a deadline); optional */
  stop?(id: string): Promise<void>;
  /** Rows of a succeeded execution, JSON-safe and typed by `columns`; at most maxRows (truncated says more existed). */
  fetch(id: string, columns: readonly StatementColumn[], maxRows: number): Promise<{ rows: unknown[][]; truncated: boolean }>;
}

export interface JobStore {
  get<T>(key: string): Promise<T | null>;
  /**
   * Stores a job's state or rows. `owner`: whose it is — a bounded store evicts only that owner's own
   * oldest entries to make room, never another user's result.
   */
  put(key: string, value: unknown, owner?: string): Promise<void>;
}

/**
 * The latest hunt summary per snapshot, durable (jobs expire; these counts do not): a file per snapshot
 * in the local store, an item per snapshot in the cloud's metadata table.
 */
export interface HuntSummaryStore {
  /** Keeps `s` unless the store holds a summary of a hunt that finished later (newest wins). */
  put(s: HuntSummary): Promise<void>;
  /** The stored summaries of these snapshots (absent: never hunted). */
  get(snapshotIds: readonly string[]): Promise<Map<string, HuntSummary>>;
  /** Forgets a snapshot's summary (the snapshot was deleted). */
  delete(snapshotId: string): Promise<void>;
}

export interface DumpStore {
  uploadTarget(snap: Snapshot): Promise<UploadTarget>;
  /** Streams dump bytes into storage (local uploads only). */
  receiveUpload?(snap: Snapshot, body: AsyncIterable<Uint8Array>, onBytes: (n: number) => void): Promise<number>;
  startAnalysis(snap: Snapshot, report: (patch: Partial<Snapshot>) => Promise<void>): Promise<void>;
  createMultipart(snap: Snapshot, range: PartRange): Promise<MultipartUpload>;
  multipartParts(snap: Snapshot, uploadId: string, range: PartRange): Promise<MultipartUpload>;
  completeMultipart(snap: Snapshot, uploadId: string, parts: { part_number: number; etag: string }[]): Promise<void>;
  abortMultipart(snap: Snapshot, uploadId: string): Promise<void>;
  /** The precomputed overview (cloud: written by finalize); absent: built by browsing. */
  overview?(snap: Snapshot): Promise<OverviewPages>;
  deleteData(snap: Snapshot): Promise<void>;
  close(): Promise<void>;
  /** evidence exports (`memq dump`) of a dump held on this machine; absent in the cloud */
  exportEvidence?(snap: Snapshot, req: EvidenceRequest): Promise<EvidenceExport>;
  exportFile?(snap: Snapshot, exportId: string, file: string): Promise<Uint8Array>;
}
