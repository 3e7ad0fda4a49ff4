// Object-key conventions of the cloud pipeline: where dumps land, how a snapshot id is derived from
// the landed object (idempotency), and where Parquet and pipeline scratch files go in the data lake.
// The lake layout is the local store's: <table>/project=<p>/machine=<m>/snapshot=<s>/*.parquet.
import * as crypto from 'node:crypto';
import { MemqError } from '../util/errors';
import type { TableName } from '../model';

/**
 * Dumps land at dumps/<org_id>/<project_id>/<machine_id>/<file name> (copied in directly: the
 * snapshot id is derived from the object), or at dumps/<org>/<project>/<machine>/<snapshot_id>/<file>
 * (API uploads: the snapshot record exists already, created by POST /snapshots).
 */
export const DUMP_PREFIX = 'dumps/';
const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export interface DumpKey {
  org: string;
  project: string;
  machine: string;
  /** present for API uploads */
  snapshot?: string;
  file: string;
}

export function dumpKey(k: DumpKey): string {
  for (const [n, v] of Object.entries(k)) {
    if (v !== undefined && !SEGMENT.test(v)) throw new MemqError(`dump key: ${n} "${v}" must be 1-128 of [A-Za-z0-9._-]`, 'E_KEY');
  }
  return `${DUMP_PREFIX}${k.org}/${k.project}/${k.machine}/${k.snapshot ? `${k.snapshot}/` : ''}${k.file}`;
}

/** A dump file name made key-safe (uploads may name files anything). */
export function safeFileName(name: string): string {
  const s = name.replace(/^.*[\\/]/, '').replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[^A-Za-z0-9]+/, '');
  return (s || 'dump').slice(0, 128);
}

export function parseDumpKey(key: string): DumpKey {
  const parts = key.startsWith(DUMP_PREFIX) ? key.slice(DUMP_PREFIX.length).split('/') : [];
  if ((parts.length !== 4 && parts.length !== 5) || !parts.every((p) => SEGMENT.test(p))) {
    throw new MemqError(`dump key "${key}" is not ${DUMP_PREFIX}<org>/<project>/<machine>/[<snapshot>/]<file>`, 'E_KEY');
  }
  if (parts.length === 5) {
    const [org, project, machine, snapshot, file] = parts as [string, string, string, string, string];
    return { org, project, machine, snapshot, file };
  }
  const [org, project, machine, file] = parts as [string, string, string, string];
  return { org, project, machine, file };
}

/** Step Functions execution name for one landed object: unique per (snapshot, object version). */
export function executionName(snapshot: string, versionOrEtag: string): string {
  return `${snapshot}-${crypto.createHash('sha256').update(versionOrEtag.replace(/"/g, '')).digest('hex').slice(0, 16)}`.slice(0, 80);
}

/**
 * Snapshot id of a landed object: a hash of (bucket, key, version id or ETag). The same object seen
 * twice (S3 event redelivery, a retried ingest) maps to the same snapshot; an overwrite with new
 * content gets a new version/ETag and therefore a new snapshot.
 */
export function snapshotIdFor(bucket: string, key: string, versionOrEtag: string): string {
  const h = crypto.createHash('sha256').update(`${bucket}\0${key}\0${versionOrEtag.replace(/"/g, '')}`).digest('hex');
  return `snap_${h.slice(0, 24)}`;
}

export interface SnapshotPartition {
  project: string;
  machine: string;
  snapshot: string;
}

/** Hive-style partition path of one table's snapshot: <table>/project=…/machine=…/snapshot=…/ */
export function partitionPrefix(table: TableName, p: SnapshotPartition): string {
  return `${table}/project=${p.project}/machine=${p.machine}/snapshot=${p.snapshot}/`;
}

/**
 * Parquet object of one shard. The name depends only on the shard id, so a retried shard overwrites
 * its own earlier output instead of adding rows next to it.
 */
export function shardObjectKey(table: TableName, p: SnapshotPartition, shardId: string): string {
  return `${partitionPrefix(table, p)}part-${shardId}.parquet`;
}

/** Pipeline scratch (plan, shard results) lives outside every table prefix so Athena never reads it. */
export function workPrefix(snapshot: string): string {
  return `_pipeline/${snapshot}/`;
}
/** Where the Distributed Map's ResultWriter puts child outputs (Step Functions adds the map run id). */
export const MAP_RESULTS_PREFIX = '_pipeline/_map-results';
export const planKey = (snapshot: string) => `${workPrefix(snapshot)}plan.json`;
export const shardItemsKey = (snapshot: string) => `${workPrefix(snapshot)}shards.json`;
export const shardResultKey = (snapshot: string, shardId: string) => `${workPrefix(snapshot)}results/${shardId}.json`;
export const manifestKey = (p: SnapshotPartition) =>
  `_manifests/project=${p.project}/machine=${p.machine}/snapshot=${p.snapshot}/manifest.json`;
/** The snapshot overview's pages, precomputed by finalize (lib/api/overview.ts), next to the manifest. */
export const overviewKey = (p: SnapshotPartition) =>
  `_manifests/project=${p.project}/machine=${p.machine}/snapshot=${p.snapshot}/overview.json`;
