// The cloud DumpStore (ports.ts): presigned S3 uploads, single or multipart to the same key (the
// landing event starts the pipeline, so startAnalysis has nothing to do), the overview finalize
// precomputed next to the manifest, and deletion of a snapshot's lake objects, dump and Glue partitions.
import { DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { BatchDeletePartitionCommand, type GlueClient } from '@aws-sdk/client-glue';
import { tableNames } from '../model';
import { PlatformError } from '../platform/errors';
import type { Snapshot } from '../platform/model';
import type { OverviewPages, StoredOverview } from '../store/overview';
import { abortMultipart, completeMultipart, createMultipartUpload, partSizeFor, presignParts } from '../pipeline/uploads';
import { DUMP_PREFIX, dumpKey, manifestKey, overviewKey, partitionPrefix, safeFileName } from '../pipeline/keys';
import type { DumpStore } from './ports';
import { API_PREFIX, type MultipartUpload, type PartRange, type UploadTarget } from './types';

export interface S3DumpsOptions {
  s3: S3Client;
  glue: GlueClient;
  dumpsBucket: string;
  lakeBucket: string;
  database: string;
  /** single PUT limit of S3 (tests lower it) */
  maxSinglePutBytes?: number;
}

export class S3Dumps implements DumpStore {
  constructor(private readonly o: S3DumpsOptions) {}

  keyOf(snap: Snapshot): string {
    return dumpKey({ org: snap.org_id, project: snap.project_id, machine: snap.machine_id, snapshot: snap.id, file: safeFileName(snap.dump_name) });
  }

  async uploadTarget(snap: Snapshot): Promise<UploadTarget> {
    const max = this.o.maxSinglePutBytes ?? 5 * 1024 ** 3;
    if (snap.size > max) {
      // a single presigned PUT carries ≤ 5 GiB; larger dumps go up in parts to the same key
      partSizeFor(snap.size); // too large even for 10,000 parts: refused now, not after the first part
      return { method: 'POST', url: `${API_PREFIX}/snapshots/${encodeURIComponent(snap.id)}/multipart`, via_api: false, multipart: true };
    }
    const url = await getSignedUrl(this.o.s3, new PutObjectCommand({ Bucket: this.o.dumpsBucket, Key: this.keyOf(snap), ContentLength: snap.size }), { expiresIn: 3600 });
    return { method: 'PUT', url, headers: { 'content-type': 'application/octet-stream' }, via_api: false };
  }

  async startAnalysis(): Promise<void> {
    // the dump landing in S3 starts the pipeline (EventBridge → ingest); nothing to do here
  }

  /** One S3 read, no Athena query, whatever the number of tables. */
  async overview(snap: Snapshot): Promise<OverviewPages> {
    const stored = await this.getJson<StoredOverview>(this.o.lakeBucket, overviewKey({ project: snap.project_id, machine: snap.machine_id, snapshot: snap.id }));
    if (!stored || stored.version !== 1) {
      throw new PlatformError('conflict', 'this snapshot has no precomputed overview (analyzed by an earlier version): browse its tables, or analyze the dump again');
    }
    return stored.sections;
  }

  async createMultipart(snap: Snapshot, range: PartRange): Promise<MultipartUpload> {
    const m = await createMultipartUpload(this.o.s3, this.o.dumpsBucket, this.keyOf(snap), snap.size);
    return this.multipartParts(snap, m.uploadId, range);
  }

  async multipartParts(snap: Snapshot, uploadId: string, range: PartRange): Promise<MultipartUpload> {
    const partSize = partSizeFor(snap.size);
    const parts = await presignParts(this.o.s3, this.o.dumpsBucket, this.keyOf(snap), uploadId, snap.size, range.first_part, range.part_count);
    return {
      upload_id: uploadId,
      part_size: partSize,
      part_count: Math.ceil(snap.size / partSize),
      parts: parts.map((p) => ({ part_number: p.partNumber, url: p.url, offset: p.offset, length: p.length })),
    };
  }

  async completeMultipart(snap: Snapshot, uploadId: string, parts: { part_number: number; etag: string }[]): Promise<void> {
    await this.s3Call(() => completeMultipart(this.o.s3, this.o.dumpsBucket, this.keyOf(snap), uploadId, parts.map((p) => ({ partNumber: p.part_number, etag: p.etag }))));
  }

  async abortMultipart(snap: Snapshot, uploadId: string): Promise<void> {
    await this.s3Call(() => abortMultipart(this.o.s3, this.o.dumpsBucket, this.keyOf(snap), uploadId));
  }

  /** S3's answers to a wrong upload id or parts are the client's mistake, not a server error. */
  private async s3Call(f: () => Promise<void>): Promise<void> {
    try {
      await f();
    } catch (e) {
      const name = (e as Error).name;
      if (name === 'NoSuchUpload') throw new PlatformError('not_found', 'no such multipart upload for this snapshot (completed, aborted or never created)');
      if (name === 'InvalidPart' || name === 'InvalidPartOrder' || name === 'EntityTooSmall') throw new PlatformError('invalid', `multipart upload not completed: ${(e as Error).message}`);
      throw e;
    }
  }

  async deleteData(snap: Snapshot): Promise<void> {
    const p = { project: snap.project_id, machine: snap.machine_id, snapshot: snap.id };
    const lake: string[] = [manifestKey(p), overviewKey(p)];
    for (const t of tableNames) lake.push(...(await this.list(this.o.lakeBucket, partitionPrefix(t, p))));
    await this.deleteKeys(this.o.lakeBucket, lake);
    await this.deleteKeys(this.o.dumpsBucket, await this.list(this.o.dumpsBucket, `${DUMP_PREFIX}${snap.org_id}/${snap.project_id}/${snap.machine_id}/${snap.id}/`));
    for (const t of tableNames) {
      await this.o.glue
        .send(new BatchDeletePartitionCommand({ DatabaseName: this.o.database, TableName: t, PartitionsToDelete: [{ Values: [p.project, p.machine, p.snapshot] }] }))
        .catch((e: Error) => {
          if (e.name !== 'EntityNotFoundException') throw e;
        });
    }
  }

  async close(): Promise<void> {}

  private async list(bucket: string, prefix: string): Promise<string[]> {
    const out: string[] = [];
    let token: string | undefined;
    for (let i = 0; i < 1000; i++) {
      const r = await this.o.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
      for (const c of r.Contents ?? []) if (c.Key) out.push(c.Key);
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
      if (!token) break;
    }
    return out;
  }

  private async deleteKeys(bucket: string, keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      await this.o.s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })), Quiet: true } }));
    }
  }

  private async getJson<T>(bucket: string, key: string): Promise<T | null> {
    try {
      const r = await this.o.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return JSON.parse(await r.Body!.transformToString()) as T;
    } catch (e) {
      if ((e as Error).name === 'NoSuchKey') return null;
      throw e;
    }
  }
}
