// Opens a dump object in S3 as a synchronous ByteSource for the engines: lib/image/s3-source.ts
// (ranged GETs from a worker thread) behind a 1 MiB-block cache — fewer, larger GETs suit S3's
// per-request latency; the engine's own 64 KiB cache sits on top for pointer-chasing reads.
import { BlockCache, type ByteSource } from '../image/byte-source';
import { S3Source, type S3SourceOptions } from '../image/s3-source';

export type S3DumpOptions = Omit<S3SourceOptions, 'bucket' | 'key'> & { cacheBytes?: number };

export function s3DumpOpener(opts: S3DumpOptions = {}): (bucket: string, key: string, size: number) => ByteSource {
  const { cacheBytes, ...src } = opts;
  return (bucket, key) => new BlockCache(new S3Source({ ...src, bucket, key }), 1 << 20, cacheBytes ?? 256 << 20);
}

export const openS3Dump = s3DumpOpener();
