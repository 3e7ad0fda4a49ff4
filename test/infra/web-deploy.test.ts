// The web-deploy custom resource Lambda against s3rver, with a local HTTP server standing in for
// CloudFormation's pre-signed ResponseURL: Create writes every file of the web build (Content-Type,
// Cache-Control) and config.json and answers SUCCESS; a retried Create converges; Update rewrites
// config.json; Delete empties the bucket; a bad request is answered FAILED with a reason. The built
// bundle embeds exactly the files of web/dist.
import * as http from 'node:http';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { startS3, type LocalS3 } from '../pipeline/local-aws';
import { prepareWebAssets, WEB_DIST } from '../../lib/web-deploy/build';
import { collectWebFiles, type WebFile } from '../../lib/web-deploy/files';
import { webDeployHandler, type CustomResourceEvent, type WebConfig } from '../../lib/web-deploy/handler';

process.env.MEMQ_BUNDLE_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-bundles-web-'));
let s3: LocalS3;
let cfn: http.Server;
let cfnUrl: string;
const responses: { path: string; contentType: string | undefined; body: any }[] = [];
let files: WebFile[];

beforeAll(async () => {
  files = prepareWebAssets().files; // builds web/dist if it is missing or stale
  s3 = await startS3(['web']);
  cfn = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      responses.push({ path: req.url!, contentType: req.headers['content-type'], body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => cfn.listen(0, '127.0.0.1', r));
  cfnUrl = `http://127.0.0.1:${(cfn.address() as { port: number }).port}`;
}, 120000);

afterAll(async () => {
  s3?.stop();
  await new Promise((r) => cfn?.close(r));
  fs.rmSync(process.env.MEMQ_BUNDLE_DIR!, { recursive: true, force: true });
});

const config: WebConfig = {
  apiBaseUrl: '/api/v1',
  region: 'eu-west-1',
  userPoolId: 'eu-west-1_TestPool1',
  userPoolClientId: 'client123',
  cognitoDomain: 'https://memq-0d6f.auth.eu-west-1.amazoncognito.com',
};
let n = 0;
function event(type: CustomResourceEvent['RequestType'], props: Partial<CustomResourceEvent['ResourceProperties']> = {}, physicalId?: string): CustomResourceEvent {
  n++;
  return {
    RequestType: type,
    ResponseURL: `${cfnUrl}/response/${n}?X-Amz-Signature=abc`,
    StackId: 'arn:aws:cloudformation:eu-west-1:111111111111:stack/Memq/0d6f0000-0000-0000-0000-000000000000',
    RequestId: `req-${n}`,
    LogicalResourceId: 'WebDeployA4E26EFB',
    ResourceType: 'Custom::MemqWebDeploy',
    ...(physicalId ? { PhysicalResourceId: physicalId } : {}),
    ResourceProperties: { ServiceToken: 'arn:aws:lambda:eu-west-1:111111111111:function:deploy', Bucket: 'web', Config: config, WebHash: 'h1', ...props },
  };
}
const lastResponse = () => responses[responses.length - 1]!;
const keysIn = async () => ((await s3.client.send(new ListObjectsV2Command({ Bucket: 'web' }))).Contents ?? []).map((o) => o.Key!).sort();
const text = async (key: string) => (await s3.client.send(new GetObjectCommand({ Bucket: 'web', Key: key }))).Body!.transformToString();

test('Create writes every built file with its type and caching, then config.json, and answers SUCCESS', async () => {
  const run = webDeployHandler({ s3: s3.client, files });
  await run(event('Create'));
  const r = lastResponse();
  expect(r.path).toBe(`/response/${n}?X-Amz-Signature=abc`);
  expect(r.contentType).toBe('');
  expect(r.body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'memq-web:web', RequestId: `req-${n}`, LogicalResourceId: 'WebDeployA4E26EFB', Data: { Files: String(files.length + 1) } });
  // every file of web/dist, byte for byte
  const built = collectWebFiles(WEB_DIST);
  expect(built.map((f) => f.key)).toContain('index.html');
  expect(built.some((f) => f.key.startsWith('assets/') && f.key.endsWith('.js'))).toBe(true);
  expect(await keysIn()).toEqual([...built.map((f) => f.key), 'config.json'].sort());
  for (const f of built) {
    const o = await s3.client.send(new GetObjectCommand({ Bucket: 'web', Key: f.key }));
    expect([f.key, Buffer.from(await o.Body!.transformToByteArray()).equals(Buffer.from(f.body))]).toEqual([f.key, true]);
    expect([f.key, o.ContentType]).toEqual([f.key, f.key.endsWith('.html') ? 'text/html; charset=utf-8' : f.key.endsWith('.js') ? 'text/javascript; charset=utf-8' : f.key.endsWith('.css') ? 'text/css; charset=utf-8' : o.ContentType]);
    expect([f.key, o.CacheControl]).toEqual([f.key, f.key.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache']);
  }
  const head = await s3.client.send(new HeadObjectCommand({ Bucket: 'web', Key: 'config.json' }));
  expect(head.ContentType).toBe('application/json');
  expect(head.CacheControl).toBe('no-cache');
  expect(JSON.parse(await text('config.json'))).toEqual(config);
});

test('a retried Create and an Update converge (plain overwrites); Update carries the new configuration', async () => {
  const run = webDeployHandler({ s3: s3.client, files });
  const before = await keysIn();
  await run(event('Create'));
  expect(lastResponse().body.Status).toBe('SUCCESS');
  expect(await keysIn()).toEqual(before);
  await run(event('Update', { Config: { ...config, userPoolClientId: 'client456' }, WebHash: 'h2' }, 'memq-web:web'));
  expect(lastResponse().body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'memq-web:web' });
  expect(JSON.parse(await text('config.json')).userPoolClientId).toBe('client456');
  expect(await keysIn()).toEqual(before);
});

test('a request missing configuration is answered FAILED with the reason; its rollback Delete leaves the bucket alone', async () => {
  const run = webDeployHandler({ s3: s3.client, files });
  await run(event('Create', { Config: { ...config, cognitoDomain: '' } }));
  const r = lastResponse().body;
  expect(r.Status).toBe('FAILED');
  expect(r.Reason).toContain('Config.cognitoDomain is required');
  expect(r.PhysicalResourceId).toMatch(/^memq-web:failed:/);
  const before = await keysIn();
  await run(event('Delete', {}, r.PhysicalResourceId));
  expect(lastResponse().body.Status).toBe('SUCCESS');
  expect(await keysIn()).toEqual(before);
});

test('Delete empties the bucket (it holds build output only); a bucket already gone counts as deleted', async () => {
  const run = webDeployHandler({ s3: s3.client, files });
  await run(event('Delete', {}, 'memq-web:web'));
  expect(lastResponse().body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'memq-web:web' });
  expect(await keysIn()).toEqual([]);
  await run(event('Delete', { Bucket: 'gone' }, 'memq-web:gone'));
  expect(lastResponse().body).toMatchObject({ Status: 'SUCCESS', Data: { Deleted: '0' } });
});

test('the built Lambda bundle embeds exactly the files of web/dist and exports the handler', () => {
  const { bundleLambda } = require('../../lib/infra/bundle') as typeof import('../../lib/infra/bundle');
  const { execFileSync } = require('node:child_process') as typeof import('node:child_process');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-webdeploy-'));
  try {
    fs.cpSync(bundleLambda('webDeploy').dir, dir, { recursive: true });
    const out = execFileSync(
      process.execPath,
      ['-e', "const m=require('./index.js');console.log(JSON.stringify({h:typeof m.handler,files:m.embeddedFiles()}))"],
      { cwd: dir, env: { PATH: process.env.PATH ?? '' }, encoding: 'utf8' },
    );
    const got = JSON.parse(out.trim().split('\n').pop()!);
    expect(got.h).toBe('function');
    expect(got.files).toEqual(collectWebFiles(WEB_DIST).map((f) => ({ key: f.key, contentType: f.contentType, cacheControl: f.cacheControl, size: f.body.length })));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 120000);
