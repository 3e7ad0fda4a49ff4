// Pipeline Lambda handlers (one bundle, one export per Step Functions state + the ingest trigger):
// thin adapters that build the AWS adapters once per container and call lib/pipeline/steps.ts.
import * as os from 'node:os';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GlueClient } from '@aws-sdk/client-glue';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoRepository } from '../lib/platform/dynamo-repository';
import { GluePartitionRegistrar, S3DumpReader, S3ObjectStore } from '../lib/pipeline/aws';
import { DynamoUsageSink } from '../lib/pipeline/usage-table';
import * as steps from '../lib/pipeline/steps';
import type { PipelineDeps } from '../lib/pipeline/ports';
import { log } from '../lib/util/log';
import { openS3Dump } from '../lib/pipeline/s3-dump';
import { parseDumpKey } from '../lib/pipeline/keys';
import { entitlementGate } from '../lib/marketplace/enforce';
// Engines register on import; a bundle cannot see lib/os/open.ts's computed require() of them.
import '../lib/os/linux';
import '../lib/os/windows';

let deps: PipelineDeps | undefined;
let sfnClient: SFNClient | undefined;
/** tests inject adapters over local stand-ins (s3rver, dynalite) */
export function setDeps(d: PipelineDeps | undefined, sfn?: SFNClient): void {
  deps = d;
  sfnClient = sfn;
}
function getDeps(): PipelineDeps {
  if (deps) return deps;
  const s3 = new S3Client({});
  const ddb = new DynamoDBClient({});
  deps = {
    lake: new S3ObjectStore(s3, process.env.LAKE_BUCKET!, process.env.KMS_KEY_ID),
    dumps: new S3DumpReader(s3, openS3Dump),
    repo: new DynamoRepository(ddb, process.env.METADATA_TABLE!),
    partitions: new GluePartitionRegistrar(new GlueClient({}), process.env.GLUE_DATABASE!, process.env.LAKE_BUCKET!),
    usage: new DynamoUsageSink(ddb, process.env.USAGE_TABLE!),
    tmpDir: os.tmpdir(),
    log: (msg, fields) => log('info', msg, fields),
  };
  return deps;
}

/** EventBridge "Object Created" (S3) → snapshot + execution. */
const gate = entitlementGate();
export async function ingest(e: { detail: { bucket: { name: string }; object: { key: string; etag?: string; 'version-id'?: string } } }) {
  const o = e.detail.object;
  const key = decodeURIComponent(o.key.replace(/\+/g, ' '));
  // AWS Marketplace: once the read-only grace period after a subscription ended is over, ingest stops
  const refused = await gate.ingest();
  if (refused) {
    log('warn', 'ingest refused: subscription', { key, reason: refused });
    return { snapshot: parseDumpKey(key).snapshot, started: false, reason: refused };
  }
  const sfn = (sfnClient ??= new SFNClient({}));
  const r = await steps.ingest(getDeps(), { bucket: e.detail.bucket.name, key, versionOrEtag: o['version-id'] ?? o.etag ?? '' }, async (name, job) => {
    try {
      await sfn.send(new StartExecutionCommand({ stateMachineArn: process.env.STATE_MACHINE_ARN!, name, input: JSON.stringify({ job }) }));
      return true;
    } catch (err) {
      // an execution of this name exists already (names are per object version): nothing to start
      if ((err as Error).name === 'ExecutionAlreadyExists') return false;
      throw err;
    }
  });
  log('info', 'ingest', { key, ...r });
  return r;
}

export const probe = (input: { job: steps.SnapshotJob }) => steps.probe(getDeps(), input.job);
export const plan = (input: Parameters<typeof steps.plan>[1]) => steps.plan(getDeps(), input);
export const shard = (input: Parameters<typeof steps.runShard>[1]) => steps.runShard(getDeps(), input);
export const finalize = (input: { job: steps.SnapshotJob }) => steps.finalize(getDeps(), input);
export const fail = (input: Parameters<typeof steps.fail>[1]) => steps.fail(getDeps(), input);
