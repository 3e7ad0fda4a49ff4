// Opens a dump object in S3 as a synchronous ByteSource for the engines: lib/image/s3-source.ts
// (ranged GETs from a worker thread, sequential read-ahead in 8 MiB chunks with several GETs in
// flight, in-worker retries of transient failures) behind a 256 KiB-block cache. The block size is
// the GET size of a random read (pointer chasing): small enough that a scattered 4 KiB page costs
// one short round-trip, large enough that neighbouring kernel structures share it; sequential scans
// do not depend on it (the source streams them in 8 MiB chunks). The engine's own 64 KiB cache sits
// on top (lib/image/open.ts openSource).
import { BlockCache, type ByteSource } from '../image/byte-source';
import { S3_BLOCK_BYTES, S3Source, type S3SourceOptions } from '../image/s3-source';

export type S3DumpOptions = Omit<S3SourceOptions, 'bucket' | 'key'> & { cacheBytes?: number; blockBytes?: number };

export function s3DumpOpener(opts: S3DumpOptions = {}): (bucket: string, key: string, size: number) => ByteSource {
  const { cacheBytes, blockBytes, ...src } = opts;
  return (bucket, key) => new BlockCache(new S3Source({ ...src, bucket, key }), blockBytes ?? S3_BLOCK_BYTES, cacheBytes ?? 256 << 20);
}

export const openS3Dump = s3DumpOpener();
