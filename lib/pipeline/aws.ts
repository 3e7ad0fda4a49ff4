// AWS adapters of the pipeline ports: the lake bucket on S3 (SDK v3), dump heads on S3, partition
// registration in Glue. The dump bytes themselves are read through the synchronous S3 byte source
// (lib/image/s3-source.ts), injected by the Lambda wiring.
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { BatchCreatePartitionCommand, type GlueClient } from '@aws-sdk/client-glue';
import type { ByteSource } from '../image/byte-source';
import type { TableName } from '../model';
import { MemqError } from '../util/errors';
import type { SnapshotPartition } from './keys';
import { PARQUET_FORMAT, glueColumns, tableLocation } from './lake-schema';
import type { DumpObjectInfo, DumpReader, ObjectStore, PartitionRegistrar } from './ports';

export class S3ObjectStore implements ObjectStore {
  constructor(private readonly s3: S3Client, readonly bucket: string, private readonly kmsKeyId?: string) {}

  async put(key: string, body: Uint8Array | string, contentType: string): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: body,
        ContentType: contentType,
        ...(this.kmsKeyId ? { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: this.kmsKeyId } : {}),
      }),
    );
  }

  async getText(key: string): Promise<string | null> {
    try {
      const r = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return (await r.Body?.transformToString('utf8')) ?? null;
    } catch (e) {
      if ((e as Error).name === 'NoSuchKey' || (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return null;
      throw e;
    }
  }

  async list(prefix: string, maxKeys = 100000): Promise<string[]> {
    const out: string[] = [];
    let token: string | undefined;
    do {
      const r = await this.s3.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }));
      for (const o of r.Contents ?? []) if (o.Key) out.push(o.Key);
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token && out.length < maxKeys);
    return out.slice(0, maxKeys);
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const r = await this.s3.send(
        new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })), Quiet: true } }),
      );
      if (r.Errors?.length) throw new MemqError(`s3://${this.bucket}: delete failed for ${r.Errors[0]!.Key}: ${r.Errors[0]!.Message}`, 'E_S3');
    }
  }
}

export class S3DumpReader implements DumpReader {
  constructor(
    private readonly s3: S3Client,
    private readonly openRanged: (bucket: string, key: string, size: number) => ByteSource,
  ) {}
  async head(bucket: string, key: string): Promise<DumpObjectInfo> {
    const r = await this.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return { size: r.ContentLength ?? 0, etag: r.VersionId ?? r.ETag ?? '', metadata: r.Metadata ?? {} };
  }
  open(bucket: string, key: string, size: number): ByteSource {
    return this.openRanged(bucket, key, size);
  }
}

/** Registers Hive partitions in Glue (see lib/infra/catalog.ts for why partitions are registered, not projected). */
export class GluePartitionRegistrar implements PartitionRegistrar {
  constructor(private readonly glue: GlueClient, private readonly database: string, private readonly lakeBucket: string) {}
  async register(tables: readonly TableName[], p: SnapshotPartition): Promise<void> {
    for (const t of tables) {
      const r = await this.glue.send(
        new BatchCreatePartitionCommand({
          DatabaseName: this.database,
          TableName: t,
          PartitionInputList: [
            {
              Values: [p.project, p.machine, p.snapshot],
              StorageDescriptor: {
                Columns: glueColumns(t).map((c) => ({ Name: c.name, Type: c.type, Comment: c.comment })),
                Location: `${tableLocation(this.lakeBucket, t)}project=${p.project}/machine=${p.machine}/snapshot=${p.snapshot}/`,
                InputFormat: PARQUET_FORMAT.inputFormat,
                OutputFormat: PARQUET_FORMAT.outputFormat,
                SerdeInfo: { SerializationLibrary: PARQUET_FORMAT.serializationLibrary },
              },
            },
          ],
        }),
      );
      const bad = (r.Errors ?? []).filter((e) => e.ErrorDetail?.ErrorCode !== 'AlreadyExistsException');
      if (bad.length) throw new MemqError(`glue: partition of ${t} not registered: ${bad[0]!.ErrorDetail?.ErrorMessage}`, 'E_GLUE');
    }
  }
}
