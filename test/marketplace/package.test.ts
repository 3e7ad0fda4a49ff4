// `npm run marketplace:package`: the customer template stands alone (no CDK bootstrap parameters or
// custom resources; Lambda code from the AssetBucketName/AssetKeyPrefix parameters), every S3Key it
// names is a zip in dist/assets holding an index.js, SHA256SUMS matches the files, and the generated
// IAM summary and architecture SVG are there.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import { unzipSync } from 'fflate';
import { packageMarketplace } from '../../marketplace/src/package';

// own bundle directory: test files run in parallel workers and must not rebuild each other's bundles
process.env.MEMQ_BUNDLE_DIR = require('node:fs').mkdtempSync(require('node:path').join(require('node:os').tmpdir(), 'memq-bundles-'));
afterAll(() => require('node:fs').rmSync(process.env.MEMQ_BUNDLE_DIR!, { recursive: true, force: true }));

const DIST = path.resolve(__dirname, '../../marketplace/dist');

test('package: standalone template + asset zips + checksums + IAM summary + diagram', async () => {
  await packageMarketplace();
  const t = JSON.parse(fs.readFileSync(path.join(DIST, 'memq.template.json'), 'utf8'));
  expect(Object.keys(t.Parameters)).toEqual(expect.arrayContaining(['AssetBucketName', 'AssetKeyPrefix', 'MaxShardConcurrency', 'SellerUsageUrl']));
  expect(Object.keys(t.Parameters).filter((p) => /^(BootstrapVersion|AssetParameters)/.test(p))).toEqual([]);
  expect(t.Rules?.CheckBootstrapVersion).toBeUndefined();
  const fns = Object.values(t.Resources as Record<string, { Type: string; Properties: any }>).filter((r) => r.Type === 'AWS::Lambda::Function');
  expect(fns.length).toBe(9); // 6 pipeline steps, API, usage reporter, web deploy (the template's only custom resource, served by its own Lambda)
  for (const f of fns) {
    expect(f.Properties.Code.S3Bucket).toEqual({ Ref: 'AssetBucketName' });
    const key = f.Properties.Code.S3Key['Fn::Join'][1];
    expect(key[0]).toEqual({ Ref: 'AssetKeyPrefix' });
    const zip = path.join(DIST, 'assets', key[1]);
    expect(fs.existsSync(zip)).toBe(true);
  }
  for (const z of fs.readdirSync(path.join(DIST, 'assets'))) {
    const files = unzipSync(fs.readFileSync(path.join(DIST, 'assets', z)), { filter: (f) => f.name === 'index.js' });
    expect(Object.keys(files)).toEqual(['index.js']);
  }
  const sums = fs.readFileSync(path.join(DIST, 'SHA256SUMS'), 'utf8').trim().split('\n');
  expect(sums.length).toBeGreaterThanOrEqual(8);
  for (const line of sums) {
    const [hash, file] = line.split(/\s+/);
    expect(crypto.createHash('sha256').update(fs.readFileSync(path.join(DIST, file!))).digest('hex')).toBe(hash);
  }
  const iam = fs.readFileSync(path.join(DIST, 'iam-summary.md'), 'utf8');
  const roles = Object.entries(t.Resources as Record<string, { Type: string }>).filter(([, r]) => r.Type === 'AWS::IAM::Role');
  for (const [id] of roles) expect(iam).toContain(`## ${id}`);
  expect(fs.readFileSync(path.join(DIST, 'architecture.svg'), 'utf8')).toMatch(/<svg[\s\S]*Distributed Map[\s\S]*<\/svg>/);
}, 180000);
