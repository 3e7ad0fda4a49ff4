// `npm run marketplace:package` → marketplace/dist/: the customer stack as ONE CloudFormation template
// that deploys without CDK bootstrap (Lambda code comes from the seller's asset bucket through the
// AssetBucketName/AssetKeyPrefix parameters; no CDK asset parameters, no custom resources), the
// Lambda zips named by content hash, the seller stack template, a generated IAM summary of every role,
// the architecture diagram (Graphviz DOT → SVG) and SHA256SUMS over everything.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import { zipSync, type Zippable } from 'fflate';
import { BootstraplessSynthesizer } from 'aws-cdk-lib';
import { buildApp } from '../../lib/infra/app';
import { ASSET_MODE_CONTEXT, assetKey, bundleLambda, type BundleName } from '../../lib/infra/bundle';
import { renderIamSummary } from './iam-summary';
import { renderDiagram } from './diagram';

/** marketplace/dist, or MEMQ_MARKETPLACE_DIST (tests running in parallel use their own) */
export const distDir = () => process.env.MEMQ_MARKETPLACE_DIST ?? path.join(__dirname, '..', 'dist');

function zipDir(dir: string): Uint8Array {
  const files: Zippable = {};
  const walk = (d: string, rel: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const abs = path.join(d, e.name);
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(abs, r);
      else if (e.name !== '.memq-copied') files[r] = [fs.readFileSync(abs), { level: /\.(node|so)$/.test(e.name) ? 6 : 9, mtime: new Date('2026-01-01T00:00:00Z') }];
    }
  };
  walk(dir, '');
  return zipSync(files);
}

export async function packageMarketplace(): Promise<{ files: string[] }> {
  const DIST = distDir();
  fs.rmSync(DIST, { recursive: true, force: true });
  fs.mkdirSync(path.join(DIST, 'assets'), { recursive: true });
  const outdir = path.join(DIST, '.cdk.out');
  const { app, customer, seller } = buildApp({ outdir, context: { [ASSET_MODE_CONTEXT]: 'parameters' }, synthesizer: () => new BootstraplessSynthesizer() });
  const asm = app.synth();
  const tpl = asm.getStackByName(customer.stackName).template as { Parameters?: Record<string, unknown>; Resources: Record<string, { Type: string }> };
  // the template must stand alone: no CDK asset/bootstrap parameters, no custom resources
  const params = Object.keys(tpl.Parameters ?? {});
  const bad = params.filter((p) => /^(AssetParameters|BootstrapVersion)/.test(p));
  // custom resources are fine when served by a Lambda of this template (its code from the asset bucket);
  // CDK provider frameworks or bootstrap-hosted handlers are not
  const custom = Object.values(tpl.Resources as Record<string, { Type: string; Properties?: { ServiceToken?: { 'Fn::GetAtt'?: [string, string] } } }>).filter((r) => {
    if (!(r.Type.startsWith('Custom::') || r.Type === 'AWS::CloudFormation::CustomResource')) return false;
    const target = r.Properties?.ServiceToken?.['Fn::GetAtt']?.[0];
    return !(target && tpl.Resources[target]?.Type === 'AWS::Lambda::Function');
  });
  if (bad.length || custom.length || JSON.stringify(tpl).includes('cdk-hnb659fds')) throw new Error(`template needs CDK bootstrap: ${[...bad, ...custom.map((c) => c.Type)].join(', ')}`);
  fs.writeFileSync(path.join(DIST, 'memq.template.json'), JSON.stringify(tpl, null, 1));
  fs.writeFileSync(path.join(DIST, 'memq-seller.template.json'), JSON.stringify(asm.getStackByName(seller.stackName).template, null, 1));
  for (const name of ['pipeline', 'api', 'usage', 'seller', 'webDeploy'] as BundleName[]) {
    const b = bundleLambda(name);
    fs.writeFileSync(path.join(DIST, 'assets', assetKey(b)), zipDir(b.dir));
  }
  fs.writeFileSync(path.join(DIST, 'iam-summary.md'), renderIamSummary(tpl as never));
  fs.writeFileSync(path.join(DIST, 'architecture.svg'), await renderDiagram());
  fs.rmSync(outdir, { recursive: true, force: true });
  const files: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.isDirectory()) walk(path.join(d, e.name));
      else files.push(path.relative(DIST, path.join(d, e.name)));
    }
  };
  walk(DIST);
  const sums = files.map((f) => `${crypto.createHash('sha256').update(fs.readFileSync(path.join(DIST, f))).digest('hex')}  ${f}`);
  fs.writeFileSync(path.join(DIST, 'SHA256SUMS'), sums.join('\n') + '\n');
  return { files: [...files, 'SHA256SUMS'] };
}

if (require.main === module) {
  packageMarketplace().then(
    ({ files }) => {
      for (const f of files) console.log(`${String(fs.statSync(path.join(distDir(), f)).size).padStart(10)}  ${path.relative(process.cwd(), path.join(distDir(), f))}`);
      console.log('\nupload assets/*.zip to s3://<AssetBucketName>/<AssetKeyPrefix> in each region, then launch memq.template.json');
    },
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
