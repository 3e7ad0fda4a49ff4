// Lazy command modules. `memq --help` and option parsing load only main.ts and the command specs
// (commander + option lists); a command's implementation (`*-run.ts`, which pulls in the engines,
// DuckDB, the query compiler…) is required when that command runs.
//
// Two ways to run: the JavaScript built at install time (dist/cli/, `npm run build`, run by `prepare`;
// each `*-run.js` is one esbuild bundle beside memq.js) or the TypeScript sources through tsx
// (development). A built bundle is used only while every source file it was built from is unchanged
// (dist/cli/build.json lists them with size and mtime); otherwise that module comes from the sources,
// so an edited checkout never runs stale code. MEMQ_DIST_ONLY=1 turns that fallback into an error
// (the test of the built CLI sets it).
import * as fs from 'node:fs';
import * as path from 'node:path';

/** dist/cli/build.json: per bundle, the repository files it was built from as [path, size, mtimeMs]. */
export interface BuildInfo {
  version: 1;
  bundles: Record<string, [string, number, number][]>;
}

const BUILT = __filename.endsWith('.js') && path.basename(__dirname) === 'cli' && path.basename(path.dirname(__dirname)) === 'dist';
/** repository root: two levels above both lib/cli/ and dist/cli/ */
export const ROOT = path.resolve(__dirname, '../..');
let info: BuildInfo | null | undefined;

function buildInfo(): BuildInfo | null {
  if (info !== undefined) return info;
  try {
    info = JSON.parse(fs.readFileSync(path.join(__dirname, 'build.json'), 'utf8')) as BuildInfo;
  } catch {
    info = null;
  }
  return info;
}

/** Why the built bundle `file` (e.g. 'inspect-run.js') cannot be used, or null when it is current. */
export function staleReason(file: string): string | null {
  if (!BUILT) return 'running from the TypeScript sources';
  const inputs = buildInfo()?.bundles[file];
  if (!inputs) return `dist/cli/build.json has no entry for ${file}`;
  if (!fs.existsSync(path.join(__dirname, file))) return `dist/cli/${file} missing`;
  for (const [rel, size, mtimeMs] of inputs) {
    let st: fs.Stats;
    try {
      st = fs.statSync(path.join(ROOT, rel));
    } catch {
      return `${rel} was removed since the build`;
    }
    if (st.size !== size || st.mtimeMs !== mtimeMs) return `${rel} changed since the build`;
  }
  return null;
}

let tsxRegistered = false;
function fromSources(name: string, why: string): unknown {
  if (process.env.MEMQ_DIST_ONLY === '1') throw new Error(`built CLI not usable for ${name} (${why}); run \`npm run build\``);
  if (!tsxRegistered) {
    require('tsx/cjs');
    tsxRegistered = true;
  }
  return require(path.join(ROOT, 'lib', 'cli', `${name}.ts`));
}

/** The implementation module `./<name>` (lib/cli/<name>.ts), from dist/cli/<name>.js when current. */
export function load<T>(name: string): T {
  if (!BUILT) return require(path.join(__dirname, name)) as T;
  const why = staleReason(`${name}.js`);
  return (why ? fromSources(name, why) : require(path.join(__dirname, `${name}.js`))) as T;
}

/** Entry of the built CLI (dist/cli/memq.js): runs main() from this bundle when it is current, else from the sources. */
export function mainFromSourcesIfStale(): ((argv: string[]) => Promise<void>) | null {
  if (!BUILT) return null;
  const why = staleReason('memq.js');
  return why ? (fromSources('main', why) as { main: (argv: string[]) => Promise<void> }).main : null;
}
