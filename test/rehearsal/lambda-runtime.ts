// Runs a Lambda function of the synthesized template the way the service would: its built asset
// directory (cdk.out/asset.*) copied to a directory of its own and made read-only, loaded by a child
// process (test/rehearsal/bootstrap.js) whose module path holds only that asset — no repository
// node_modules — with the handler name, environment and memory size (--max-old-space-size) from the
// template, a private writable tmp directory budgeted at the function's ephemeral storage, and the
// timeout enforced by killing the environment. Warm environments are reused one invocation at a time;
// more concurrent invocations than the function's concurrency quota are throttled
// (Lambda.TooManyRequestsException), as a new account's low quota does. As root the child runs as
// `nobody`, so "read-only" is enforced by the kernel, not by convention.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as crypto from 'node:crypto';
import { fork, type ChildProcess } from 'node:child_process';

export interface LambdaSpec {
  logicalId: string;
  arn: string;
  /** e.g. index.handler */
  handler: string;
  memoryMb: number;
  timeoutS: number;
  ephemeralMb: number;
  env: Record<string, string>;
  /** the asset directory the template points at */
  assetDir: string;
}

/** An error as the Lambda service reports it (errorType becomes the Step Functions error name). */
export class LambdaError extends Error {
  constructor(
    readonly errorType: string,
    message: string,
  ) {
    super(message);
    this.name = errorType;
  }
}

export interface InvokeRecord {
  fn: string;
  ms: number;
  error?: string;
}

export interface RuntimeOptions {
  /** where code copies and tmp directories go */
  workRoot: string;
  /** environment every function gets (region, credentials, service endpoints) */
  baseEnv: Record<string, string>;
  /** concurrent environments per function before invocations are throttled */
  concurrency: number;
  /** called before each invocation: return an error to inject it instead of running the code */
  fault?: (fn: string, event: unknown) => LambdaError | undefined;
  /** every invocation, for the summary */
  onInvoke?: (r: InvokeRecord) => void;
  /** environment output (logs) */
  log?: (fn: string, line: string) => void;
}

interface Env {
  child: ChildProcess;
  tmp: string;
  busy: boolean;
  ready: Promise<void>;
  pending?: { id: string; resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };
}

const BOOTSTRAP = path.join(__dirname, 'bootstrap.js');
const NOBODY = 65534;

function dirBytes(p: string): number {
  let n = 0;
  for (const e of fs.readdirSync(p, { withFileTypes: true })) {
    const f = path.join(p, e.name);
    if (e.isDirectory()) n += dirBytes(f);
    else if (e.isFile()) n += fs.statSync(f).size;
  }
  return n;
}

function chownTree(p: string, uid: number): void {
  fs.chownSync(p, uid, uid);
  if (fs.statSync(p).isDirectory()) for (const e of fs.readdirSync(p)) chownTree(path.join(p, e), uid);
}

export class LocalLambda {
  private readonly envs: Env[] = [];
  private readonly codeDir: string;
  private readonly runtimeDir: string;
  private readonly asRoot = process.getuid?.() === 0;
  /** largest tmp usage seen after an invocation, in bytes */
  peakTmpBytes = 0;
  invocations = 0;

  constructor(
    readonly spec: LambdaSpec,
    private readonly o: RuntimeOptions,
  ) {
    const base = path.join(o.workRoot, spec.logicalId);
    this.codeDir = path.join(base, 'task');
    this.runtimeDir = path.join(base, 'runtime');
    fs.mkdirSync(base, { recursive: true });
    // mkdtemp makes 0700 directories: the unprivileged child must be able to walk to its code
    for (const d of [o.workRoot, base]) fs.chmodSync(d, 0o755);
    fs.cpSync(spec.assetDir, this.codeDir, { recursive: true, dereference: true });
    fs.mkdirSync(this.runtimeDir);
    fs.copyFileSync(BOOTSTRAP, path.join(this.runtimeDir, 'bootstrap.js'));
    // read-only code: no write bits anywhere (as root the child runs as nobody, so this holds)
    for (const d of [this.codeDir, this.runtimeDir]) execChmod(d);
  }

  private spawnEnv(): Env {
    const tmp = fs.mkdtempSync(path.join(this.o.workRoot, `${this.spec.logicalId}-tmp-`));
    if (this.asRoot) chownTree(tmp, NOBODY);
    const s = this.spec;
    const env: Record<string, string> = {
      PATH: '/usr/local/bin:/usr/bin:/bin',
      LANG: 'en_US.UTF-8',
      TZ: ':UTC',
      ...this.o.baseEnv,
      ...s.env,
      LAMBDA_TASK_ROOT: this.codeDir,
      LAMBDA_RUNTIME_DIR: this.runtimeDir,
      _HANDLER: s.handler,
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs_rehearsal',
      AWS_LAMBDA_FUNCTION_NAME: s.logicalId,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(s.memoryMb),
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      // Lambda's /tmp: here a private directory per environment (TMPDIR, which os.tmpdir() honours)
      TMPDIR: tmp,
    };
    const nodeOptions = env.NODE_OPTIONS ?? '';
    delete env.NODE_OPTIONS;
    const child = fork(path.join(this.runtimeDir, 'bootstrap.js'), [], {
      cwd: this.codeDir,
      env: { ...env, NODE_OPTIONS: nodeOptions },
      execArgv: [`--max-old-space-size=${s.memoryMb}`],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      ...(this.asRoot ? { uid: NOBODY, gid: NOBODY } : {}),
    });
    const e: Env = { child, tmp, busy: false, ready: Promise.resolve() };
    e.ready = new Promise<void>((resolve, reject) => {
      const onMsg = (m: { type: string }) => {
        if (m?.type === 'ready') {
          child.off('message', onMsg);
          resolve();
        }
      };
      child.on('message', onMsg);
      child.once('exit', (code) =>
        setImmediate(() => reject(new LambdaError('Runtime.ExitError', `${s.logicalId}: environment exited during init (code ${code}): ${tail.join(' | ').slice(-600)}`))),
      );
    });
    e.ready.catch(() => undefined);
    const tail: string[] = [];
    const log = (d: Buffer) => {
      for (const line of d.toString().split('\n')) {
        if (!line.trim()) continue;
        tail.push(line);
        if (tail.length > 8) tail.shift();
        this.o.log?.(s.logicalId, line);
      }
    };
    child.stdout!.on('data', log);
    child.stderr!.on('data', log);
    child.on('message', (m: { type: string; id?: string; result?: unknown; error?: { errorType: string; errorMessage: string } }) => {
      const p = e.pending;
      if (m.type === 'crash' && p) {
        e.pending = undefined;
        clearTimeout(p.timer);
        p.reject(new LambdaError('Runtime.ExitError', `${m.error?.errorType}: ${m.error?.errorMessage}`));
      }
      if (m.type !== 'result' || !p || m.id !== p.id) return;
      e.pending = undefined;
      clearTimeout(p.timer);
      if (m.error) p.reject(new LambdaError(m.error.errorType, m.error.errorMessage));
      else p.resolve(m.result);
    });
    child.on('exit', (code, signal) => {
      const i = this.envs.indexOf(e);
      if (i >= 0) this.envs.splice(i, 1);
      fs.rmSync(tmp, { recursive: true, force: true });
      const p = e.pending;
      if (p) {
        e.pending = undefined;
        clearTimeout(p.timer);
        p.reject(new LambdaError('Runtime.ExitError', `${s.logicalId}: environment exited (${signal ?? `code ${code}`}) during the invocation`));
      }
    });
    this.envs.push(e);
    return e;
  }

  /** Invokes the function with `event`; resolves with its result or rejects with a LambdaError. */
  async invoke(event: unknown): Promise<unknown> {
    const s = this.spec;
    const t0 = Date.now();
    const injected = this.o.fault?.(s.logicalId, event);
    if (injected) {
      this.o.onInvoke?.({ fn: s.logicalId, ms: 0, error: injected.errorType });
      throw injected;
    }
    let e = this.envs.find((x) => !x.busy);
    if (!e) {
      if (this.envs.length >= this.o.concurrency) {
        this.o.onInvoke?.({ fn: s.logicalId, ms: 0, error: 'Lambda.TooManyRequestsException' });
        throw new LambdaError('Lambda.TooManyRequestsException', `Rate Exceeded. (${s.logicalId}: ${this.o.concurrency} concurrent executions)`);
      }
      e = this.spawnEnv();
    }
    e.busy = true;
    this.invocations++;
    const env = e;
    try {
      await env.ready;
      const id = crypto.randomUUID();
      const result = await new Promise<unknown>((resolve, reject) => {
        const timer = setTimeout(() => {
          env.pending = undefined;
          reject(new LambdaError('Sandbox.Timedout', `Task timed out after ${s.timeoutS.toFixed(2)} seconds`));
          env.child.kill('SIGKILL');
        }, s.timeoutS * 1000);
        env.pending = { id, resolve, reject, timer };
        env.child.send({ type: 'invoke', id, event, arn: s.arn, deadline: Date.now() + s.timeoutS * 1000 });
      });
      const used = fs.existsSync(env.tmp) ? dirBytes(env.tmp) : 0;
      this.peakTmpBytes = Math.max(this.peakTmpBytes, used);
      if (used > s.ephemeralMb * 1024 * 1024) {
        env.child.kill('SIGKILL');
        throw new LambdaError('Runtime.EphemeralStorageExceeded', `${s.logicalId} left ${used} bytes in /tmp; its ephemeral storage is ${s.ephemeralMb} MB`);
      }
      this.o.onInvoke?.({ fn: s.logicalId, ms: Date.now() - t0 });
      return result;
    } catch (err) {
      this.o.onInvoke?.({ fn: s.logicalId, ms: Date.now() - t0, error: (err as Error).name });
      throw err;
    } finally {
      env.busy = false;
    }
  }

  /** Ends every environment (the next invocation starts cold). */
  async close(): Promise<void> {
    const all = [...this.envs];
    await Promise.all(
      all.map(
        (e) =>
          new Promise<void>((r) => {
            if (e.child.exitCode !== null || e.child.signalCode !== null) return r();
            e.child.once('exit', () => r());
            e.child.kill('SIGKILL');
          }),
      ),
    );
  }
}

function execChmod(dir: string): void {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const f = path.join(dir, e.name);
    if (e.isDirectory()) {
      execChmod(f);
      fs.chmodSync(f, 0o555);
    } else {
      fs.chmodSync(f, (fs.statSync(f).mode & 0o111) !== 0 ? 0o555 : 0o444);
    }
  }
  fs.chmodSync(dir, 0o555);
}

/** Makes a directory tree writable again so it can be removed. */
export function makeWritable(dir: string): void {
  if (!fs.existsSync(dir)) return;
  fs.chmodSync(dir, 0o755);
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const f = path.join(dir, e.name);
    if (e.isDirectory()) makeWritable(f);
    else fs.chmodSync(f, 0o644);
  }
}

export const defaultWorkRoot = () => fs.mkdtempSync(path.join(os.tmpdir(), 'memq-rehearsal-'));
