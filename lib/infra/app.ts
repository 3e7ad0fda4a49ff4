// Builds the CDK app: the customer stack (deployed by buyers) and the seller stack (deployed once by
// the seller), with cdk-nag AwsSolutions checks on both. bin/app.ts synthesizes it for the CDK CLI;
// scripts/synth.ts and the tests call buildApp() directly.
import { App, Validations, type AppProps, type IStackSynthesizer } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { MemqStack } from './customer-stack';
import { MemqSellerStack } from './seller-stack';
import { suppressCustomer, suppressSeller } from './nag';

export interface BuiltApp {
  app: App;
  customer: MemqStack;
  seller: MemqSellerStack;
}

export function buildApp(props: AppProps & { synthesizer?: () => IStackSynthesizer } = {}): BuiltApp {
  const { synthesizer, ...appProps } = props;
  const app = new App({
    ...appProps,
    context: {
      // access logs are delivered under a bucket policy (the bucket keeps BucketOwnerEnforced, no ACLs)
      '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true,
      // Distributed Map ResultWriterV2 (child outputs written to S3, see lib/infra/pipeline.ts)
      '@aws-cdk/aws-stepfunctions:useDistributedMapResultWriterV2': true,
      ...appProps.context,
    },
  });
  const customer = new MemqStack(app, 'Memq', { synthesizer: synthesizer?.() });
  const seller = new MemqSellerStack(app, 'MemqSeller', { synthesizer: synthesizer?.() });
  suppressCustomer(customer);
  suppressSeller(seller);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, customer, seller };
}
