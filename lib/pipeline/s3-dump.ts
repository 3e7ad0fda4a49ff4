// Opens a dump object in S3 as a synchronous ByteSource (ranged GETs) for the engines.
// TRANSITIONAL: lib/image/s3-source.ts (sync S3 ByteSource, another engineer) has not landed yet;
// until it does this throws, and the pipeline can only run with an injected DumpReader.
import type { ByteSource } from '../image/byte-source';
import { MemqError } from '../util/errors';

export function openS3Dump(bucket: string, key: string, _size: number): ByteSource {
  throw new MemqError(`s3://${bucket}/${key}: S3 byte source not available in this build`, 'E_UNSUPPORTED');
}
