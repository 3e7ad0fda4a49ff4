// Runs the cloud rehearsal (test/rehearsal/rehearse.ts) once — the synthesized template, the built
// Lambda assets and the real dumps — and reports its steps as tests. Needs ../shared/images.
import { imagesAvailable, describeWithImages } from '../support/dumps';
import { rehearse, DEFAULT_DUMPS, type RehearsalSummary } from './rehearse';

process.env.MEMQ_LOG = 'off';
const run = describeWithImages;

run('cloud rehearsal: the shipped artifacts, as shipped', () => {
  let summary: RehearsalSummary;
  const lines: string[] = [];
  beforeAll(async () => {
    // cfn-lint is pip-only (not installable by .ci/run): `npm run rehearse` runs it where present
    summary = await rehearse({ print: (l) => lines.push(l), cfnLint: false });
    // the step lines are the rehearsal's report: show them in the test output
    process.stdout.write(`${lines.join('\n')}\n`);
  }, 1_200_000);

  const stepOk = (prefix: string) => {
    const s = summary.steps.filter((x) => x.name.startsWith(prefix));
    expect(s.length).toBeGreaterThan(0);
    for (const x of s) expect({ step: x.name, ok: x.ok, detail: x.ok ? '' : x.detail }).toEqual({ step: x.name, ok: true, detail: '' });
  };

  test('synthesis with the CDK CLI and a valid rendered state machine', () => {
    stepOk('npx cdk synth');
    stepOk('state machine definition rendered');
  });
  test.each(DEFAULT_DUMPS.map((d) => d.label))('%s: through the deployed pipeline, lake equal to memq analyze', (label) => {
    stepOk(`${label}: upload`);
    stepOk(`${label}: lake equals memq analyze`);
  });
  test('web UI: the custom resource deploys the built UI with the stack\'s configuration', () => {
    stepOk('web UI:');
  });
  test('API bundle: query, playbooks, hunt and IOC jobs answer as the local engine', () => {
    stepOk('API: first sign-in');
    stepOk('API query job');
    stepOk('API GET /playbooks');
    stepOk('API hunt job');
    stepOk('API IOC job');
  });
  test('faults: shard retry, throttled start and duplicate event, truncated dump', () => {
    stepOk('fault: a shard fails once');
    stepOk('fault: StartExecution throttled');
    stepOk('fault: a truncated dump');
    // throttles were injected and absorbed by retries
    expect(summary.lambdaErrors['Lambda.TooManyRequestsException']).toBeGreaterThanOrEqual(1);
  });
  test('no step failed', () => {
    expect(summary.steps.filter((s) => !s.ok).map((s) => `${s.name}: ${s.detail}`)).toEqual([]);
  });
});
