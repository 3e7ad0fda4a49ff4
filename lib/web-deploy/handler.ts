// The web-deploy custom resource: CloudFormation → this Lambda → the web bucket. It implements the
// custom resource response protocol itself (no CDK Provider framework, no Python/CLI assets), so the
// bootstrap-free Marketplace template can carry it like any other Lambda.
//
// - Create / Update: every embedded UI file is written with its Content-Type and Cache-Control, then
//   `config.json` with the deployed values. Writes are plain overwrites, so a retried or repeated
//   event converges to the same bucket content (idempotent). Earlier content-hashed assets are left in
//   place so pages already open keep loading; index.html and config.json are revalidated on every load.
// - Delete: empties the bucket. It holds only build output (reproducible from the release) and is
//   deleted with the stack; a bucket that is already gone counts as done.
// The answer is a PUT of the JSON response document to the pre-signed ResponseURL, retried a few
// times; a failure (or running out of Lambda time) is answered FAILED with the reason, never left to
// CloudFormation's one-hour timeout.
import * as http from 'node:http';
import * as https from 'node:https';
import { DeleteObjectsCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { WebFile } from './files';

/** What the UI reads from /config.json in the cloud (absent under `memq serve`). */
export interface WebConfig {
  /** API base, same origin (CloudFront forwards /api/* to API Gateway) */
  apiBaseUrl: string;
  region: string;
  userPoolId: string;
  userPoolClientId: string;
  /** Cognito managed login (hosted UI) base URL, https://<prefix>.auth.<region>.amazoncognito.com */
  cognitoDomain: string;
}

export interface CustomResourceEvent {
  RequestType: 'Create' | 'Update' | 'Delete';
  ResponseURL: string;
  StackId: string;
  RequestId: string;
  LogicalResourceId: string;
  ResourceType?: string;
  PhysicalResourceId?: string;
  ResourceProperties: { ServiceToken?: string; Bucket: string; Config: WebConfig; WebHash?: string };
  OldResourceProperties?: Record<string, unknown>;
}

export interface LambdaContextLike {
  getRemainingTimeInMillis?(): number;
}

export interface WebDeployDeps {
  s3: S3Client;
  files: WebFile[];
  /** in-flight PutObject calls */
  concurrency?: number;
  log?(msg: string, detail?: Record<string, unknown>): void;
}

const PHYSICAL_PREFIX = 'memq-web:';
export const CONFIG_KEY = 'config.json';

export function configFile(config: WebConfig): WebFile {
  return { key: CONFIG_KEY, contentType: 'application/json', cacheControl: 'no-cache', body: Buffer.from(JSON.stringify(config, null, 2) + '\n') };
}

async function putAll(s3: S3Client, bucket: string, files: WebFile[], concurrency: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const f = files[next++]!;
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: f.key, Body: f.body, ContentType: f.contentType, CacheControl: f.cacheControl }));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, worker));
}

async function emptyBucket(s3: S3Client, bucket: string): Promise<number> {
  let deleted = 0;
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token, MaxKeys: 1000 }));
    const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key! }));
    if (keys.length) {
      const r = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }));
      if (r.Errors?.length) throw new Error(`could not delete ${r.Errors.length} objects from ${bucket}: ${r.Errors[0]!.Code} ${r.Errors[0]!.Message ?? ''}`);
      deleted += keys.length;
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return deleted;
}

function put(url: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = (u.protocol === 'http:' ? http : https).request(
      u,
      { method: 'PUT', headers: { 'content-type': '', 'content-length': Buffer.byteLength(body) }, timeout: 30_000 },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

/** PUTs the response document to CloudFormation's pre-signed URL (3 attempts). */
export async function respond(
  e: CustomResourceEvent,
  status: 'SUCCESS' | 'FAILED',
  physicalId: string,
  reason?: string,
  data?: Record<string, string>,
): Promise<void> {
  const body = JSON.stringify({
    Status: status,
    Reason: (reason ?? status).slice(0, 1000),
    PhysicalResourceId: physicalId,
    StackId: e.StackId,
    RequestId: e.RequestId,
    LogicalResourceId: e.LogicalResourceId,
    NoEcho: false,
    ...(data ? { Data: data } : {}),
  });
  let last: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const code = await put(e.ResponseURL, body);
      if (code >= 200 && code < 300) return;
      last = new Error(`ResponseURL answered HTTP ${code}`);
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 500 * 2 ** attempt));
  }
  throw last;
}

export function webDeployHandler(deps: WebDeployDeps) {
  const log = deps.log ?? (() => undefined);
  return async (e: CustomResourceEvent, context?: LambdaContextLike): Promise<void> => {
    const bucket = e.ResourceProperties?.Bucket;
    const physicalId = bucket ? `${PHYSICAL_PREFIX}${bucket}` : (e.PhysicalResourceId ?? `${PHYSICAL_PREFIX}invalid:${e.RequestId}`);
    const work = async (): Promise<Record<string, string>> => {
      if (!bucket) throw new Error('ResourceProperties.Bucket is required');
      if (e.RequestType === 'Delete') {
        // only a resource this handler created owns a bucket (a failed Create answered another id)
        if (e.PhysicalResourceId !== physicalId) return {};
        try {
          return { Deleted: String(await emptyBucket(deps.s3, bucket)) };
        } catch (err) {
          if ((err as { name?: string }).name === 'NoSuchBucket') return { Deleted: '0' };
          throw err;
        }
      }
      const config = e.ResourceProperties.Config;
      for (const k of ['apiBaseUrl', 'region', 'userPoolId', 'userPoolClientId', 'cognitoDomain'] as const) {
        if (typeof config?.[k] !== 'string' || !config[k]) throw new Error(`ResourceProperties.Config.${k} is required`);
      }
      await putAll(deps.s3, bucket, deps.files, deps.concurrency ?? 8);
      // config last: a UI whose config.json is present has every file it refers to
      await putAll(deps.s3, bucket, [configFile(config)], 1);
      return { Files: String(deps.files.length + 1), ConfigKey: CONFIG_KEY };
    };
    const budget = (context?.getRemainingTimeInMillis?.() ?? 900_000) - 10_000;
    let timer: NodeJS.Timeout | undefined;
    try {
      const data = await Promise.race([
        work(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('ran out of Lambda time')), Math.max(budget, 1000));
        }),
      ]);
      log('web deploy done', { request: e.RequestType, bucket, ...data });
      await respond(e, 'SUCCESS', physicalId, undefined, data);
    } catch (err) {
      const msg = (err as Error).message ?? String(err);
      log('web deploy failed', { request: e.RequestType, bucket, error: msg });
      // a failed Create must not claim the bucket: its rollback Delete then leaves it alone
      const id = e.RequestType === 'Create' ? `${PHYSICAL_PREFIX}failed:${e.RequestId}` : physicalId;
      await respond(e, 'FAILED', id, `web deploy ${e.RequestType} failed: ${msg}`);
    } finally {
      clearTimeout(timer);
    }
  };
}
