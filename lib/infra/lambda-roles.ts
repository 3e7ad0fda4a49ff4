// Lambda execution roles without the AWS managed AWSLambdaBasicExecutionRole policy, whose
// logs:CreateLogGroup/CreateLogStream/PutLogEvents apply to every log group of the account
// (Resource "*"). Every function of the customer stack logs to its own, explicitly created log group,
// so its role gets exactly logs:CreateLogStream + logs:PutLogEvents on that group's ARN instead.
// Called once, at the end of the stack's constructor, after every function exists.
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

const BASIC = 'service-role/AWSLambdaBasicExecutionRole';

export function hardenLambdaRoles(scope: Construct): lambda.Function[] {
  const done: lambda.Function[] = [];
  for (const c of scope.node.findAll()) {
    if (!(c instanceof lambda.Function)) continue;
    const role = c.role;
    if (!(role instanceof iam.Role) || role.node.scope !== c) continue; // only roles the function created for itself
    // the explicit log group (reading c.logGroup would create a LogRetention custom resource instead)
    const group = (c as unknown as { _logGroup?: logs.ILogGroup })._logGroup;
    if (!group) throw new Error(`${c.node.path}: give the function its own log group (logGroup prop) so its role can be scoped to it`);
    const managed = (role as unknown as { managedPolicies: iam.IManagedPolicy[] }).managedPolicies;
    if (!Array.isArray(managed)) throw new Error(`${c.node.path}: cannot read the role's managed policies (aws-cdk-lib changed?)`);
    const keep = managed.filter((p) => !p.managedPolicyArn.includes(BASIC));
    if (keep.length === managed.length) continue;
    managed.splice(0, managed.length, ...keep);
    c.addToRolePolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [group.logGroupArn] }));
    done.push(c);
  }
  return done;
}
