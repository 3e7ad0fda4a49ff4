// `npm run synth`: synthesizes the CDK app offline (local esbuild bundling, no Docker, no AWS calls)
// into cdk.out/ and prints a resource summary per stack. cdk-nag AwsSolutions runs as a CDK policy
// validation plugin: any unacknowledged finding makes synthesis fail with the report.
import { buildApp } from '../lib/infra/app';
import { acknowledgements } from '../lib/infra/nag';

const t0 = performance.now();
const { app, customer, seller } = buildApp({ outdir: process.env.CDK_OUTDIR ?? 'cdk.out' });
const asm = app.synth();
for (const stack of [customer, seller]) {
  const art = asm.getStackByName(stack.stackName);
  const resources = (art.template as { Resources: Record<string, { Type: string }> }).Resources;
  const byType = new Map<string, number>();
  for (const r of Object.values(resources)) byType.set(r.Type, (byType.get(r.Type) ?? 0) + 1);
  console.log(`\n${stack.stackName}: ${Object.keys(resources).length} resources (${art.templateFile})`);
  for (const [t, n] of [...byType].sort((a, b) => a[0].localeCompare(b[0]))) console.log(`  ${String(n).padStart(3)}  ${t}`);
  const acks = acknowledgements.filter((a) => a.path.startsWith(`${stack.stackName}/`));
  console.log(`  cdk-nag AwsSolutions: no unacknowledged findings; ${acks.length} acknowledgements, each with a reason (lib/infra/nag.ts)`);
}
console.log(`\nsynthesized in ${Math.round(performance.now() - t0)} ms`);
