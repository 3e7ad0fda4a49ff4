// Customer-side hourly Lambda: forwards pending usage records to the seller (lib/marketplace/usage-reporter.ts).
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { reportUsage } from '../lib/marketplace/usage-reporter';
import { log } from '../lib/util/log';

export async function handler(): Promise<unknown> {
  const r = await reportUsage({
    ddb: new DynamoDBClient({}),
    table: process.env.USAGE_TABLE!,
    url: process.env.SELLER_USAGE_URL!,
    region: new URL(process.env.SELLER_USAGE_URL!).hostname.split('.')[2] ?? process.env.AWS_REGION!,
    credentials: defaultProvider(),
  });
  log('info', 'usage reported', { ...r });
  return r;
}
