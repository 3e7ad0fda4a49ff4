// The release command: refuses missing and placeholder configuration; from a real-looking seller
// configuration it emits a Quick Launch template with no placeholders (code from the per-region
// bucket, the seller endpoint built in, only buyer parameters), the listing fields within their
// limits (iamPolicy ≤ 8,192 characters, covering every resource type the template creates), the
// per-region layout with checksums that match the files, and the bucket policies.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import { loadConfig, release, PLACEHOLDER } from '../../marketplace/src/release';
import { ACTIONS_BY_TYPE } from '../../marketplace/src/deploy-policy';
import { packageMarketplace } from '../../marketplace/src/package';

process.env.MEMQ_BUNDLE_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-bundles-'));
afterAll(() => {
  fs.rmSync(process.env.MEMQ_BUNDLE_DIR!, { recursive: true, force: true });
  fs.rmSync(tmp, { recursive: true, force: true });
});
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-release-'));
process.env.MEMQ_MARKETPLACE_DIST = path.join(tmp, 'dist'); // package.test.ts writes marketplace/dist in parallel
const write = (name: string, v: unknown) => {
  const f = path.join(tmp, name);
  fs.writeFileSync(f, JSON.stringify(v));
  return f;
};
const good = {
  version: '0.1.0',
  regions: ['us-east-1', 'eu-central-1'],
  bucketPrefix: 'memq-releases-4f2a',
  templateRegion: 'us-east-1',
  seller: { usageUrl: 'https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod/v1/usage', usageApiArn: 'arn:aws:execute-api:us-east-1:294406891311:a1b2c3d4e5/prod/POST/v1/usage' },
};

test('configuration: missing, invalid or placeholder values are refused loudly', () => {
  expect(() => loadConfig(undefined)).toThrow(/release configuration missing/);
  expect(() => loadConfig(path.join(tmp, 'nope.json'))).toThrow(/does not exist/);
  expect(() => loadConfig(path.resolve(__dirname, '../../marketplace/release.config.example.json'))).toThrow(/invalid|placeholder/);
  expect(() => loadConfig(write('ph.json', { ...good, seller: { ...good.seller, usageApiArn: 'arn:aws:execute-api:us-east-1:111111111111:a1b2c3d4e5/prod/POST/v1/usage' } }))).toThrow(/placeholder values: seller.usageApiArn/);
  expect(() => loadConfig(write('reg.json', { ...good, templateRegion: 'ap-south-1' }))).toThrow(/templateRegion/);
  const { seller: _s, ...noSeller } = good;
  expect(() => loadConfig(write('ns.json', noSeller))).toThrow(/seller/);
  expect(loadConfig(write('good.json', good))).toMatchObject({ defaultStackName: 'memq', version: '0.1.0' });
});

test('release: Quick Launch template, listing fields, per-region layout with checksums, bucket policies', async () => {
  await packageMarketplace();
  const r = await release(loadConfig(write('good.json', good)), { skipPackage: true });
  const text = fs.readFileSync(path.join(r.dir, 'memq.template.json'), 'utf8');
  expect(text).not.toMatch(PLACEHOLDER);
  const t = JSON.parse(text);
  expect(Object.keys(t.Parameters).sort()).toEqual(['AdminEmail', 'AlarmEmail', 'ApiGatewayLogging', 'AthenaScanCutoffBytes', 'MaxShardConcurrency', 'OrganizationName', 'ShardMemoryMb'].filter((p) => p in t.Parameters).sort());
  expect(Object.entries(t.Parameters as Record<string, { Default?: unknown }>).filter(([, p]) => p.Default === undefined).map(([k]) => k)).toEqual(['AdminEmail']);
  expect(t.Metadata['AWS::CloudFormation::Interface'].ParameterGroups.flatMap((g: { Parameters: string[] }) => g.Parameters).sort()).toEqual(Object.keys(t.Parameters).sort());
  expect(text).not.toMatch(/"Ref":\s*"(AssetBucketName|AssetKeyPrefix|SellerUsageUrl|SellerUsageApiArn)"/);
  expect(text).toContain(good.seller.usageUrl);
  expect(t.Rules.SupportedRegion.Assertions[0].Assert['Fn::Contains'][0]).toEqual(good.regions);
  const fns = Object.values(t.Resources as Record<string, { Type: string; Properties: any }>).filter((x) => x.Type === 'AWS::Lambda::Function');
  for (const f of fns) expect(f.Properties.Code.S3Bucket).toEqual({ 'Fn::Sub': 'memq-releases-4f2a-${AWS::Region}' });

  const ql = JSON.parse(fs.readFileSync(path.join(r.dir, 'quick-launch.json'), 'utf8'));
  expect(ql).toMatchObject({ defaultStackName: 'memq', templateUrl: 'https://memq-releases-4f2a-us-east-1.s3.us-east-1.amazonaws.com/memq/0.1.0/memq.template.json' });
  expect(ql.iamPolicy.length).toBeLessThanOrEqual(8192);
  const pol = JSON.parse(ql.iamPolicy);
  const allowed = new Set(pol.Statement.flatMap((s: { Action: string | string[] }) => [s.Action].flat()));
  const types = [...new Set(Object.values(t.Resources as Record<string, { Type: string }>).map((x) => x.Type))].filter((x) => !x.startsWith('Custom::'));
  for (const ty of types) for (const a of ACTIONS_BY_TYPE[ty]!) expect(allowed).toContain(a);
  expect([...allowed].some((a) => /\*/.test(String(a)))).toBe(false);
  expect(pol.Statement.find((s: { Sid: string }) => s.Sid === 'PassRoles').Condition.StringEquals['iam:PassedToService']).toEqual(expect.arrayContaining(['lambda.amazonaws.com', 'states.amazonaws.com']));

  const layout = JSON.parse(fs.readFileSync(path.join(r.dir, 'layout.json'), 'utf8'));
  expect(layout.regions.map((l: { region: string; bucket: string }) => [l.region, l.bucket])).toEqual([['us-east-1', 'memq-releases-4f2a-us-east-1'], ['eu-central-1', 'memq-releases-4f2a-eu-central-1']]);
  for (const l of layout.regions) {
    for (const f of fns) expect(l.objects.map((o: { key: string }) => o.key)).toContain(f.Properties.Code.S3Key['Fn::Join'][1].join(''));
    for (const o of l.objects) expect(crypto.createHash('sha256').update(fs.readFileSync(path.join(r.dir, o.file))).digest('hex')).toBe(o.sha256);
    const bp = JSON.parse(fs.readFileSync(path.join(r.dir, 'bucket-policies', `${l.region}.json`), 'utf8'));
    expect(bp.Statement[0]).toMatchObject({ Effect: 'Allow', Principal: { AWS: '*' }, Action: 's3:GetObject', Resource: `arn:aws:s3:::${l.bucket}/memq/*` });
  }
  for (const line of fs.readFileSync(path.join(r.dir, 'SHA256SUMS'), 'utf8').trim().split('\n')) {
    const [h, f] = line.split(/\s+/);
    expect(crypto.createHash('sha256').update(fs.readFileSync(path.join(r.dir, f!))).digest('hex')).toBe(h);
  }
}, 300000);
