// Reads a synthesized CloudFormation template as a deployment would see it: every resource gets a
// local physical id (bucket and table names, function and state machine ARNs), parameters take their
// defaults unless given, and intrinsic functions (Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select,
// Fn::If on conditions) are rendered to plain values. Only what the memq templates use is rendered;
// anything else stops the rehearsal with the offending function named, never a silent guess.
import * as fs from 'node:fs';
import * as path from 'node:path';

export const REGION = 'us-east-1';
export const ACCOUNT = '000000000000';
export const PARTITION = 'aws';

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
  Condition?: string;
}
export interface CfnTemplate {
  Parameters?: Record<string, { Type: string; Default?: unknown }>;
  Conditions?: Record<string, unknown>;
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, { Value: unknown }>;
}

/** Local physical ids: the name a deployed resource would answer Ref with. */
function physicalId(logicalId: string, r: CfnResource): string {
  const lower = logicalId.toLowerCase().replace(/[^a-z0-9-]/g, '');
  switch (r.Type) {
    case 'AWS::S3::Bucket':
      return String(r.Properties?.BucketName ?? `memq-${lower}`).slice(0, 63);
    case 'AWS::DynamoDB::Table':
      return String(r.Properties?.TableName ?? `Memq-${logicalId}`);
    case 'AWS::Lambda::Function':
      return String(r.Properties?.FunctionName ?? `Memq-${logicalId}`);
    case 'AWS::StepFunctions::StateMachine':
      return `arn:${PARTITION}:states:${REGION}:${ACCOUNT}:stateMachine:${r.Properties?.StateMachineName ?? logicalId}`;
    case 'AWS::Glue::Database':
      return String((r.Properties?.DatabaseInput as { Name?: string } | undefined)?.Name ?? lower);
    case 'AWS::SQS::Queue':
      return `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${logicalId}`;
    case 'AWS::SNS::Topic':
      return `arn:${PARTITION}:sns:${REGION}:${ACCOUNT}:${logicalId}`;
    case 'AWS::IAM::Role':
      return `Memq-${logicalId}`;
    default:
      return `${lower}-local`;
  }
}

function attribute(logicalId: string, r: CfnResource, attr: string, ref: string): string {
  switch (`${r.Type}.${attr}`) {
    case 'AWS::Lambda::Function.Arn':
      return `arn:${PARTITION}:lambda:${REGION}:${ACCOUNT}:function:${ref}`;
    case 'AWS::S3::Bucket.Arn':
      return `arn:${PARTITION}:s3:::${ref}`;
    case 'AWS::S3::Bucket.DomainName':
    case 'AWS::S3::Bucket.RegionalDomainName':
      return `${ref}.s3.${REGION}.amazonaws.com`;
    case 'AWS::DynamoDB::Table.Arn':
      return `arn:${PARTITION}:dynamodb:${REGION}:${ACCOUNT}:table/${ref}`;
    case 'AWS::KMS::Key.Arn':
      return `arn:${PARTITION}:kms:${REGION}:${ACCOUNT}:key/${logicalId.toLowerCase()}`;
    case 'AWS::StepFunctions::StateMachine.Name':
      return ref.split(':').pop()!;
    case 'AWS::SQS::Queue.Arn':
      return `arn:${PARTITION}:sqs:${REGION}:${ACCOUNT}:${logicalId}`;
    case 'AWS::IAM::Role.Arn':
      return `arn:${PARTITION}:iam::${ACCOUNT}:role/${ref}`;
    case 'AWS::Cognito::UserPool.Arn':
      return `arn:${PARTITION}:cognito-idp:${REGION}:${ACCOUNT}:userpool/${ref}`;
    case 'AWS::Cognito::UserPool.ProviderName':
      return `cognito-idp.${REGION}.amazonaws.com/${ref}`;
    case 'AWS::CloudFront::Distribution.DomainName':
      return `${logicalId.toLowerCase()}.cloudfront.net`;
    case 'AWS::Logs::LogGroup.Arn':
      return `arn:${PARTITION}:logs:${REGION}:${ACCOUNT}:log-group:${ref}:*`;
    default:
      return `${ref}.${attr}`;
  }
}

export class Template {
  readonly t: CfnTemplate;
  private readonly params: Record<string, unknown>;

  constructor(
    readonly file: string,
    params: Record<string, unknown> = {},
    /** false: a parameter without default renders as a placeholder (for linting, not for running) */
    strict = true,
  ) {
    this.t = JSON.parse(fs.readFileSync(file, 'utf8')) as CfnTemplate;
    this.params = {};
    for (const [k, p] of Object.entries(this.t.Parameters ?? {})) {
      const v = params[k] ?? p.Default;
      if (v === undefined && strict) throw new Error(`template parameter ${k} has no default: the rehearsal must supply it`);
      this.params[k] = v ?? `rehearsal-${k}`;
    }
  }

  get dir(): string {
    return path.dirname(this.file);
  }

  resources(type: string): [string, CfnResource][] {
    return Object.entries(this.t.Resources).filter(([, r]) => r.Type === type);
  }

  resource(logicalId: string): CfnResource {
    const r = this.t.Resources[logicalId];
    if (!r) throw new Error(`no resource ${logicalId} in ${this.file}`);
    return r;
  }

  /** The value `Ref` gives for a logical id or parameter. */
  ref(name: string): unknown {
    if (name in this.params) return this.params[name];
    switch (name) {
      case 'AWS::Region':
        return REGION;
      case 'AWS::AccountId':
        return ACCOUNT;
      case 'AWS::Partition':
        return PARTITION;
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return path.basename(this.file).replace(/\.template\.json$/, '');
      case 'AWS::NoValue':
        return undefined;
    }
    return physicalId(name, this.resource(name));
  }

  condition(name: string): boolean {
    return Boolean(this.render(this.t.Conditions?.[name]));
  }

  /** Renders intrinsic functions in `v` to plain JSON. */
  render(v: unknown): unknown {
    if (Array.isArray(v)) return v.map((x) => this.render(x)).filter((x) => x !== undefined);
    if (!v || typeof v !== 'object') return v;
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1 && (keys[0] === 'Ref' || keys[0]!.startsWith('Fn::') || keys[0] === 'Condition')) {
      const [fn] = keys as [string];
      const arg = o[fn];
      switch (fn) {
        case 'Ref':
          return this.ref(String(arg));
        case 'Fn::GetAtt': {
          const [id, attr] = Array.isArray(arg) ? (arg as string[]) : String(arg).split('.');
          return attribute(id!, this.resource(id!), attr!, String(this.ref(id!)));
        }
        case 'Fn::Join': {
          const [sep, parts] = arg as [string, unknown[]];
          return (this.render(parts) as unknown[]).map((p) => (typeof p === 'string' ? p : JSON.stringify(p))).join(sep);
        }
        case 'Fn::Select': {
          const [i, list] = arg as [number | string, unknown];
          return (this.render(list) as unknown[])[Number(this.render(i))];
        }
        case 'Fn::Split': {
          const [sep, s] = arg as [string, unknown];
          return String(this.render(s)).split(sep);
        }
        case 'Fn::Sub': {
          const [text, vars] = Array.isArray(arg) ? (arg as [string, Record<string, unknown>]) : [String(arg), {}];
          return text.replace(/\$\{([^}!]+)\}/g, (_, name: string) => {
            if (name in vars) return String(this.render(vars[name]));
            if (name.includes('.')) {
              const [id, attr] = name.split('.');
              return attribute(id!, this.resource(id!), attr!, String(this.ref(id!)));
            }
            return String(this.ref(name));
          });
        }
        case 'Fn::If': {
          const [cond, a, b] = arg as [string, unknown, unknown];
          return this.render(this.condition(cond) ? a : b);
        }
        case 'Fn::Equals': {
          const [a, b] = arg as [unknown, unknown];
          return JSON.stringify(this.render(a)) === JSON.stringify(this.render(b));
        }
        case 'Fn::Not':
          return !this.render((arg as unknown[])[0]);
        case 'Fn::And':
          return (arg as unknown[]).every((x) => this.render(x));
        case 'Fn::Or':
          return (arg as unknown[]).some((x) => this.render(x));
        case 'Condition':
          return this.condition(String(arg));
        default:
          throw new Error(`${this.file}: the rehearsal cannot render ${fn} (${JSON.stringify(arg).slice(0, 200)})`);
      }
    }
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) {
      const r = this.render(x);
      if (r !== undefined) out[k] = r;
    }
    return out;
  }
}
