// Offline Lambda bundling with the local esbuild (no Docker): each lambdas/<entry>.ts becomes one
// minified CommonJS file; native packages esbuild cannot inline (@duckdb, used by the Parquet writer)
// are copied next to it as node_modules. Bundles go to cdk.out/memq-bundles/<name>/ and are reused
// while their inputs are unchanged. lambdaCode() turns a bundle into Lambda code: a CDK asset for
// `cdk deploy`, or an S3 object named by content hash when packaging for AWS Marketplace (the template
// must deploy without CDK bootstrap, so assets come from the seller's asset bucket parameters).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import { buildSync } from 'esbuild';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { CfnParameter, Fn, Stack } from 'aws-cdk-lib';
import type { Construct } from 'constructs';

export const ROOT = path.resolve(__dirname, '../..');

/** Every Lambda bundle of the product: name → entry file. */
export const LAMBDA_ENTRIES = {
  pipeline: 'lambdas/pipeline.ts',
  api: 'lambdas/api.ts',
  usage: 'lambdas/usage-reporter.ts',
  seller: 'lambdas/seller.ts',
  webDeploy: 'lambdas/web-deploy.ts',
} as const;
export type BundleName = keyof typeof LAMBDA_ENTRIES;

/** Packages kept out of the bundle and copied whole (native code or runtime-resolved files). */
const EXTERNAL_PACKAGES = ['@duckdb/node-api', '@duckdb/node-bindings', '@duckdb/node-bindings-linux-x64', 'detect-libc'];

/**
 * Files the bundled code reads at run time from `__dirname` (which is the bundle root once inlined):
 * when a bundle's inputs include `whenInput`, `from` (repository-relative) is copied to `to` in the
 * bundle. iced-x86 reads its WebAssembly next to its JS; the playbook loader looks for `playbooks/`
 * beside itself before the repository folder (lib/hunt/loader.ts).
 */
export const RUNTIME_FILES: { whenInput: string; from: string; to: string }[] = [
  { whenInput: 'node_modules/iced-x86/', from: 'node_modules/iced-x86/iced_x86_bg.wasm', to: 'iced_x86_bg.wasm' },
  { whenInput: 'node_modules/@virustotal/yara-x/', from: 'node_modules/@virustotal/yara-x/pkg/yara_x_js_bg.wasm', to: 'yara_x_js_bg.wasm' },
  { whenInput: 'lib/hunt/loader.ts', from: 'playbooks', to: 'playbooks' },
];

export interface Bundle {
  name: BundleName;
  dir: string;
  /** content hash of the bundle (index.js + copied packages' names, sizes, versions) */
  hash: string;
}

const memo = new Map<BundleName, Bundle>();

export function bundleDir(): string {
  return process.env.MEMQ_BUNDLE_DIR ?? path.join(ROOT, 'cdk.out', 'memq-bundles');
}

export function bundleLambda(name: BundleName): Bundle {
  const hit = memo.get(name);
  if (hit) return hit;
  const dir = path.join(bundleDir(), name);
  fs.mkdirSync(dir, { recursive: true });
  const res = buildSync({
    entryPoints: [path.join(ROOT, LAMBDA_ENTRIES[name])],
    outfile: path.join(dir, 'index.js'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    sourcemap: false,
    legalComments: 'none',
    metafile: true,
    logLevel: 'silent',
    // the SDK is bundled (pinned versions, not whatever the runtime ships); only native code stays out
    external: ['@duckdb/*'],
  });
  const inputs = Object.keys(res.metafile.inputs);
  const externals = Object.values(res.metafile.outputs).flatMap((o) => o.imports.filter((i) => i.external).map((i) => i.path));
  const usesDuckdb = externals.some((p) => p.startsWith('@duckdb/'));
  // lib/image/s3-source.ts runs the S3 client in a worker that require()s it by resolved path: ship
  // it as one pre-bundled file in the bundle's node_modules so require.resolve finds it in /var/task.
  const usesS3Worker = inputs.some((f) => f.includes('lib/image/s3-source'));
  const h = crypto.createHash('sha256').update(fs.readFileSync(path.join(dir, 'index.js')));
  for (const r of RUNTIME_FILES) {
    const to = path.join(dir, r.to);
    fs.rmSync(to, { recursive: true, force: true });
    if (!inputs.some((f) => f.includes(r.whenInput))) continue;
    const from = path.join(ROOT, r.from);
    fs.cpSync(from, to, { recursive: true, dereference: true });
    for (const f of listFiles(to)) h.update(`${path.relative(dir, f)}\0`).update(fs.readFileSync(f));
  }
  const nm = path.join(dir, 'node_modules');
  if (usesDuckdb) {
    for (const p of EXTERNAL_PACKAGES) {
      const from = path.join(ROOT, 'node_modules', p);
      const to = path.join(nm, p);
      const version = JSON.parse(fs.readFileSync(path.join(from, 'package.json'), 'utf8')).version as string;
      h.update(`${p}@${version}\0`);
      const stamp = path.join(to, '.memq-copied');
      if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === version) continue;
      fs.rmSync(to, { recursive: true, force: true });
      fs.cpSync(from, to, { recursive: true, dereference: true });
      fs.writeFileSync(stamp, version);
    }
  }
  if (usesS3Worker) {
    const out = path.join(nm, '@aws-sdk', 'client-s3');
    fs.mkdirSync(out, { recursive: true });
    buildSync({
      entryPoints: [require.resolve('@aws-sdk/client-s3', { paths: [ROOT] })],
      outfile: path.join(out, 'index.js'),
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      minify: true,
      legalComments: 'none',
      logLevel: 'silent',
    });
    fs.writeFileSync(path.join(out, 'package.json'), JSON.stringify({ name: '@aws-sdk/client-s3', main: 'index.js' }));
    h.update(fs.readFileSync(path.join(out, 'index.js')));
  }
  if (!usesDuckdb && !usesS3Worker) fs.rmSync(nm, { recursive: true, force: true });
  const b: Bundle = { name, dir, hash: h.digest('hex').slice(0, 32) };
  memo.set(name, b);
  return b;
}

function listFiles(p: string): string[] {
  if (!fs.statSync(p).isDirectory()) return [p];
  return fs
    .readdirSync(p, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => listFiles(path.join(p, e.name)));
}

/** Context key: set to 'parameters' to synthesize the bootstrap-free Marketplace template. */
export const ASSET_MODE_CONTEXT = 'memq:assets';

export function assetKey(b: Bundle): string {
  return `${b.name}-${b.hash}.zip`;
}

export function lambdaCode(scope: Construct, name: BundleName): lambda.Code {
  const b = bundleLambda(name);
  const stack = Stack.of(scope);
  if (stack.node.tryGetContext(ASSET_MODE_CONTEXT) !== 'parameters') return lambda.Code.fromAsset(b.dir);
  const bucketParam =
    (stack.node.tryFindChild('AssetBucketName') as CfnParameter | undefined) ??
    new CfnParameter(stack, 'AssetBucketName', {
      type: 'String',
      description: 'S3 bucket (in this region) holding the memq Lambda zips published by the seller',
      allowedPattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$',
    });
  const prefixParam =
    (stack.node.tryFindChild('AssetKeyPrefix') as CfnParameter | undefined) ??
    new CfnParameter(stack, 'AssetKeyPrefix', {
      type: 'String',
      default: '',
      description: 'key prefix of the Lambda zips in AssetBucketName (e.g. memq/0.1.0/)',
      allowedPattern: '^[A-Za-z0-9._/-]*$',
    });
  const bucket =
    (stack.node.tryFindChild('AssetBucket') as s3.IBucket | undefined) ?? s3.Bucket.fromBucketName(stack, 'AssetBucket', bucketParam.valueAsString);
  return lambda.Code.fromBucket(bucket, Fn.join('', [prefixParam.valueAsString, assetKey(b)]));
}
