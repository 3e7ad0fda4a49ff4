// The IAM policy a buyer's deploying role needs for the Quick Launch template (listing field
// `iamPolicy`, ≤ 8,192 characters), generated from the resource types the template really creates:
// each type maps to the create/update/delete/read/tag actions CloudFormation calls for it. A type
// missing from the map fails the release, so the policy can never lag behind the template.
type Cfn = { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };

const crud = (svc: string, noun: string, extra: string[] = []) => [`${svc}:Create${noun}`, `${svc}:Delete${noun}`, `${svc}:Update${noun}`, `${svc}:Get${noun}`, `${svc}:Describe${noun}`, ...extra].filter(Boolean);

/** resource type → actions CloudFormation needs to create, update and delete it */
export const ACTIONS_BY_TYPE: Record<string, string[]> = {
  'AWS::IAM::Role': ['iam:CreateRole', 'iam:DeleteRole', 'iam:GetRole', 'iam:UpdateRole', 'iam:UpdateAssumeRolePolicy', 'iam:TagRole', 'iam:UntagRole', 'iam:PutRolePolicy', 'iam:GetRolePolicy', 'iam:DeleteRolePolicy', 'iam:AttachRolePolicy', 'iam:DetachRolePolicy', 'iam:ListRolePolicies', 'iam:ListAttachedRolePolicies'],
  'AWS::IAM::Policy': ['iam:PutRolePolicy', 'iam:GetRolePolicy', 'iam:DeleteRolePolicy'],
  'AWS::Lambda::Function': ['lambda:CreateFunction', 'lambda:DeleteFunction', 'lambda:GetFunction', 'lambda:GetFunctionConfiguration', 'lambda:UpdateFunctionCode', 'lambda:UpdateFunctionConfiguration', 'lambda:TagResource', 'lambda:UntagResource', 'lambda:ListTags', 'lambda:PutFunctionEventInvokeConfig', 'lambda:UpdateFunctionEventInvokeConfig', 'lambda:DeleteFunctionEventInvokeConfig', 'lambda:InvokeFunction'],
  'AWS::Lambda::Permission': ['lambda:AddPermission', 'lambda:RemovePermission', 'lambda:GetPolicy'],
  'AWS::Lambda::EventInvokeConfig': ['lambda:PutFunctionEventInvokeConfig', 'lambda:UpdateFunctionEventInvokeConfig', 'lambda:DeleteFunctionEventInvokeConfig', 'lambda:GetFunctionEventInvokeConfig'],
  'AWS::Logs::LogGroup': ['logs:CreateLogGroup', 'logs:DeleteLogGroup', 'logs:PutRetentionPolicy', 'logs:DeleteRetentionPolicy', 'logs:DescribeLogGroups', 'logs:TagResource', 'logs:UntagResource', 'logs:ListTagsForResource', 'logs:AssociateKmsKey'],
  'AWS::S3::Bucket': ['s3:CreateBucket', 's3:DeleteBucket', 's3:PutBucketTagging', 's3:PutEncryptionConfiguration', 's3:PutBucketPublicAccessBlock', 's3:PutBucketVersioning', 's3:PutLifecycleConfiguration', 's3:PutBucketLogging', 's3:PutBucketOwnershipControls', 's3:PutBucketNotification', 's3:PutBucketCORS', 's3:GetBucketLocation', 's3:ListBucket'],
  'AWS::S3::BucketPolicy': ['s3:PutBucketPolicy', 's3:GetBucketPolicy', 's3:DeleteBucketPolicy'],
  'AWS::KMS::Key': ['kms:CreateKey', 'kms:PutKeyPolicy', 'kms:EnableKeyRotation', 'kms:DescribeKey', 'kms:TagResource', 'kms:ScheduleKeyDeletion', 'kms:GetKeyPolicy', 'kms:GetKeyRotationStatus', 'kms:ListResourceTags'],
  'AWS::KMS::Alias': ['kms:CreateAlias', 'kms:DeleteAlias', 'kms:UpdateAlias'],
  'AWS::DynamoDB::Table': ['dynamodb:CreateTable', 'dynamodb:DeleteTable', 'dynamodb:DescribeTable', 'dynamodb:UpdateTable', 'dynamodb:UpdateContinuousBackups', 'dynamodb:DescribeContinuousBackups', 'dynamodb:TagResource', 'dynamodb:ListTagsOfResource', 'dynamodb:UpdateTimeToLive', 'dynamodb:DescribeTimeToLive'],
  'AWS::SQS::Queue': ['sqs:CreateQueue', 'sqs:DeleteQueue', 'sqs:GetQueueAttributes', 'sqs:SetQueueAttributes', 'sqs:TagQueue', 'sqs:ListQueueTags'],
  'AWS::SQS::QueuePolicy': ['sqs:SetQueueAttributes', 'sqs:GetQueueAttributes'],
  'AWS::SNS::Topic': ['sns:CreateTopic', 'sns:DeleteTopic', 'sns:GetTopicAttributes', 'sns:SetTopicAttributes', 'sns:TagResource', 'sns:ListTagsForResource'],
  'AWS::SNS::Subscription': ['sns:Subscribe', 'sns:Unsubscribe', 'sns:GetSubscriptionAttributes'],
  'AWS::SNS::TopicPolicy': ['sns:SetTopicAttributes', 'sns:GetTopicAttributes'],
  'AWS::Events::Rule': ['events:PutRule', 'events:DeleteRule', 'events:DescribeRule', 'events:PutTargets', 'events:RemoveTargets', 'events:TagResource'],
  'AWS::CloudWatch::Alarm': ['cloudwatch:PutMetricAlarm', 'cloudwatch:DeleteAlarms', 'cloudwatch:DescribeAlarms', 'cloudwatch:TagResource'],
  'AWS::StepFunctions::StateMachine': ['states:CreateStateMachine', 'states:DeleteStateMachine', 'states:UpdateStateMachine', 'states:DescribeStateMachine', 'states:TagResource', 'logs:CreateLogDelivery', 'logs:GetLogDelivery', 'logs:UpdateLogDelivery', 'logs:DeleteLogDelivery', 'logs:ListLogDeliveries', 'logs:PutResourcePolicy', 'logs:DescribeResourcePolicies'],
  'AWS::Glue::Database': ['glue:CreateDatabase', 'glue:DeleteDatabase', 'glue:GetDatabase', 'glue:UpdateDatabase'],
  'AWS::Glue::Table': ['glue:CreateTable', 'glue:DeleteTable', 'glue:GetTable', 'glue:UpdateTable'],
  'AWS::Athena::WorkGroup': ['athena:CreateWorkGroup', 'athena:DeleteWorkGroup', 'athena:GetWorkGroup', 'athena:UpdateWorkGroup', 'athena:TagResource'],
  'AWS::Athena::NamedQuery': ['athena:CreateNamedQuery', 'athena:DeleteNamedQuery', 'athena:GetNamedQuery'],
  'AWS::ApiGateway::RestApi': ['apigateway:POST', 'apigateway:GET', 'apigateway:PUT', 'apigateway:PATCH', 'apigateway:DELETE', 'apigateway:UpdateRestApiPolicy'],
  'AWS::ApiGateway::Resource': ['apigateway:POST', 'apigateway:GET', 'apigateway:DELETE'],
  'AWS::ApiGateway::Method': ['apigateway:PUT', 'apigateway:GET', 'apigateway:DELETE', 'apigateway:PATCH'],
  'AWS::ApiGateway::Deployment': ['apigateway:POST', 'apigateway:GET', 'apigateway:DELETE'],
  'AWS::ApiGateway::Stage': ['apigateway:POST', 'apigateway:GET', 'apigateway:PATCH', 'apigateway:DELETE'],
  'AWS::ApiGateway::Authorizer': ['apigateway:POST', 'apigateway:GET', 'apigateway:PATCH', 'apigateway:DELETE'],
  'AWS::ApiGateway::RequestValidator': ['apigateway:POST', 'apigateway:GET', 'apigateway:DELETE'],
  'AWS::ApiGateway::GatewayResponse': ['apigateway:PUT', 'apigateway:GET', 'apigateway:DELETE'],
  'AWS::ApiGateway::Account': ['apigateway:PATCH', 'apigateway:GET'],
  'AWS::WAFv2::WebACL': ['wafv2:CreateWebACL', 'wafv2:DeleteWebACL', 'wafv2:GetWebACL', 'wafv2:UpdateWebACL', 'wafv2:TagResource', 'wafv2:ListTagsForResource'],
  'AWS::WAFv2::WebACLAssociation': ['wafv2:AssociateWebACL', 'wafv2:DisassociateWebACL', 'wafv2:GetWebACLForResource', 'apigateway:SetWebACL'],
  'AWS::Cognito::UserPool': ['cognito-idp:CreateUserPool', 'cognito-idp:DeleteUserPool', 'cognito-idp:DescribeUserPool', 'cognito-idp:UpdateUserPool', 'cognito-idp:TagResource', 'cognito-idp:SetUserPoolMfaConfig', 'cognito-idp:GetUserPoolMfaConfig'],
  'AWS::Cognito::UserPoolClient': ['cognito-idp:CreateUserPoolClient', 'cognito-idp:DeleteUserPoolClient', 'cognito-idp:DescribeUserPoolClient', 'cognito-idp:UpdateUserPoolClient'],
  'AWS::Cognito::UserPoolDomain': ['cognito-idp:CreateUserPoolDomain', 'cognito-idp:DeleteUserPoolDomain', 'cognito-idp:DescribeUserPoolDomain', 'cognito-idp:UpdateUserPoolDomain'],
  'AWS::Cognito::UserPoolUser': ['cognito-idp:AdminCreateUser', 'cognito-idp:AdminDeleteUser', 'cognito-idp:AdminGetUser'],
  'AWS::Cognito::ManagedLoginBranding': ['cognito-idp:CreateManagedLoginBranding', 'cognito-idp:DeleteManagedLoginBranding', 'cognito-idp:DescribeManagedLoginBranding', 'cognito-idp:UpdateManagedLoginBranding'],
  'AWS::CloudFront::Distribution': ['cloudfront:CreateDistribution', 'cloudfront:DeleteDistribution', 'cloudfront:GetDistribution', 'cloudfront:GetDistributionConfig', 'cloudfront:UpdateDistribution', 'cloudfront:TagResource'],
  'AWS::CloudFront::OriginAccessControl': ['cloudfront:CreateOriginAccessControl', 'cloudfront:DeleteOriginAccessControl', 'cloudfront:GetOriginAccessControl', 'cloudfront:UpdateOriginAccessControl'],
  'AWS::CloudFront::ResponseHeadersPolicy': ['cloudfront:CreateResponseHeadersPolicy', 'cloudfront:DeleteResponseHeadersPolicy', 'cloudfront:GetResponseHeadersPolicy', 'cloudfront:UpdateResponseHeadersPolicy'],
  'AWS::CloudFront::CachePolicy': ['cloudfront:CreateCachePolicy', 'cloudfront:DeleteCachePolicy', 'cloudfront:GetCachePolicy', 'cloudfront:UpdateCachePolicy'],
  'AWS::CloudFront::OriginRequestPolicy': ['cloudfront:CreateOriginRequestPolicy', 'cloudfront:DeleteOriginRequestPolicy', 'cloudfront:GetOriginRequestPolicy', 'cloudfront:UpdateOriginRequestPolicy'],
  'AWS::Lambda::EventSourceMapping': crud('lambda', 'EventSourceMapping'),
};

/** Custom resources of the template are served by its own Lambdas: invoking them is all it takes. */
const isCustom = (t: string) => t.startsWith('Custom::') || t === 'AWS::CloudFormation::CustomResource';

export interface DeployPolicyInput {
  template: Cfn;
  /** asset objects the deploying principal must read (Lambda CreateFunction reads code as the caller) */
  assetObjectArns: string[];
}

export function deployPolicy({ template, assetObjectArns }: DeployPolicyInput): { policy: Record<string, unknown>; text: string; types: string[] } {
  const types = [...new Set(Object.values(template.Resources).map((r) => r.Type))].sort();
  const unknown = types.filter((t) => !isCustom(t) && !ACTIONS_BY_TYPE[t]);
  if (unknown.length) throw new Error(`no deploy permissions known for resource types ${unknown.join(', ')}: add them to marketplace/src/deploy-policy.ts`);
  const actions = [...new Set(types.filter((t) => !isCustom(t)).flatMap((t) => ACTIONS_BY_TYPE[t]!))].sort();
  const passedTo = new Set<string>();
  for (const r of Object.values(template.Resources)) {
    if (r.Type !== 'AWS::IAM::Role') continue;
    const doc = r.Properties?.AssumeRolePolicyDocument as { Statement?: { Principal?: { Service?: unknown } }[] } | undefined;
    for (const s of doc?.Statement ?? []) for (const svc of [s.Principal?.Service].flat()) if (typeof svc === 'string') passedTo.add(svc);
  }
  const policy = {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'Stack', Effect: 'Allow', Action: ['cloudformation:CreateStack', 'cloudformation:UpdateStack', 'cloudformation:DeleteStack', 'cloudformation:DescribeStacks', 'cloudformation:DescribeStackEvents', 'cloudformation:DescribeStackResources', 'cloudformation:GetTemplate', 'cloudformation:GetTemplateSummary', 'cloudformation:ValidateTemplate', 'cloudformation:CreateChangeSet', 'cloudformation:ExecuteChangeSet', 'cloudformation:DescribeChangeSet', 'cloudformation:DeleteChangeSet'], Resource: '*' },
      { Sid: 'Resources', Effect: 'Allow', Action: actions, Resource: '*' },
      { Sid: 'PassRoles', Effect: 'Allow', Action: 'iam:PassRole', Resource: '*', Condition: { StringEquals: { 'iam:PassedToService': [...passedTo].sort() } } },
      { Sid: 'LambdaCode', Effect: 'Allow', Action: 's3:GetObject', Resource: assetObjectArns },
    ],
  };
  return { policy, text: JSON.stringify(policy), types };
}
