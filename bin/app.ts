// CDK app entry (cdk.json: `npx tsx bin/app.ts`): the memq customer stack and the seller stack.
import { buildApp } from '../lib/infra/app';

buildApp().app.synth();
