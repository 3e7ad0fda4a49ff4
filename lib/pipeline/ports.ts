// What the pipeline steps need from the outside world, as small interfaces: the lake bucket, the dump
// reader, partition registration and usage recording. lib/pipeline/aws.ts implements them on S3, Glue
// and DynamoDB; tests run the same steps against s3rver and dynalite.
import type { ByteSource } from '../image/byte-source';
import type { MetadataRepository } from '../platform/repository';
import type { TableName } from '../model';
import type { SnapshotPartition } from './keys';
import type { PlanLimits } from './plan';

export interface ObjectStore {
  readonly bucket: string;
  put(key: string, body: Uint8Array | string, contentType: string): Promise<void>;
  /** object text, or null when absent */
  getText(key: string): Promise<string | null>;
  /** every key under prefix (paged internally, bounded by maxKeys) */
  list(prefix: string, maxKeys?: number): Promise<string[]>;
  delete(keys: readonly string[]): Promise<void>;
}

export interface DumpObjectInfo {
  size: number;
  /** ETag or version id — identity of the landed object */
  etag: string;
  metadata: Record<string, string>;
}

export interface DumpReader {
  head(bucket: string, key: string): Promise<DumpObjectInfo>;
  /** synchronous ranged-read byte source over the dump object (never the whole object in memory) */
  open(bucket: string, key: string, size: number): ByteSource;
}

export interface PartitionRegistrar {
  /** registers the snapshot partition of each table (idempotent: existing partitions are kept) */
  register(tablesWithData: readonly TableName[], p: SnapshotPartition): Promise<void>;
}

export interface UsageRecord {
  /** idempotency key: one usage record per snapshot */
  snapshot: string;
  org: string;
  /** hour the usage belongs to, ISO 'YYYY-MM-DDTHH' */
  hour: string;
  /** bytes of memory analyzed (dump object size) */
  bytes: number;
}

export interface UsageSink {
  /** records usage once per snapshot; returns false when it was already recorded */
  record(u: UsageRecord): Promise<boolean>;
}

export interface PipelineDeps {
  lake: ObjectStore;
  dumps: DumpReader;
  repo: MetadataRepository;
  partitions: PartitionRegistrar;
  usage: UsageSink;
  /** scratch directory for Parquet before upload (Lambda /tmp) */
  tmpDir: string;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
  /** shard planning limits (default: defaultLimits in plan.ts) */
  limits?: PlanLimits;
}
