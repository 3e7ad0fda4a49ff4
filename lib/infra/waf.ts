// AWS WAF web ACL for a REST API stage: AWS managed rule groups (common, known bad inputs, IP
// reputation) plus a per-IP rate limit.
import { Stack } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';

export interface ApiWafProps {
  api: apigw.RestApi;
  metricPrefix: string;
  /** rules of the common rule set that only count (e.g. body size: IOC lists can be large) */
  countOnly?: string[];
  /** requests per 5 minutes per IP */
  rateLimit?: number;
}

export class ApiWaf extends Construct {
  readonly acl: wafv2.CfnWebACL;
  constructor(scope: Construct, id: string, props: ApiWafProps) {
    super(scope, id);
    const vis = (m: string) => ({ cloudWatchMetricsEnabled: true, metricName: `${props.metricPrefix}-${m}`, sampledRequestsEnabled: true });
    const managed = (name: string, priority: number, countOnly: string[] = []): wafv2.CfnWebACL.RuleProperty => ({
      name,
      priority,
      overrideAction: { none: {} },
      statement: {
        managedRuleGroupStatement: {
          vendorName: 'AWS',
          name,
          ruleActionOverrides: countOnly.length ? countOnly.map((n) => ({ name: n, actionToUse: { count: {} } })) : undefined,
        },
      },
      visibilityConfig: vis(name),
    });
    this.acl = new wafv2.CfnWebACL(this, 'Acl', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: vis('acl'),
      rules: [
        managed('AWSManagedRulesCommonRuleSet', 1, props.countOnly),
        managed('AWSManagedRulesKnownBadInputsRuleSet', 2),
        managed('AWSManagedRulesAmazonIpReputationList', 3),
        {
          name: 'rate-limit',
          priority: 4,
          action: { block: {} },
          statement: { rateBasedStatement: { limit: props.rateLimit ?? 2000, aggregateKeyType: 'IP' } },
          visibilityConfig: vis('rate'),
        },
      ],
    });
    new wafv2.CfnWebACLAssociation(this, 'Association', {
      resourceArn: Stack.of(this).formatArn({
        service: 'apigateway',
        account: '',
        resource: '/restapis',
        resourceName: `${props.api.restApiId}/stages/${props.api.deploymentStage.stageName}`,
      }),
      webAclArn: this.acl.attrArn,
    });
  }
}
