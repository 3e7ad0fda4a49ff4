// `npm run marketplace:release -- <seller config.json>` → marketplace/dist/release/<version>/: everything
// a release needs, generated from the CDK app, or nothing at all (it fails on missing or placeholder
// configuration):
//   memq.template.json   the Quick Launch template: Lambda code from `<bucketPrefix>-<region>` (the
//                        buyer's region), the seller's metering endpoint built in, only buyer-facing
//                        parameters left, supported regions asserted, console parameter groups
//   quick-launch.json    the listing's deployment template fields (templateName, templateUrl,
//                        defaultStackName, iamPolicy ≤ 8,192 chars, description)
//   deploy-policy.json   that IAM policy, readable
//   assets/              the Lambda zips (content-hash names)
//   layout.json          per region: bucket, every object key with sha256 and size, the template URL
//   bucket-policies/<region>.json  lets any AWS account's deploying principal read the release keys
//   upload.sh            the aws s3 cp commands, region by region, checksums verified first
//   SHA256SUMS
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import { z } from 'zod';
import { distDir, packageMarketplace } from './package';
import { deployPolicy } from './deploy-policy';

/** Values that must never reach a release (examples, documentation placeholders, unset defaults). */
export const PLACEHOLDER = /example\.(invalid|com)|placeholder|111111111111|123456789012|CHANGEME|XXXX/i;
/** In the configuration, `<…>` (the example file's fill-in marks) is a placeholder too. */
const CONFIG_PLACEHOLDER = new RegExp(`${PLACEHOLDER.source}|<[^>]*>`, 'i');

const region = z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'an AWS region code');
export const ReleaseConfig = z.object({
  version: z.string().regex(/^\d+\.\d+\.\d+$/, 'semver x.y.z'),
  /** regions buyers may deploy in; one asset bucket each: <bucketPrefix>-<region> */
  regions: z.array(region).min(1),
  bucketPrefix: z.string().regex(/^[a-z0-9][a-z0-9-]{2,40}$/, 'lower-case S3 bucket name prefix'),
  /** where the Quick Launch template is hosted (one of regions) */
  templateRegion: region,
  templateName: z.string().min(1).max(200).default('memq (deploys into your AWS account)'),
  defaultStackName: z.string().regex(/^[A-Za-z][-A-Za-z0-9]{0,100}$/, 'a CloudFormation stack name').default('memq'),
  /** outputs of the seller stack (MemqSeller) */
  seller: z.object({
    usageUrl: z.string().regex(/^https:\/\/[a-z0-9]+\.execute-api\.[a-z0-9-]+\.amazonaws\.com\/prod\/v1\/usage$/, 'the UsageUrl output of the seller stack'),
    usageApiArn: z.string().regex(/^arn:aws:execute-api:[a-z0-9-]+:\d{12}:[a-z0-9]+\/prod\/POST\/v1\/usage$/, 'the UsageApiArn output of the seller stack'),
  }),
});
export type ReleaseConfig = z.infer<typeof ReleaseConfig>;

export function loadConfig(file: string | undefined): ReleaseConfig {
  if (!file) throw new Error('release configuration missing: npm run marketplace:release -- <seller config.json> (see marketplace/release.config.example.json)');
  if (!fs.existsSync(file)) throw new Error(`release configuration missing: ${file} does not exist`);
  const raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  const parsed = ReleaseConfig.safeParse(raw);
  if (!parsed.success) throw new Error(`release configuration ${file} is invalid:\n${parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n')}`);
  const c = parsed.data;
  const bad = Object.entries(flatten(c)).filter(([, v]) => CONFIG_PLACEHOLDER.test(String(v)));
  if (bad.length) throw new Error(`release configuration ${file} has placeholder values: ${bad.map(([k, v]) => `${k}=${v}`).join(', ')}`);
  if (!c.regions.includes(c.templateRegion)) throw new Error(`templateRegion ${c.templateRegion} is not one of regions`);
  const long = c.regions.filter((r) => `${c.bucketPrefix}-${r}`.length > 63);
  if (long.length) throw new Error(`bucket names over 63 characters for ${long.join(', ')}`);
  return c;
}

function flatten(o: unknown, p = ''): Record<string, unknown> {
  if (o && typeof o === 'object' && !Array.isArray(o)) return Object.assign({}, ...Object.entries(o).map(([k, v]) => flatten(v, p ? `${p}.${k}` : k)));
  if (Array.isArray(o)) return Object.assign({}, ...o.map((v, i) => flatten(v, `${p}[${i}]`)));
  return { [p]: o };
}

/** Replaces `{ Ref: name }` everywhere in a template. */
function replaceRefs(node: unknown, refs: Record<string, unknown>): unknown {
  if (Array.isArray(node)) return node.map((n) => replaceRefs(n, refs));
  if (node && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    if (typeof o.Ref === 'string' && Object.keys(o).length === 1 && o.Ref in refs) return refs[o.Ref];
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, replaceRefs(v, refs)]));
  }
  return node;
}

const BUYER_PARAMETER_GROUPS = [
  { Label: { default: 'First administrator' }, Parameters: ['AdminEmail', 'OrganizationName'] },
  { Label: { default: 'Analysis capacity and cost limits' }, Parameters: ['MaxShardConcurrency', 'ShardMemoryMb', 'AthenaScanCutoffBytes'] },
  { Label: { default: 'Operations' }, Parameters: ['AlarmEmail', 'ApiGatewayLogging'] },
];

export interface Release {
  dir: string;
  files: string[];
  quickLaunch: { templateName: string; templateUrl: string; defaultStackName: string; iamPolicy: string; description: string };
}

export async function release(c: ReleaseConfig, opts: { skipPackage?: boolean } = {}): Promise<Release> {
  if (!opts.skipPackage) await packageMarketplace();
  const DIST = distDir();
  const dir = path.join(DIST, 'release', c.version);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, 'assets'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'bucket-policies'));
  const keyPrefix = `memq/${c.version}/`;
  const src = JSON.parse(fs.readFileSync(path.join(DIST, 'memq.template.json'), 'utf8'));
  const consumed = ['AssetBucketName', 'AssetKeyPrefix', 'SellerUsageUrl', 'SellerUsageApiArn'];
  for (const p of consumed) if (!src.Parameters?.[p]) throw new Error(`packaged template has no ${p} parameter: the release cannot bind it`);
  const tpl = replaceRefs(src, {
    AssetBucketName: { 'Fn::Sub': `${c.bucketPrefix}-\${AWS::Region}` },
    AssetKeyPrefix: keyPrefix,
    SellerUsageUrl: c.seller.usageUrl,
    SellerUsageApiArn: c.seller.usageApiArn,
  }) as { Parameters: Record<string, { Default?: unknown }>; Rules?: Record<string, unknown>; Metadata?: Record<string, unknown>; Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };
  for (const p of consumed) delete tpl.Parameters[p];
  tpl.Rules = { ...tpl.Rules, SupportedRegion: { Assertions: [{ Assert: { 'Fn::Contains': [c.regions, { Ref: 'AWS::Region' }] }, AssertDescription: `memq ${c.version} is published in ${c.regions.join(', ')}` }] } };
  const grouped = new Set(BUYER_PARAMETER_GROUPS.flatMap((g) => g.Parameters));
  const params = Object.keys(tpl.Parameters);
  const ungrouped = params.filter((p) => !grouped.has(p));
  if (ungrouped.length) throw new Error(`template parameters without a console group: ${ungrouped.join(', ')} (marketplace/src/release.ts BUYER_PARAMETER_GROUPS)`);
  tpl.Metadata = { ...tpl.Metadata, 'AWS::CloudFormation::Interface': { ParameterGroups: BUYER_PARAMETER_GROUPS.map((g) => ({ ...g, Parameters: g.Parameters.filter((p) => params.includes(p)) })) } };
  const text = JSON.stringify(tpl, null, 1);
  const leftover = text.match(PLACEHOLDER);
  if (leftover) throw new Error(`the release template still contains a placeholder value: ${leftover[0]}`);
  fs.writeFileSync(path.join(dir, 'memq.template.json'), text);

  const zips = fs.readdirSync(path.join(DIST, 'assets')).sort();
  const codeKeys = new Set<string>();
  for (const r of Object.values(tpl.Resources)) {
    if (r.Type !== 'AWS::Lambda::Function') continue;
    const k = (r.Properties?.Code as { S3Key?: { 'Fn::Join'?: [string, string[]] } }).S3Key?.['Fn::Join']?.[1].join('');
    if (!k || !k.startsWith(keyPrefix) || !zips.includes(k.slice(keyPrefix.length))) throw new Error(`Lambda code key ${k} is not a packaged asset`);
    codeKeys.add(k.slice(keyPrefix.length));
  }
  const objects = [...codeKeys].sort().map((f) => {
    const bytes = fs.readFileSync(path.join(DIST, 'assets', f));
    fs.writeFileSync(path.join(dir, 'assets', f), bytes);
    return { file: `assets/${f}`, key: `${keyPrefix}${f}`, sha256: crypto.createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length };
  });
  const templateKey = `${keyPrefix}memq.template.json`;
  const bucketOf = (r: string) => `${c.bucketPrefix}-${r}`;
  const templateUrl = `https://${bucketOf(c.templateRegion)}.s3.${c.templateRegion}.amazonaws.com/${templateKey}`;
  const tplSha = crypto.createHash('sha256').update(text).digest('hex');
  const layout = c.regions.map((r) => ({
    region: r,
    bucket: bucketOf(r),
    objects: [...objects, ...(r === c.templateRegion ? [{ file: 'memq.template.json', key: templateKey, sha256: tplSha, bytes: Buffer.byteLength(text) }] : [])],
  }));
  fs.writeFileSync(path.join(dir, 'layout.json'), JSON.stringify({ version: c.version, keyPrefix, templateUrl, regions: layout }, null, 1));
  for (const r of c.regions) {
    fs.writeFileSync(
      path.join(dir, 'bucket-policies', `${r}.json`),
      JSON.stringify(
        {
          Version: '2012-10-17',
          Statement: [
            // buyers' deploying principals (any AWS account) read the release objects: Lambda reads code as the caller
            { Sid: 'BuyersReadRelease', Effect: 'Allow', Principal: { AWS: '*' }, Action: 's3:GetObject', Resource: `arn:aws:s3:::${bucketOf(r)}/memq/*` },
            { Sid: 'TlsOnly', Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: [`arn:aws:s3:::${bucketOf(r)}`, `arn:aws:s3:::${bucketOf(r)}/*`], Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
          ],
        },
        null,
        1,
      ),
    );
  }
  const pol = deployPolicy({ template: tpl, assetObjectArns: [`arn:aws:s3:::${c.bucketPrefix}-*/${keyPrefix}*`] });
  if (pol.text.length > 8192) throw new Error(`deploy IAM policy is ${pol.text.length} characters; the listing allows 8,192`);
  fs.writeFileSync(path.join(dir, 'deploy-policy.json'), JSON.stringify(pol.policy, null, 1));
  const quickLaunch = {
    templateName: c.templateName,
    templateUrl,
    defaultStackName: c.defaultStackName,
    iamPolicy: pol.text,
    description: `memq ${c.version}: memory-forensics pipeline (S3, Step Functions, Lambda, Athena) and web UI deployed into your AWS account; your dumps and results never leave it. Needs the e-mail of the first administrator.`,
  };
  if (templateUrl.length > 2048 || !/^https?:\/\/.*/.test(templateUrl) || quickLaunch.description.length > 8192) throw new Error('Quick Launch fields exceed the listing limits');
  fs.writeFileSync(path.join(dir, 'quick-launch.json'), JSON.stringify(quickLaunch, null, 1));
  const sh = [
    '#!/bin/sh',
    `# memq ${c.version}: upload the release to every region's asset bucket (run from this directory)`,
    'set -eu',
    'sha256sum -c SHA256SUMS',
    ...layout.flatMap((l) => [
      `aws s3api put-bucket-policy --region ${l.region} --bucket ${l.bucket} --policy file://bucket-policies/${l.region}.json`,
      ...l.objects.map((o) => `aws s3 cp --region ${l.region} --only-show-errors --checksum-algorithm SHA256 ${o.file} s3://${l.bucket}/${o.key}`),
    ]),
    '',
  ].join('\n');
  fs.writeFileSync(path.join(dir, 'upload.sh'), sh, { mode: 0o755 });
  const files = ['memq.template.json', 'quick-launch.json', 'deploy-policy.json', 'layout.json', 'upload.sh', ...objects.map((o) => o.file), ...c.regions.map((r) => `bucket-policies/${r}.json`)].sort();
  fs.writeFileSync(path.join(dir, 'SHA256SUMS'), files.map((f) => `${crypto.createHash('sha256').update(fs.readFileSync(path.join(dir, f))).digest('hex')}  ${f}`).join('\n') + '\n');
  return { dir, files: [...files, 'SHA256SUMS'], quickLaunch };
}

if (require.main === module) {
  Promise.resolve()
    .then(() => release(loadConfig(process.argv[2])))
    .then(
      (r) => {
        for (const f of r.files) console.log(`${String(fs.statSync(path.join(r.dir, f)).size).padStart(10)}  ${path.relative(process.cwd(), path.join(r.dir, f))}`);
        console.log(`\nQuick Launch template URL: ${r.quickLaunch.templateUrl}\nnext: sh ${path.relative(process.cwd(), path.join(r.dir, 'upload.sh'))} (from that directory), then paste quick-launch.json into the listing`);
      },
      (e) => {
        console.error(`release refused: ${(e as Error).message}`);
        process.exit(1);
      },
    );
}
