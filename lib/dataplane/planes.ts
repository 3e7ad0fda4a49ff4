// The two ways to build the one data plane (service.ts): the API Lambda's (Athena, S3 job state,
// presigned S3 uploads, hunt summaries in the metadata table) and `memq serve`'s (DuckDB over the store,
// in-memory jobs, streamed uploads analyzed by a child process, hunt summaries as files in the store).
// Each is its adapters and limits, nothing more.
import * as path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { GlueClient } from '@aws-sdk/client-glue';
import type { AthenaSdkPort } from '../engine/athena';
import { openLocalStore } from '../store/store';
import { athenaEngine, duckdbEngine } from './engines';
import { memoryJobStore, s3JobStore } from './job-stores';
import { dynamoHuntSummaryStore, fileHuntSummaryStore } from './hunt-summaries';
import { LocalDumps, type LocalDumpsOptions } from './local-dumps';
import { S3Dumps } from './s3-dumps';
import { DataPlaneService } from './service';

export interface CloudPlaneOptions {
  s3: S3Client;
  glue: GlueClient;
  athena: AthenaSdkPort;
  dumpsBucket: string;
  lakeBucket: string;
  /** where job state is kept (the Athena results bucket) */
  resultsBucket: string;
  /** the metadata table (lib/platform/dynamo-repository.ts): the latest hunt summary per snapshot is kept there */
  dynamo: DynamoDBClient;
  metadataTable: string;
  database: string;
  /** single PUT limit of S3 (tests lower it) */
  maxSinglePutBytes?: number;
  maxResultRows?: number;
  /** serialized rows per page, at most (Lambda responses are ≤ 6 MB) */
  maxPageBytes?: number;
  /** statements of a hunt or IOC search on Athena at once (account default: 20–25 concurrent DML queries) */
  huntConcurrency?: number;
}

export function cloudDataPlane(o: CloudPlaneOptions): DataPlaneService {
  return new DataPlaneService({
    engine: athenaEngine(o.athena, o.database),
    jobs: s3JobStore(o.s3, o.resultsBucket),
    dumps: new S3Dumps(o),
    summaries: dynamoHuntSummaryStore(o.dynamo, o.metadataTable),
    limits: { maxResultRows: o.maxResultRows ?? 10_000, maxPageBytes: o.maxPageBytes, batchConcurrency: o.huntConcurrency ?? 8, jobsExpireAfter: 'a week' },
  });
}

/**
 * Limits that keep one local server healthy on heavy use, and one user from taking it for everyone:
 * a result holds at most 1M rows and 64 MB; a user runs at most 4 jobs at once and keeps their 64 most
 * recent job entries (a job's state and rows are two); a statement stops after 60 s; statements take
 * turns between users, up to 3 at once on a small pool of DuckDB connections (one heavy query does
 * not hold everybody else's).
 */
const LOCAL = { maxResultRows: 1_000_000, maxResultBytes: 64 << 20, jobsPerUser: 64, runningPerUser: 4, jobTtlMs: 60 * 60_000, queryTimeoutMs: 60_000, connections: 3 };

export function localDataPlane(dir: string, o: LocalDumpsOptions & { queryTimeoutMs?: number; maxRunningJobsPerUser?: number } = {}): DataPlaneService {
  const store = openLocalStore(dir, { create: true, connections: LOCAL.connections });
  const dumps = new LocalDumps(store, o);
  return new DataPlaneService({
    engine: duckdbEngine(store, { maxRows: LOCAL.maxResultRows, timeoutMs: o.queryTimeoutMs ?? LOCAL.queryTimeoutMs, parallel: LOCAL.connections }),
    jobs: memoryJobStore({ maxEntriesPerOwner: LOCAL.jobsPerUser, ttlMs: LOCAL.jobTtlMs }),
    dumps,
    summaries: fileHuntSummaryStore(path.join(dir, '_platform', 'hunt-summaries')),
    limits: {
      maxResultRows: LOCAL.maxResultRows,
      maxResultBytes: LOCAL.maxResultBytes,
      maxRunningJobsPerUser: o.maxRunningJobsPerUser ?? LOCAL.runningPerUser,
      batchConcurrency: 4,
      jobsExpireAfter: 'an hour',
    },
  });
}
