// Bundle-time step for the web-deploy Lambda (run by lib/infra/web.ts before the Lambda is bundled):
// make sure web/dist is a build of the current web sources (`npm run build:web` when it is missing or
// older than any source file; a failing build is one clear error line), then write web/dist as the
// generated module cdk.out/memq-web/embedded.cjs that lambdas/web-deploy.ts requires — esbuild inlines
// it, so the Lambda zip carries the UI and the Marketplace template needs no other asset.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { collectWebFiles, embeddedModuleSource, webFilesHash, type WebFile } from './files';

export const ROOT = path.resolve(__dirname, '../..');
export const WEB_DIR = path.join(ROOT, 'web');
export const WEB_DIST = path.join(WEB_DIR, 'dist');
/** where lambdas/web-deploy.ts finds the embedded UI (path fixed relative to the entry) */
export const EMBEDDED_MODULE = path.join(ROOT, 'cdk.out', 'memq-web', 'embedded.cjs');

function newestSourceMtime(): number {
  let newest = 0;
  const visit = (p: string) => {
    const st = fs.statSync(p);
    if (st.isDirectory()) for (const e of fs.readdirSync(p)) visit(path.join(p, e));
    else newest = Math.max(newest, st.mtimeMs);
  };
  for (const p of ['src', 'index.html', 'vite.config.mts', 'tsconfig.json']) if (fs.existsSync(path.join(WEB_DIR, p))) visit(path.join(WEB_DIR, p));
  return newest;
}

/** Why web/dist must be (re)built, or null when it is current. */
export function webBuildNeeded(): string | null {
  const index = path.join(WEB_DIST, 'index.html');
  if (!fs.existsSync(index)) return 'web/dist is missing';
  return newestSourceMtime() > fs.statSync(index).mtimeMs ? 'web/dist is older than web/ sources' : null;
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Serializes builds across processes (parallel test workers, `cdk synth` next to a test run). */
function withLock<T>(fn: () => T): T {
  const lock = path.join(ROOT, 'cdk.out', 'memq-web', '.build-lock');
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      // a lock left by a killed process is broken after 3 minutes
      if (Date.now() - fs.statSync(lock).mtimeMs > 180_000) fs.rmSync(lock, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`web UI build: timed out waiting for ${lock}`);
      else sleepSync(200);
    }
  }
  try {
    return fn();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

export function ensureWebBuild(): void {
  if (!webBuildNeeded()) return;
  withLock(() => {
    const why = webBuildNeeded();
    if (!why) return; // another process built it while we waited
    const vite = path.join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
    if (!fs.existsSync(vite)) throw new Error(`web UI build failed (${why}): vite is not installed (run \`npm ci\`)`);
    try {
      execFileSync(process.execPath, [vite, 'build', 'web', '--logLevel', 'error'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
    } catch (e) {
      const err = e as { stderr?: string; stdout?: string; message: string };
      const first = `${err.stderr ?? ''}\n${err.stdout ?? ''}`.split('\n').map((l) => l.trim()).find(Boolean) ?? err.message.split('\n')[0];
      throw new Error(`web UI build failed (${why}; \`npm run build:web\`): ${first}`);
    }
    if (webBuildNeeded()) throw new Error('web UI build failed (`npm run build:web`): web/dist/index.html was not written');
  });
}

/** Builds web/dist if needed and writes the embedded module; returns the files and their hash. */
export function prepareWebAssets(): { files: WebFile[]; hash: string; module: string } {
  ensureWebBuild();
  const files = collectWebFiles(WEB_DIST);
  if (!files.some((f) => f.key === 'index.html')) throw new Error('web UI build: web/dist has no index.html (run `npm run build:web`)');
  const src = embeddedModuleSource(files);
  fs.mkdirSync(path.dirname(EMBEDDED_MODULE), { recursive: true });
  if (!fs.existsSync(EMBEDDED_MODULE) || fs.readFileSync(EMBEDDED_MODULE, 'utf8') !== src) {
    const tmp = `${EMBEDDED_MODULE}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, src);
    fs.renameSync(tmp, EMBEDDED_MODULE); // atomic: parallel synths never read half a module
  }
  return { files, hash: webFilesHash(files), module: EMBEDDED_MODULE };
}
