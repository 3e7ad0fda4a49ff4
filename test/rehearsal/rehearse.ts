// The cloud rehearsal: deploys nothing to AWS but runs the shipped artifacts, as shipped, on the real
// dumps. `npx cdk synth` → the synthesized customer template → its state machine definition rendered
// and executed by a local ASL interpreter (states.ts) → every Lambda task run from its built asset in
// a Lambda-like child process (lambda-runtime.ts) → S3 on s3rver, DynamoDB on dynalite, Step
// Functions/Glue/Athena on the JSON-protocol stand-ins (aws-standins.ts), reached through the SDK's
// standard AWS_ENDPOINT_URL_* variables. Dumps go in the way a customer's do (API: create project →
// create snapshot → presigned PUT → S3 "Object Created" event through the template's EventBridge
// rule), and the results are checked against `memq analyze` / `memq serve`'s code on the same dumps.
// Each step prints one line; a summary closes the run. See README "Cloud rehearsal".
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as http from 'node:http';
import * as crypto from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { CreateTableCommand, DynamoDBClient, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { DuckDBInstance } from '@duckdb/node-api';
import { LocalLambda, LambdaError, makeWritable, type InvokeRecord } from './lambda-runtime';
import { LocalStateMachine, type ExecutionResult } from './states';
import { AwsStandins, type GlueTableDef } from './aws-standins';
import { Template, ACCOUNT, REGION } from './template';
import { checkDefinition } from './asl-check';
import { matchesPattern } from './event-pattern';
import { startDynamo, startS3, credentials, type LocalDynamo, type LocalS3 } from '../pipeline/local-aws';
import { materialize } from '../../lib/image/open';
import { addDumpToStore } from '../../lib/store/add';
import { openLocalStore, runQuery, type LocalStore } from '../../lib/engine';
import { huntOver, iocOver, type ScopedSnapshot } from './local-truth';
import { tableNames } from '../../lib/model';
import { partitionPrefix } from '../../lib/pipeline/keys';

const ROOT = path.resolve(__dirname, '../..');
const IMAGES = path.resolve(ROOT, '../shared/images');
const ADMIN = { sub: '6f1c2a9e-0000-4000-8000-00000000a001', email: 'admin@rehearsal.test' };
const SEED = 'process.process_object.parent_process_id == 1 &&\n    process.vad_object.file_name == "/usr/sbin/agetty"';

export interface StepResult {
  name: string;
  ok: boolean;
  ms: number;
  detail: string;
}

export interface RehearsalOptions {
  /** print a line per step (default: console.log) */
  print?: (line: string) => void;
  /** keep the work directory (for inspection) */
  keep?: boolean;
  /**
   * run cfn-lint on the templates (default true). cfn-lint comes from pip, which a fresh machine and
   * CI cannot reach, so the test suite leaves it to `npm run rehearse` on a machine that has it.
   */
  cfnLint?: boolean;
  /** which dumps to analyze (default all three) */
  dumps?: DumpCase[];
}

export interface DumpCase {
  label: string;
  /** path relative to ../shared/images; .gz is decompressed first (the cloud reads uncompressed dumps) */
  file: string;
  os: 'linux' | 'windows';
}

export const DEFAULT_DUMPS: DumpCase[] = [
  { label: 'linux 6.1 kdump', file: 'linux-dev/memory.kdump', os: 'linux' },
  { label: 'linux 6.12 ELF core', file: 'linux-dev-6.12/memory.elf.gz', os: 'linux' },
  { label: 'windows x64 triage', file: 'windows-triage/triage_x64.dmp', os: 'windows' },
];

export interface RehearsalSummary {
  steps: StepResult[];
  passed: number;
  failed: number;
  invocations: number;
  coldStarts: number;
  childExecutions: number;
  lambdaErrors: Record<string, number>;
}

class Check extends Error {}
function check(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new Check(msg);
}

/** Rows of `files` minus rows of `other` (multiset), both Parquet, partition columns excluded. */
async function parquetDiff(a: string[], b: string[]): Promise<{ a: number; b: number; missing: number; extra: number }> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    const src = (fs_: string[]) => `read_parquet([${fs_.map((f) => `'${f.replace(/'/g, "''")}'`).join(', ')}], hive_partitioning = false)`;
    const n = async (sql: string) => Number((await conn.runAndReadAll(sql)).getRows()[0]![0]);
    const ca = a.length ? await n(`SELECT count(*) FROM ${src(a)}`) : 0;
    const cb = b.length ? await n(`SELECT count(*) FROM ${src(b)}`) : 0;
    if (!a.length || !b.length) return { a: ca, b: cb, missing: ca, extra: cb };
    const missing = await n(`SELECT count(*) FROM (SELECT * FROM ${src(a)} EXCEPT ALL SELECT * FROM ${src(b)})`);
    const extra = await n(`SELECT count(*) FROM (SELECT * FROM ${src(b)} EXCEPT ALL SELECT * FROM ${src(a)})`);
    return { a: ca, b: cb, missing, extra };
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

/** A small HTTP proxy in front of s3rver that answers chosen ranged GETs with 503 SlowDown. */
async function faultyS3Proxy(target: string): Promise<{ endpoint: string; failNextRangedGets: (n: number) => void; injected: () => number; stop: () => Promise<void> }> {
  const t = new URL(target);
  let pending = 0;
  let injected = 0;
  const server = http.createServer((req, res) => {
    if (pending > 0 && req.method === 'GET' && req.headers.range) {
      pending--;
      injected++;
      req.resume();
      res.writeHead(503, { 'content-type': 'application/xml' });
      res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>');
      return;
    }
    const up = http.request({ host: t.hostname, port: t.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', (e) => {
      res.writeHead(502);
      res.end(String(e));
    });
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    failNextRangedGets: (n) => (pending = n),
    injected: () => injected,
    stop: () => new Promise((r) => server.close(() => r())),
  };
}

export async function rehearse(opts: RehearsalOptions = {}): Promise<RehearsalSummary> {
  const print = opts.print ?? ((l: string) => console.log(l));
  const steps: StepResult[] = [];
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-rehearsal-'));
  fs.chmodSync(work, 0o755); // the Lambda children run unprivileged and must reach their code below it
  const invokes: InvokeRecord[] = [];
  const cleanups: (() => Promise<void> | void)[] = [];
  let fatal = false;

  const step = async <T>(name: string, fn: () => Promise<T>, detail?: (v: T) => string): Promise<T | undefined> => {
    if (fatal) {
      steps.push({ name, ok: false, ms: 0, detail: 'not run: an earlier step failed' });
      print(`  - ${name}: not run (an earlier step failed)`);
      return undefined;
    }
    const t0 = Date.now();
    try {
      const v = await fn();
      const d = detail ? detail(v) : '';
      steps.push({ name, ok: true, ms: Date.now() - t0, detail: d });
      print(`  ✓ ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)${d ? ` — ${d}` : ''}`);
      return v;
    } catch (e) {
      const msg = (e as Error).message.split('\n').slice(0, 6).join(' | ');
      steps.push({ name, ok: false, ms: Date.now() - t0, detail: msg });
      print(`  ✗ ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s): ${msg}`);
      return undefined;
    }
  };
  /** a step the rest depends on */
  const must = async <T>(name: string, fn: () => Promise<T>, detail?: (v: T) => string): Promise<T> => {
    const v = await step(name, fn, detail);
    if (steps[steps.length - 1]!.ok === false) fatal = true;
    return v as T;
  };

  print(`memq cloud rehearsal (work directory ${work})`);
  try {
    // ------------------------------------------------------------------ 1. synthesize with the CDK CLI
    const outdir = path.join(work, 'cdk.out');
    await must(
      'npx cdk synth (the CDK CLI, as a customer runs it)',
      async () => {
        const r = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'cdk'), ['synth', '--output', outdir, '--quiet', '--no-notices', '--no-version-reporting'], {
          cwd: ROOT,
          encoding: 'utf8',
          env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true', CI: 'true' },
          maxBuffer: 64 << 20,
          timeout: 600_000,
        });
        check(r.status === 0, `cdk synth exited ${r.status}: ${(r.stderr + r.stdout).split('\n').filter((l) => /\bError\b|error TS|\[Error/.test(l)).slice(0, 8).join(' | ')}`);
        return fs.readdirSync(outdir).filter((f) => f.endsWith('.template.json'));
      },
      (t) => t.join(', '),
    );
    const tpl = fatal ? undefined : new Template(path.join(outdir, 'Memq.template.json'), { AdminEmail: ADMIN.email, MaxShardConcurrency: 3, OrganizationName: 'Rehearsal' });

    // ------------------------------------------------------------------ 2. static checks of what was synthesized
    const machineRes = tpl ? tpl.resources('AWS::StepFunctions::StateMachine') : [];
    let definition: Record<string, unknown> | undefined;
    await must(
      'state machine definition rendered from the template; every payload an object (ASL)',
      async () => {
        check(machineRes.length === 1, `expected one state machine, found ${machineRes.length}`);
        definition = JSON.parse(String(tpl!.render(machineRes[0]![1].Properties!.DefinitionString))) as Record<string, unknown>;
        const problems = checkDefinition(definition);
        check(problems.length === 0, problems.join('; '));
        return Object.keys(definition.States as object).length;
      },
      (n) => `${n} top-level states`,
    );
    if (opts.cfnLint !== false) await step(
      'cfn-lint on every synthesized template (state machine definitions rendered)',
      async () => {
        const has = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });
        if (has.status !== 0) return 'cfn-lint is not installed here (pip only; not reachable in CI): not checked';
        const files = fs.readdirSync(outdir).filter((f) => f.endsWith('.template.json'));
        // render each DefinitionString so the linter sees the real definition (E3601 needs it)
        for (const f of files) {
          const t = new Template(path.join(outdir, f), { AdminEmail: ADMIN.email }, false);
          for (const [, r] of t.resources('AWS::StepFunctions::StateMachine')) {
            r.Properties!.Definition = JSON.parse(String(t.render(r.Properties!.DefinitionString)));
            delete r.Properties!.DefinitionString;
          }
          fs.writeFileSync(path.join(work, `lint-${f}`), JSON.stringify(t.t));
        }
        const r = spawnSync('cfn-lint', ['--format', 'parseable', ...files.map((f) => path.join(work, `lint-${f}`))], { encoding: 'utf8', maxBuffer: 16 << 20 });
        const errors = r.stdout.split('\n').filter((l) => /:E\d{4}:/.test(l));
        check(errors.length === 0, `${errors.length} cfn-lint errors: ${errors.slice(0, 5).join(' | ')}`);
        return `0 errors over ${files.length} templates (${r.stdout.split('\n').filter((l) => /:W\d{4}:/.test(l)).length} warnings)`;
      },
      (s) => s,
    );
    if (fatal || !tpl || !definition) throw new Check('cannot continue without a synthesized template');

    // ------------------------------------------------------------------ 3. local AWS: S3, DynamoDB, SFN/Glue/Athena stand-ins
    const buckets = tpl.resources('AWS::S3::Bucket').map(([id]) => String(tpl.ref(id)));
    const bucketOf = (envName: string) => {
      for (const [, f] of tpl.resources('AWS::Lambda::Function')) {
        const v = (tpl.render(f.Properties!.Environment) as { Variables?: Record<string, string> } | undefined)?.Variables?.[envName];
        if (v) return v;
      }
      throw new Check(`no Lambda has ${envName}`);
    };
    const s3: LocalS3 = await must('S3 (s3rver) with the template\'s buckets', () => startS3(buckets), () => `${buckets.length} buckets`);
    cleanups.push(() => s3.stop());
    const proxy = await faultyS3Proxy(s3.endpoint);
    cleanups.push(() => proxy.stop());
    const ddb: LocalDynamo = await must(
      'DynamoDB (dynalite) with the template\'s tables',
      async () => {
        const d = await startDynamo();
        for (const [id, r] of tpl.resources('AWS::DynamoDB::Table')) {
          const p = tpl.render(r.Properties) as Record<string, unknown>;
          const input: CreateTableCommandInput = {
            TableName: String(tpl.ref(id)),
            KeySchema: p.KeySchema as never,
            AttributeDefinitions: p.AttributeDefinitions as never,
            GlobalSecondaryIndexes: p.GlobalSecondaryIndexes as never,
            BillingMode: (p.BillingMode as never) ?? 'PAY_PER_REQUEST',
          };
          await d.client.send(new CreateTableCommand(input));
        }
        return d;
      },
      () => `${tpl.resources('AWS::DynamoDB::Table').length} tables`,
    );
    cleanups.push(() => ddb.stop());
    const dumpsBucket = bucketOf('DUMPS_BUCKET');
    const lakeBucket = bucketOf('LAKE_BUCKET');
    const database = bucketOf('GLUE_DATABASE');
    const glueTables: GlueTableDef[] = tpl.resources('AWS::Glue::Table').map(([, r]) => {
      const ti = (tpl.render(r.Properties) as { TableInput: { Name: string; PartitionKeys: { Name: string; Type: string }[]; StorageDescriptor: { Columns: { Name: string; Type: string }[]; Location: string } } }).TableInput;
      return { name: ti.Name, columns: ti.StorageDescriptor.Columns, partitionKeys: ti.PartitionKeys, location: ti.StorageDescriptor.Location };
    });
    const machines = new Map<string, LocalStateMachine>();
    let sfnFaults = 0;
    const standins = new AwsStandins({
      s3: s3.client,
      machines,
      database,
      tables: glueTables,
      workDir: work,
      fault: (target) => {
        if (target === 'AWSStepFunctions.StartExecution' && sfnFaults > 0) {
          sfnFaults--;
          return 'ThrottlingException';
        }
        return undefined;
      },
    });
    await standins.start();
    cleanups.push(() => standins.stop());

    // ------------------------------------------------------------------ 4. the template's Lambdas from their built assets
    const baseEnv: Record<string, string> = {
      AWS_REGION: REGION,
      AWS_DEFAULT_REGION: REGION,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_ENDPOINT_URL_S3: proxy.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: ddb.endpoint,
      AWS_ENDPOINT_URL_SFN: standins.endpoint,
      AWS_ENDPOINT_URL_GLUE: standins.endpoint,
      AWS_ENDPOINT_URL_ATHENA: standins.endpoint,
      // s3rver needs plain (not aws-chunked) uploads
      AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      MEMQ_PROGRESS: '0',
    };
    const lambdas = new Map<string, LocalLambda>();
    const byLogical = new Map<string, LocalLambda>();
    const faults = new Map<string, ((event: unknown) => LambdaError | undefined)[]>();
    const afterFaults = new Map<string, ((event: unknown) => LambdaError | undefined)[]>();
    await must(
      'Lambda functions from their built assets (copied, read-only, no repository node_modules)',
      async () => {
        for (const [id, r] of tpl.resources('AWS::Lambda::Function')) {
          const p = tpl.render(r.Properties) as { Handler: string; MemorySize?: number; Timeout?: number; EphemeralStorage?: { Size: number }; Environment?: { Variables?: Record<string, string> }; Runtime?: string };
          const asset = r.Metadata?.['aws:asset:path'];
          check(typeof asset === 'string', `${id} has no aws:asset:path`);
          const assetDir = path.join(outdir, asset);
          check(fs.existsSync(path.join(assetDir, 'index.js')), `${id}: ${assetDir}/index.js missing`);
          const fn = new LocalLambda(
            {
              logicalId: id,
              arn: String(tpl.render({ 'Fn::GetAtt': [id, 'Arn'] })),
              handler: p.Handler,
              memoryMb: p.MemorySize ?? 128,
              timeoutS: p.Timeout ?? 3,
              ephemeralMb: p.EphemeralStorage?.Size ?? 512,
              env: p.Environment?.Variables ?? {},
              assetDir,
            },
            {
              workRoot: path.join(work, 'lambda'),
              baseEnv,
              concurrency: 3,
              fault: (fnId, ev) => {
                for (const f of faults.get(fnId) ?? []) {
                  const e = f(ev);
                  if (e) return e;
                }
                return undefined;
              },
              onInvoke: (rec) => invokes.push(rec),
              log: (fnId, line) => {
                if (process.env.MEMQ_REHEARSAL_VERBOSE) print(`      [${fnId}] ${line}`);
              },
            },
          );
          const inner = fn.invoke.bind(fn);
          fn.invoke = async (ev: unknown) => {
            const out = await inner(ev);
            for (const f of afterFaults.get(id) ?? []) {
              const e = f(ev);
              if (e) throw e;
            }
            return out;
          };
          lambdas.set(fn.spec.arn, fn);
          byLogical.set(id, fn);
          cleanups.push(() => fn.close());
        }
        return lambdas.size;
      },
      (n) => `${n} functions`,
    );
    const fnByHandler = (h: string) => [...byLogical.values()].find((f) => f.spec.handler === h)!;
    const [smId, smRes] = machineRes[0]!;
    void smRes;
    const smArn = String(tpl.ref(smId));
    const sm = new LocalStateMachine(smArn, definition as never, { lambdas, s3: s3.client, retryScale: 0.002 });
    machines.set(smArn, sm);

    // the EventBridge rule that starts ingest, from the template
    const rules = tpl.resources('AWS::Events::Rule').map(([, r]) => tpl.render(r.Properties) as { EventPattern: unknown; Targets?: { Arn: string }[] });
    const putEvent = async (event: Record<string, unknown>): Promise<unknown[]> => {
      const out: unknown[] = [];
      for (const rule of rules) {
        if (!matchesPattern(rule.EventPattern, event)) continue;
        for (const t of rule.Targets ?? []) {
          const fn = lambdas.get(t.Arn);
          if (fn) out.push(await fn.invoke(event));
        }
      }
      return out;
    };
    const objectCreated = (key: string, size: number, etag: string) => ({
      version: '0',
      id: crypto.randomUUID(),
      'detail-type': 'Object Created',
      source: 'aws.s3',
      account: ACCOUNT,
      time: new Date().toISOString(),
      region: REGION,
      resources: [`arn:aws:s3:::${dumpsBucket}`],
      detail: { version: '0', bucket: { name: dumpsBucket }, object: { key, size, etag, sequencer: crypto.randomBytes(8).toString('hex') }, 'request-id': 'R', requester: ACCOUNT, 'source-ip-address': '127.0.0.1', reason: 'PutObject' },
    });

    // ------------------------------------------------------------------ API Gateway → API bundle
    const api = fnByHandler('index.handler') && [...byLogical.entries()].find(([id]) => id.startsWith('ApiHandler'))?.[1];
    check(api, 'no API handler Lambda in the template');
    const call = async (method: string, p: string, body?: unknown, query?: Record<string, string>, who = ADMIN): Promise<{ status: number; json: any; headers: Record<string, string> }> => {
      const ev = {
        resource: p,
        path: `/api/v1${p}`,
        httpMethod: method,
        headers: { 'content-type': 'application/json', host: 'rehearsal.execute-api.local', authorization: 'Bearer <verified by API Gateway>' },
        multiValueHeaders: {},
        queryStringParameters: query ?? null,
        multiValueQueryStringParameters: null,
        pathParameters: null,
        stageVariables: null,
        requestContext: {
          stage: 'prod',
          requestId: crypto.randomUUID(),
          httpMethod: method,
          path: `/prod/api/v1${p}`,
          identity: { sourceIp: '127.0.0.1' },
          authorizer: { claims: { sub: who.sub, email: who.email, email_verified: 'true', token_use: 'id', 'cognito:username': who.sub, iss: `https://cognito-idp.${REGION}.amazonaws.com/local` } },
        },
        body: body === undefined ? null : JSON.stringify(body),
        isBase64Encoded: false,
      };
      const r = (await api.invoke(ev)) as { statusCode: number; body: string; headers?: Record<string, string>; isBase64Encoded?: boolean };
      let json: unknown = r.body;
      try {
        json = JSON.parse(r.isBase64Encoded ? Buffer.from(r.body, 'base64').toString() : r.body);
      } catch {
        /* not JSON */
      }
      return { status: r.statusCode, json, headers: r.headers ?? {} };
    };
    const ok = (r: { status: number; json: any }, what: string) => {
      check(r.status >= 200 && r.status < 300, `${what}: HTTP ${r.status} ${JSON.stringify(r.json).slice(0, 400)}`);
      return r.json;
    };
    const poll = async <T>(what: string, fn: () => Promise<T | undefined>, limitMs = 300_000): Promise<T> => {
      const end = Date.now() + limitMs;
      for (let delay = 50; ; delay = Math.min(1000, delay * 2)) {
        const v = await fn();
        if (v !== undefined) return v;
        check(Date.now() < end, `${what}: not done after ${limitMs / 1000} s`);
        await new Promise((r) => setTimeout(r, delay));
      }
    };

    // ------------------------------------------------------------------ the web UI's custom resource
    await step(
      'web UI: the template\'s custom resource writes the built UI and config.json (API, user pool) to the web bucket',
      async () => {
        const crs = Object.entries(tpl.t.Resources).filter(([, r]) => r.Type.startsWith('Custom::'));
        check(crs.length === 1, `expected one custom resource, found ${crs.length}`);
        const [crId, cr] = crs[0]!;
        const props = tpl.render(cr.Properties) as { ServiceToken: string; Bucket: string; Config: Record<string, string> } & Record<string, unknown>;
        const fn = lambdas.get(props.ServiceToken);
        check(fn, `custom resource ${crId}: ServiceToken ${props.ServiceToken} is not a Lambda of the template`);
        // CloudFormation's side of the protocol: a presigned-style ResponseURL that receives one PUT
        let answer: { Status: string; Reason?: string } | undefined;
        const cfn = http.createServer((req, res) => {
          let b = '';
          req.on('data', (d) => (b += d));
          req.on('end', () => {
            answer = JSON.parse(b) as { Status: string; Reason?: string };
            res.end();
          });
        });
        await new Promise<void>((r) => cfn.listen(0, '127.0.0.1', () => r()));
        try {
          const { ServiceToken, ...resourceProperties } = props;
          await fn.invoke({
            RequestType: 'Create',
            ServiceToken,
            ResponseURL: `http://127.0.0.1:${(cfn.address() as { port: number }).port}/cfn-response?X-Amz-Signature=local`,
            StackId: `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/Memq/00000000-0000-0000-0000-000000000000`,
            RequestId: crypto.randomUUID(),
            LogicalResourceId: crId,
            ResourceType: cr.Type,
            ResourceProperties: { ServiceToken, ...resourceProperties },
          });
        } finally {
          await new Promise((r) => cfn.close(r));
        }
        check(answer?.Status === 'SUCCESS', `custom resource answered ${JSON.stringify(answer)}`);
        const get = async (key: string) => (await s3.client.send(new GetObjectCommand({ Bucket: props.Bucket, Key: key }))).Body!.transformToString();
        const config = JSON.parse(await get('config.json')) as Record<string, string>;
        for (const [k, v] of Object.entries(props.Config)) check(config[k] === v, `config.json ${k} = ${config[k]}, the template says ${v}`);
        check(config.userPoolId === tpl.ref(Object.entries(tpl.t.Resources).find(([, r]) => r.Type === 'AWS::Cognito::UserPool')![0]), 'config.json names another user pool than the stack\'s');
        const index = await get('index.html');
        const assets = [...index.matchAll(/(?:src|href)="\/?(assets\/[^"]+)"/g)].map((m) => m[1]!);
        check(assets.length > 0, 'index.html references no built assets');
        for (const a of assets) await get(a);
        return { assets: assets.length, config };
      },
      (v) => `index.html + ${v.assets} assets, config.json: api ${v.config.apiBaseUrl}, pool ${v.config.userPoolId}, client ${v.config.userPoolClientId}`,
    );

    const me = await must('API: first sign-in links the invited administrator by verified e-mail (Cognito claims)', async () => ok(await call('GET', '/me'), 'GET /me'), (m) => `user ${m.user?.id ?? m.id}`);
    const project = await must('API: create a project and a machine', async () => {
      const p = ok(await call('POST', '/projects', { name: 'Rehearsal' }), 'POST /projects');
      const m = ok(await call('POST', `/projects/${p.id}/machines`, { name: 'dev-host' }), 'POST machines');
      return { id: p.id as string, machine: m.id as string };
    });
    void me;

    // upload one dump the customer's way; resolves with the snapshot id and the object key
    const upload = async (file: string, name: string, size?: number): Promise<{ snapshot: string; key: string; etag: string; bytes: Buffer }> => {
      let bytes = fs.readFileSync(file);
      if (size !== undefined) bytes = bytes.subarray(0, size);
      const r = ok(await call('POST', '/snapshots', { project_id: project.id, machine_id: project.machine, dump_name: name, size: bytes.length }), 'POST /snapshots');
      check(r.upload.method === 'PUT' && !r.upload.via_api, `expected a presigned PUT, got ${JSON.stringify(r.upload).slice(0, 200)}`);
      const put = await fetch(r.upload.url, { method: 'PUT', body: bytes, headers: r.upload.headers ?? {} });
      check(put.ok, `presigned PUT: HTTP ${put.status} ${(await put.text()).slice(0, 300)}`);
      const key = decodeURIComponent(new URL(r.upload.url).pathname.replace(`/${dumpsBucket}/`, ''));
      return { snapshot: r.snapshot.id, key, etag: (put.headers.get('etag') ?? '').replace(/"/g, ''), bytes };
    };
    const waitSnapshot = (id: string) =>
      poll(`snapshot ${id}`, async () => {
        const s = ok(await call('GET', `/snapshots/${id}`), 'GET snapshot');
        return s.status === 'ready' || s.status === 'failed' ? s : undefined;
      });
    const lakeFiles = async (table: string, ref: { project: string; machine: string; snapshot: string }, into: string): Promise<string[]> => {
      const prefix = partitionPrefix(table as never, ref);
      const r = await s3.client.send(new ListObjectsV2Command({ Bucket: lakeBucket, Prefix: prefix }));
      const out: string[] = [];
      for (const o of r.Contents ?? []) {
        const f = path.join(into, o.Key!);
        fs.mkdirSync(path.dirname(f), { recursive: true });
        fs.writeFileSync(f, await (await s3.client.send(new GetObjectCommand({ Bucket: lakeBucket, Key: o.Key! }))).Body!.transformToByteArray());
        out.push(f);
      }
      return out;
    };

    // ------------------------------------------------------------------ 5. the dumps, end to end
    const localStoreDir = path.join(work, 'local-store');
    const analyzed: { c: DumpCase; snapshot: string; ref: { project: string; machine: string; snapshot: string }; local: string }[] = [];
    const cases = opts.dumps ?? DEFAULT_DUMPS;
    for (const [i, c] of cases.entries()) {
      const src = path.join(IMAGES, c.file);
      if (!fs.existsSync(src)) {
        await step(`${c.label}: upload → EventBridge → ingest → state machine → lake`, async () => {
          throw new Check(`${src} is missing`);
        });
        continue;
      }
      const dump = await materialize(src);
      const res = await step(
        `${c.label}: upload → EventBridge → ingest → state machine → lake`,
        async () => {
          // throttled invocations on the way: the first probe invoke of the second dump, and a
          // transient S3 error in the middle of the first dump's shard reads (503 SlowDown)
          if (i === 1) faults.set(fnByHandler('index.probe').spec.logicalId, [once(() => new LambdaError('Lambda.TooManyRequestsException', 'Rate Exceeded.'))]);
          if (i === 0) proxy.failNextRangedGets(2);
          const u = await upload(dump, path.basename(dump));
          const ingested = await putEvent(objectCreated(u.key, u.bytes.length, u.etag));
          check(ingested.length === 1, `the template's rule matched ${ingested.length} targets for the object event`);
          const snap = await waitSnapshot(u.snapshot);
          const run = sm.runs.find((r) => r.name.startsWith(u.snapshot));
          check(snap.status === 'ready', `snapshot ${snap.status}: ${snap.error} (execution ${run?.status} ${run?.error ?? ''} ${run?.cause ?? ''})`);
          check(run?.status === 'SUCCEEDED', `execution ${run?.status}`);
          if (i === 0) check(proxy.injected() >= 2, `the transient S3 faults were not injected (${proxy.injected()})`);
          return { snapshot: u.snapshot, counts: snap.counts as Record<string, number>, ms: run.endedAt - run.startedAt };
        },
        (v) => `${Object.values(v.counts).reduce((a, b) => a + b, 0)} rows in ${Object.keys(v.counts).length} tables, execution ${(v.ms / 1000).toFixed(1)} s`,
      );
      faults.clear();
      if (!res) continue;
      const ref = { project: project.id, machine: project.machine, snapshot: res.snapshot };
      await step(
        `${c.label}: lake equals memq analyze, table by table, row by row`,
        async () => {
          await addDumpToStore(localStoreDir, dump, ref);
          const cmp: string[] = [];
          for (const t of tableNames) {
            const cloud = await lakeFiles(t, ref, path.join(work, 'lake-copy'));
            const local = [path.join(localStoreDir, partitionPrefix(t, ref))].flatMap((d) => (fs.existsSync(d) ? fs.readdirSync(d).filter((f) => f.endsWith('.parquet')).map((f) => path.join(d, f)) : []));
            const d = await parquetDiff(local, cloud);
            check(d.missing === 0 && d.extra === 0 && d.a === d.b, `${t}: local ${d.a} rows, lake ${d.b}; ${d.missing} missing, ${d.extra} extra`);
            if (d.a) cmp.push(`${t} ${d.a}`);
          }
          return cmp;
        },
        (cmp) => cmp.join(', '),
      );
      analyzed.push({ c, snapshot: res.snapshot, ref, local: dump });
    }
    if (analyzed.length) print(`    (${proxy.injected()} ranged GETs answered 503 SlowDown on the way and were retried; the Probe invocation of the second dump was throttled once)`);

    // ------------------------------------------------------------------ 6. the API bundle's routes against the local engine
    fs.mkdirSync(localStoreDir, { recursive: true });
    const store: LocalStore = openLocalStore(localStoreDir);
    cleanups.push(() => store.close());
    const linux = analyzed.find((a) => a.c.os === 'linux');
    const all = analyzed.map((a) => a.snapshot);
    const scoped: ScopedSnapshot[] = analyzed.map((a) => ({ id: a.snapshot, ref: a.ref }));
    if (linux) {
      await step(
        'API query job (POST /queries → GET /queries/{id}) equals the local engine',
        async () => {
          const job = ok(await call('POST', '/queries', { text: SEED, scope: { snapshot_ids: [linux.snapshot] } }), 'POST /queries');
          const done = await poll('query job', async () => {
            const r = ok(await call('GET', `/queries/${job.id}`, undefined, { limit: '1000' }), 'GET /queries');
            return r.job.status === 'running' ? undefined : r;
          });
          check(done.job.status === 'done', `query job ${done.job.status}: ${JSON.stringify(done.job.error)}`);
          const cols: string[] = done.page.columns.map((c: { name: string }) => c.name);
          const pidCol = cols.indexOf('process_id');
          const cloudPids = done.page.rows.map((r: unknown[]) => Number(r[pidCol])).sort((a: number, b: number) => a - b);
          const local = await runQuery(store, SEED, { snapshots: [linux.snapshot] });
          const localPids = local.rows.map((r) => Number(r.process_id)).sort((a, b) => a - b);
          check(cloudPids.length > 0, 'the seed query found nothing in the cloud');
          check(JSON.stringify(cloudPids) === JSON.stringify(localPids), `cloud pids ${cloudPids} vs local ${localPids}`);
          return cloudPids;
        },
        (p) => `pids ${p.join(', ')}`,
      );
    }
    if (analyzed.length) {
      await step(
        'API GET /playbooks lists the bundled playbooks (read from the bundle)',
        async () => {
          const pbs = ok(await call('GET', '/playbooks'), 'GET /playbooks') as { id: string }[];
          check(pbs.length >= 20, `only ${pbs.length} playbooks`);
          return pbs.length;
        },
        (n) => `${n} playbooks`,
      );
      await step(
        'API hunt job with the bundled playbooks equals the local hunt',
        async () => {
          const job = ok(await call('POST', '/hunts', { scope: { snapshot_ids: all } }), 'POST /hunts');
          const done = await poll('hunt job', async () => {
            const r = ok(await call('GET', `/hunts/${job.id}`), 'GET /hunts');
            return r.status === 'running' ? undefined : r;
          });
          check(done.status === 'done', `hunt ${done.status}: ${done.error}`);
          const key = (h: { playbook_id: string; snapshot_id: string; rows: unknown[] }) => `${h.playbook_id}@${h.snapshot_id}:${h.rows.length}`;
          const cloud = (done.result.hits as { playbook_id: string; snapshot_id: string; rows: unknown[] }[]).map(key).sort();
          const local = (await huntOver(store, scoped)).hits.map((h) => key(h as never)).sort();
          check(cloud.length > 0, 'no playbook fired in the cloud');
          check(JSON.stringify(cloud) === JSON.stringify(local), `cloud hits [${cloud.join(' ')}] vs local [${local.join(' ')}]`);
          check((done.result.errors ?? []).length === 0, `hunt errors: ${JSON.stringify(done.result.errors).slice(0, 300)}`);
          return cloud;
        },
        (h) => `${h.length} playbook hits (${[...new Set(h.map((x) => x.split('@')[0]))].join(', ')})`,
      );
      await step(
        'API IOC job (POST /ioc-searches) equals the local IOC search',
        async () => {
          const values = ['/usr/sbin/agetty', 'svchost.exe', '10.0.2.15'];
          const job = ok(await call('POST', '/ioc-searches', { values, scope: { snapshot_ids: all } }), 'POST /ioc-searches');
          const done = await poll('IOC job', async () => {
            const r = ok(await call('GET', `/ioc-searches/${job.id}`), 'GET /ioc-searches');
            return r.status === 'running' ? undefined : r;
          });
          check(done.status === 'done', `IOC search ${done.status}: ${done.error}`);
          check((done.result.errors ?? []).length === 0, `IOC statements failed: ${JSON.stringify(done.result.errors).slice(0, 400)}`);
          const key = (h: { ioc: string; snapshot_id: string; table: string; column: string; match: string }) => `${h.ioc}|${h.snapshot_id}|${h.table}.${h.column}|${h.match}`;
          const cloud = (done.result.hits as never[]).map(key).sort();
          const local = (await iocOver(store, scoped, values, 1000)).hits.map((h) => key(h as never)).sort();
          check(cloud.length > 0, 'no IOC hit in the cloud');
          const onlyCloud = cloud.filter((x) => !local.includes(x));
          const onlyLocal = local.filter((x) => !cloud.includes(x));
          check(JSON.stringify(cloud) === JSON.stringify(local), `cloud ${cloud.length} hits vs local ${local.length}; only cloud: ${onlyCloud.slice(0, 4).join(' ; ')}; only local: ${onlyLocal.slice(0, 4).join(' ; ')}`);
          return cloud.length;
        },
        (n) => `${n} hits`,
      );
    }

    // ------------------------------------------------------------------ 7. faults
    if (linux) {
      const kdump = linux.local;
      await step(
        'fault: a shard fails once after writing its Parquet — retried, no duplicate rows',
        async () => {
          let hit = false;
          const shardFn = fnByHandler('index.shard').spec.logicalId;
          afterFaults.set(shardFn, [
            (ev) => {
              const s = (ev as { shard?: { kind: string; table?: string } }).shard;
              if (!hit && s?.kind === 'table' && s.table === 'process') {
                hit = true;
                return new LambdaError('Runtime.ExitError', 'RequestId: x Error: Runtime exited with error: signal: killed');
              }
              return undefined;
            },
          ]);
          const u = await upload(kdump, 'again.kdump');
          await putEvent(objectCreated(u.key, u.bytes.length, u.etag));
          const snap = await waitSnapshot(u.snapshot);
          afterFaults.clear();
          check(hit, 'the fault was never injected');
          check(snap.status === 'ready', `snapshot ${snap.status}: ${snap.error}`);
          const ref = { project: project.id, machine: project.machine, snapshot: u.snapshot };
          const cloud = await lakeFiles('process', ref, path.join(work, 'lake-copy'));
          const local = path.join(localStoreDir, partitionPrefix('process', linux.ref));
          const d = await parquetDiff(fs.readdirSync(local).map((f) => path.join(local, f)), cloud);
          check(d.missing === 0 && d.extra === 0, `process rows after the retry: ${d.b} (expected ${d.a})`);
          return d.b;
        },
        (n) => `${n} process rows, as without the fault`,
      );
      await step(
        'fault: StartExecution throttled once — the ingest retry starts it; the same event twice starts one execution',
        async () => {
          const before = sm.runs.length + 0;
          const u = await upload(kdump, 'twice.kdump');
          // more throttles than the SDK's own retries (3 attempts) absorb: the ingest invocation fails
          sfnFaults = 3;
          const ev = objectCreated(u.key, u.bytes.length, u.etag);
          let firstFailed = false;
          try {
            await putEvent(ev);
          } catch (e) {
            firstFailed = (e as Error).name === 'ThrottlingException' || /Throttl/.test((e as Error).message);
          }
          check(firstFailed, 'the throttled StartExecution did not fail the first ingest');
          // EventBridge retries the target; then a duplicate delivery of the same event
          await putEvent(ev);
          await putEvent(ev);
          const snap = await waitSnapshot(u.snapshot);
          check(snap.status === 'ready', `snapshot ${snap.status}: ${snap.error}`);
          const runs = sm.runs.slice(before).filter((r) => r.name.startsWith(u.snapshot));
          check(runs.length === 1, `${runs.length} executions for one object`);
          const list = ok(await call('GET', '/snapshots', undefined, { project_id: project.id }), 'GET /snapshots') as { id: string }[];
          check(list.filter((s) => s.id === u.snapshot).length === 1, 'snapshot listed more than once');
          return runs.length;
        },
        () => 'one execution, one snapshot',
      );
      await step(
        'fault: a truncated dump ends in the failure state with a reason; nothing of it is queryable',
        async () => {
          const u = await upload(kdump, 'cut.kdump', Math.floor(fs.statSync(kdump).size * 0.4));
          await putEvent(objectCreated(u.key, u.bytes.length, u.etag));
          const snap = await waitSnapshot(u.snapshot);
          check(snap.status === 'failed', `expected failed, got ${snap.status}`);
          check(typeof snap.error === 'string' && snap.error.length > 5, 'no reason recorded on the snapshot');
          const run = sm.runs.find((r) => r.name.startsWith(u.snapshot));
          check(run?.status === 'FAILED', `execution ${run?.status}`);
          const registered = [...standins.partitions.values()].some((m) => [...m.keys()].some((k) => k.endsWith(`/${u.snapshot}`)));
          check(!registered, 'a Glue partition was registered for the failed snapshot');
          const job = ok(await call('POST', '/queries', { text: 'process.process_object.process_id >= 0', scope: { snapshot_ids: [u.snapshot] } }), 'POST /queries');
          const done = await poll('query job', async () => {
            const r = ok(await call('GET', `/queries/${job.id}`), 'GET /queries');
            return r.job.status === 'running' ? undefined : r;
          });
          check(done.job.status !== 'done' || (done.page?.rows?.length ?? 0) === 0, `${done.page?.rows?.length} rows visible from the failed snapshot`);
          return snap.error as string;
        },
        (e) => `reason: ${e.slice(0, 120)}`,
      );
    }
  } catch (e) {
    if (!(e instanceof Check)) {
      steps.push({ name: 'rehearsal harness', ok: false, ms: 0, detail: (e as Error).stack ?? String(e) });
      print(`  ✗ rehearsal harness: ${(e as Error).stack}`);
    } else if (!steps.some((s) => !s.ok)) {
      steps.push({ name: 'rehearsal', ok: false, ms: 0, detail: e.message });
      print(`  ✗ ${e.message}`);
    }
  } finally {
    for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined);
    if (!opts.keep) {
      makeWritable(path.join(work, 'lambda'));
      fs.rmSync(work, { recursive: true, force: true });
    }
  }
  const lambdaErrors: Record<string, number> = {};
  for (const r of invokes) if (r.error) lambdaErrors[r.error] = (lambdaErrors[r.error] ?? 0) + 1;
  const summary: RehearsalSummary = {
    steps,
    passed: steps.filter((s) => s.ok).length,
    failed: steps.filter((s) => !s.ok).length,
    invocations: invokes.length,
    coldStarts: 0,
    childExecutions: 0,
    lambdaErrors,
  };
  print(
    `rehearsal: ${summary.passed} steps passed, ${summary.failed} failed; ${summary.invocations} Lambda invocations` +
      (Object.keys(lambdaErrors).length ? ` (errors: ${Object.entries(lambdaErrors).map(([k, v]) => `${k} ×${v}`).join(', ')})` : ''),
  );
  return summary;
}

function once<T>(f: () => T): () => T | undefined {
  let done = false;
  return () => {
    if (done) return undefined;
    done = true;
    return f();
  };
}

export type { ExecutionResult };
