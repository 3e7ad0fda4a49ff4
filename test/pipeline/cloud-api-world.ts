// The cloud API as the Lambda runs it, over local stand-ins, for the cloud API tests: s3rver with the
// dumps/lake/results buckets, dynalite with the metadata (and optionally usage) table, the cloud data
// plane (Athena through the SDK, mocked by the caller with aws-sdk-client-mock), and the API Lambda
// authenticating `Bearer test` as `who()`.
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { GlueClient } from '@aws-sdk/client-glue';
import { AthenaClient } from '@aws-sdk/client-athena';
import { DynamoRepository, createTableInput } from '../../lib/platform/dynamo-repository';
import { usageCreateTableInput } from '../../lib/pipeline/usage-table';
import { Platform } from '../../lib/platform/service';
import type { User } from '../../lib/platform/model';
import { AthenaSdkPort } from '../../lib/engine/athena';
import { cloudDataPlane } from '../../lib/dataplane/planes';
import { createApi } from '../../lib/api';
import * as apiLambda from '../../lambdas/api';
import { startDynamo, startS3 } from './local-aws';

export async function startCloudApi(o: { who: () => User | null; usageTable?: string; maxSinglePutBytes?: number }) {
  const s3 = await startS3(['dumps', 'lake', 'results']);
  const ddb = await startDynamo();
  await ddb.client.send(new CreateTableCommand(createTableInput('meta')));
  if (o.usageTable) await ddb.client.send(new CreateTableCommand(usageCreateTableInput(o.usageTable)));
  const repo = new DynamoRepository(ddb.client, 'meta');
  const platform = new Platform(repo);
  const data = cloudDataPlane({
    dynamo: ddb.client,
    metadataTable: 'meta',
    s3: s3.client,
    glue: new GlueClient({ region: 'us-east-1' }),
    athena: new AthenaSdkPort({ client: new AthenaClient({ region: 'us-east-1' }), workGroup: 'wg', database: 'memq_db' }),
    dumpsBucket: 'dumps',
    lakeBucket: 'lake',
    resultsBucket: 'results',
    database: 'memq_db',
    maxSinglePutBytes: o.maxSinglePutBytes,
  });
  apiLambda.setApi(createApi({ platform, data, auth: { authenticate: async (h) => (h.authorization === 'Bearer test' ? o.who() : null) } }));
  return {
    s3,
    ddb,
    repo,
    platform,
    async stop() {
      apiLambda.setApi(undefined);
      s3.stop();
      await ddb.stop();
    },
  };
}
