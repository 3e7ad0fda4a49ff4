// Executes the state machine definition taken from the synthesized template with a local Amazon
// States Language interpreter (the npm package aws-local-stepfunctions): Task states whose Resource is
// a Lambda ARN of the template run that function's built asset (lambda-runtime.ts); Parameters,
// ResultPath, Retry (with the template's intervals, scaled down), Catch, Succeed and Fail are the
// interpreter's. It has no Distributed Map (ItemReader, ResultWriter, ToleratedFailurePercentage), so
// that piece is implemented here: each DISTRIBUTED Map state becomes a Task with the same
// Retry/Catch/ResultPath/Next whose local handler reads the items from S3 as ItemReader says, builds
// each child input with ItemSelector, runs the ItemProcessor as child executions of the same
// interpreter at most MaxConcurrency at a time, fails with States.ExceedToleratedFailureThreshold
// past the tolerated percentage, and writes the children's outputs where ResultWriter says.
import * as crypto from 'node:crypto';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { LocalLambda } from './lambda-runtime';
import { ACCOUNT, REGION } from './template';

// aws-local-stepfunctions 3 calls Promise.withResolvers (Node ≥ 22); the Lambda runtime is Node 24
// but this machine runs Node 20: the standard polyfill.
const P = Promise as unknown as { withResolvers?: unknown };
P.withResolvers ??= function withResolvers<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((a, b) => {
    resolve = a;
    reject = b;
  });
  return { promise, resolve, reject };
};

type Json = unknown;
type State = Record<string, Json> & { Type: string };
interface Definition {
  StartAt: string;
  States: Record<string, State>;
  [k: string]: Json;
}

export interface ExecutionResult {
  name: string;
  arn: string;
  status: 'SUCCEEDED' | 'FAILED';
  output?: Json;
  error?: string;
  cause?: string;
  startedAt: number;
  endedAt: number;
}

export interface LocalStateMachineOptions {
  /** Lambda functions by ARN */
  lambdas: Map<string, LocalLambda>;
  s3: S3Client;
  /** Retry intervals are multiplied by this (the template's seconds become milliseconds at 0.001) */
  retryScale: number;
}

// The interpreter ships a CommonJS build; loaded lazily so the polyfill above is in place first.
interface Interpreter {
  StateMachine: new (def: unknown, o: unknown) => { run(input: unknown, o: unknown): { result: Promise<unknown> } };
}
let alsf: Interpreter | undefined;
const loadInterpreter = async (): Promise<Interpreter> => (alsf ??= require('aws-local-stepfunctions') as Interpreter);

/** Reads a JSONPath of the forms the memq definition uses ($, $.a.b, $$.Map.Item.Value/Index). */
function pathValue(p: string, input: Json, ctx: Json): Json {
  const [root, rest] = p.startsWith('$$') ? [ctx, p.slice(2)] : [input, p.slice(1)];
  if (!/^(\.[A-Za-z0-9_-]+)*$/.test(rest)) throw new Error(`rehearsal JSONPath subset: cannot evaluate ${p}`);
  let v: Json = root;
  for (const seg of rest.split('.').filter(Boolean)) {
    if (v === null || typeof v !== 'object' || !(seg in (v as object))) throw new Error(`States.Runtime: JSONPath ${p} matched nothing`);
    v = (v as Record<string, Json>)[seg];
  }
  return v;
}

/** Payload template evaluation: keys ending in .$ take a path's value; must be an object (ASL). */
function applyTemplate(tpl: Json, input: Json, ctx: Json): Record<string, Json> {
  if (!tpl || typeof tpl !== 'object' || Array.isArray(tpl)) throw new Error(`States.Runtime: payload template must be a JSON object, got ${JSON.stringify(tpl)}`);
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(tpl as Record<string, Json>)) {
    if (k.endsWith('.$')) out[k.slice(0, -2)] = pathValue(String(v), input, ctx);
    else out[k] = v && typeof v === 'object' && !Array.isArray(v) ? applyTemplate(v, input, ctx) : v;
  }
  return out;
}

class StatesError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

export class LocalStateMachine {
  readonly runs: ExecutionResult[] = [];
  private readonly running = new Map<string, { input: string; done: Promise<ExecutionResult> }>();
  /** child executions run by Distributed Map states, for the summary */
  childExecutions = 0;

  constructor(
    readonly arn: string,
    readonly definition: Definition,
    private readonly o: LocalStateMachineOptions,
  ) {}

  /** StartExecution semantics: the same name with the same input while running returns that execution. */
  start(name: string, input: Json): { arn: string; done: Promise<ExecutionResult>; existed: boolean } {
    const execArn = `${this.arn.replace(':stateMachine:', ':execution:')}:${name}`;
    const text = JSON.stringify(input);
    const prev = this.running.get(name);
    if (prev) {
      if (prev.input === text) return { arn: execArn, done: prev.done, existed: true };
      throw new StatesError('ExecutionAlreadyExists', `Execution Already Exists: '${execArn}'`);
    }
    if (this.runs.some((r) => r.name === name)) throw new StatesError('ExecutionAlreadyExists', `Execution Already Exists: '${execArn}'`);
    const startedAt = Date.now();
    const done = this.execute(this.definition, input, { Execution: { Id: execArn, Name: name, Input: input, StartTime: new Date(startedAt).toISOString() } }).then(
      (output): ExecutionResult => ({ name, arn: execArn, status: 'SUCCEEDED', output, startedAt, endedAt: Date.now() }),
      (e: Error & { cause?: Error }): ExecutionResult => {
        const c = e.cause ?? e;
        const [error, ...cause] = String(c.name === 'Error' ? String(c) : `${c.name}: ${c.message}`).split(': ');
        return { name, arn: execArn, status: 'FAILED', error, cause: cause.join(': '), startedAt, endedAt: Date.now() };
      },
    );
    const tracked = done.then((r) => {
      this.running.delete(name);
      this.runs.push(r);
      return r;
    });
    this.running.set(name, { input: text, done: tracked });
    return { arn: execArn, done: tracked, existed: false };
  }

  describe(execArn: string): ExecutionResult | { status: 'RUNNING'; arn: string } | undefined {
    const name = execArn.split(':').pop()!;
    if (this.running.has(name)) return { status: 'RUNNING', arn: execArn };
    return this.runs.find((r) => r.name === name);
  }

  /** Runs a (sub)definition with distributed maps replaced and Lambda tasks bound to local functions. */
  private async execute(def: Definition, input: Json, context: Json): Promise<Json> {
    const { StateMachine } = await loadInterpreter();
    const handlers: Record<string, (input: Json) => Promise<Json>> = {};
    const retryOverrides: Record<string, number[]> = {};
    const states: Record<string, State> = {};
    for (const [name, st] of Object.entries(def.States)) {
      let s = st;
      const processor = st.ItemProcessor as { ProcessorConfig?: { Mode?: string } } | undefined;
      if (st.Type === 'Map' && processor?.ProcessorConfig?.Mode === 'DISTRIBUTED') {
        const { ItemReader, ItemSelector, ItemProcessor, MaxConcurrency, ToleratedFailurePercentage, ResultWriter, ItemsPath, ...rest } = st;
        void ItemsPath;
        s = { ...rest, Type: 'Task', Resource: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:rehearsal-distributed-map-${name}` };
        const spec = { ItemReader, ItemSelector, ItemProcessor, MaxConcurrency, ToleratedFailurePercentage, ResultWriter } as Record<string, Json>;
        handlers[name] = (inp) => this.distributedMap(name, spec, inp, context);
      } else if (st.Type === 'Task') {
        const fn = this.o.lambdas.get(String(st.Resource));
        if (!fn) throw new Error(`state ${name}: Resource ${String(st.Resource)} is not a Lambda function of the template`);
        handlers[name] = (inp) => fn.invoke(inp) as Promise<Json>;
      } else if (st.Type === 'Map' || st.Type === 'Parallel') {
        throw new Error(`state ${name}: inline ${st.Type} is not used by memq and not wired in the rehearsal`);
      }
      const retry = (s.Retry ?? []) as { IntervalSeconds?: number; MaxAttempts?: number; BackoffRate?: number; MaxDelaySeconds?: number }[];
      if (retry.length) {
        retryOverrides[name] = retry.map((r) => {
          const base = (r.IntervalSeconds ?? 1) * 1000 * this.o.retryScale;
          return Math.max(1, Math.round(base));
        });
      }
      states[name] = s;
    }
    const sm = new StateMachine({ ...def, States: states }, { validationOptions: { checkPaths: true, checkArn: true } });
    const ex = sm.run(input, { overrides: { taskResourceLocalHandlers: handlers, retryIntervalOverrides: retryOverrides }, context });
    return ex.result as Promise<Json>;
  }

  private async distributedMap(name: string, spec: Record<string, Json>, input: Json, context: Json): Promise<Json> {
    const reader = spec.ItemReader as { Resource: string; ReaderConfig?: { InputType?: string }; Parameters: Json };
    if (!/:states:::s3:getObject$/.test(reader.Resource) || reader.ReaderConfig?.InputType !== 'JSON') {
      throw new Error(`Map ${name}: the rehearsal reads ItemReader s3:getObject with InputType JSON only (got ${reader.Resource})`);
    }
    const where = applyTemplate(reader.Parameters, input, context) as { Bucket: string; Key: string };
    const body = await this.o.s3.send(new GetObjectCommand({ Bucket: where.Bucket, Key: where.Key }));
    const items = JSON.parse(await body.Body!.transformToString()) as Json[];
    if (!Array.isArray(items)) throw new StatesError('States.ItemReaderFailed', `s3://${where.Bucket}/${where.Key} is not a JSON array`);
    const processor = spec.ItemProcessor as Definition & { ProcessorConfig?: Json };
    const { ProcessorConfig, ...childDef } = processor;
    void ProcessorConfig;
    const limit = Math.max(1, Number(spec.MaxConcurrency ?? 1000) || 1000);
    const tolerated = Number(spec.ToleratedFailurePercentage ?? 0);
    const mapRunId = crypto.randomUUID();
    const results: { index: number; status: 'SUCCEEDED' | 'FAILED'; output?: Json; error?: string; cause?: string }[] = [];
    let next = 0;
    const worker = async () => {
      while (next < items.length) {
        const index = next++;
        const ctx = { ...(context as object), Map: { Item: { Index: index, Value: items[index] } } };
        const childInput = spec.ItemSelector ? applyTemplate(spec.ItemSelector, input, ctx) : items[index];
        this.childExecutions++;
        try {
          results.push({ index, status: 'SUCCEEDED', output: await this.execute(childDef as Definition, childInput, ctx) });
        } catch (e) {
          const c = (e as { cause?: Error }).cause ?? (e as Error);
          results.push({ index, status: 'FAILED', error: c.name, cause: c.message });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
    const failed = results.filter((r) => r.status === 'FAILED');
    if (spec.ResultWriter) {
      const w = spec.ResultWriter as { Resource: string; Parameters: Json };
      const dest = applyTemplate(w.Parameters, input, context) as { Bucket: string; Prefix?: string };
      const base = `${dest.Prefix ? `${dest.Prefix.replace(/\/$/, '')}/` : ''}${mapRunId}`;
      const put = (key: string, v: Json) => this.o.s3.send(new PutObjectCommand({ Bucket: dest.Bucket, Key: key, Body: JSON.stringify(v), ContentType: 'application/json' }));
      const ok = results.filter((r) => r.status === 'SUCCEEDED').sort((a, b) => a.index - b.index);
      await put(`${base}/SUCCEEDED_0.json`, ok.map((r) => ({ Status: 'SUCCEEDED', Output: JSON.stringify(r.output) })));
      if (failed.length) await put(`${base}/FAILED_0.json`, failed.map((r) => ({ Status: 'FAILED', Error: r.error, Cause: r.cause })));
      await put(`${base}/manifest.json`, { DestinationBucket: dest.Bucket, MapRunArn: mapRunId, ResultFiles: { SUCCEEDED: [{ Key: `${base}/SUCCEEDED_0.json`, Size: 0 }] } });
      if (failed.length * 100 > tolerated * items.length) {
        const f = failed[0]!;
        throw new StatesError('States.ExceedToleratedFailureThreshold', `${failed.length} of ${items.length} items failed; first: ${f.error}: ${f.cause}`);
      }
      return { ResultWriterDetails: { Bucket: dest.Bucket, Key: `${base}/manifest.json` } };
    }
    if (failed.length * 100 > tolerated * items.length) {
      const f = failed[0]!;
      throw new StatesError('States.ExceedToleratedFailureThreshold', `${failed.length} of ${items.length} items failed; first: ${f.error}: ${f.cause}`);
    }
    return results.sort((a, b) => a.index - b.index).map((r) => r.output ?? null);
  }
}
