#!/usr/bin/env node
// Builds the CLI that `memq` runs: JavaScript bundles in dist/cli/ (ignored by git), made with esbuild
// at install time (`prepare`, i.e. `npm ci` / `npm install`) and before `npm test` (`pretest`).
//
//   dist/cli/memq.js          main + command specs + commander: all that `memq --help` loads
//   dist/cli/<name>-run.js    one command group's implementation each, required when it runs
//   dist/cli/analyze-worker.js  the child process `memq serve` starts per upload
//   dist/cli/build.json       per bundle, the repository files it was built from (size, mtime):
//                             lib/cli/lazy.ts runs a bundle only while they are unchanged
//
// Bundles sit two levels below the repository root like the sources (lib/<dir>/), so what the code
// resolves from __dirname still resolves: ../../playbooks, ../../web/dist, node_modules (see EXTERNAL
// for the packages that stay there: native DuckDB/SQLite, iced-x86's WebAssembly beside its JS, …).
// Files are replaced atomically and only when their content changed, so a `memq` running during a
// rebuild never reads half a file. Without esbuild (e.g. `npm ci --omit=dev`) this prints one line and
// exits 0: memq then runs from the TypeScript sources through tsx.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const OUT = path.join(ROOT, 'dist', 'cli');
const quiet = process.argv.includes('--quiet');

/** bundle file → entry source (repository-relative) */
const ENTRIES = {
  'memq.js': 'lib/cli/main.ts',
  'inspect-run.js': 'lib/cli/inspect-run.ts',
  'analyze-run.js': 'lib/cli/analyze-run.ts',
  'store-run.js': 'lib/cli/store-run.ts',
  'query-run.js': 'lib/cli/query-run.ts',
  'hunt-run.js': 'lib/cli/hunt-run.ts',
  'serve-run.js': 'lib/cli/serve-run.ts',
  'evidence-run.js': 'lib/cli/evidence-run.ts',
  'analyze-worker.js': 'lib/api/analyze-worker.ts',
};
/**
 * Packages kept in node_modules (required at run time): native code, files read beside their JS
 * (iced-x86's .wasm), ESM loaded by import() or in a child process (xz-decompress), the S3 SDK the
 * S3 reader's worker requires by resolved path, and the development-only loaders. Every other package
 * is pure JS and inlined: loading one bundle is faster than resolving its files one by one (zod alone
 * is ~100 files).
 */
const EXTERNAL = [/^@duckdb\//, /^better-sqlite3$/, /^iced-x86$/, /^xz-decompress$/, /^@virustotal\/yara-x$/, /^@aws-sdk\//, /^@smithy\//, /^tsx$/, /^esbuild$/];

function packageName(spec) {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

const externalsPlugin = {
  name: 'memq-externals',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      const name = packageName(args.path);
      if (args.path.startsWith('node:') || EXTERNAL.some((re) => re.test(name))) return { path: args.path, external: true };
      return undefined;
    });
  },
};

/**
 * Packages required on first use instead of when the bundle loads: DuckDB's native addon takes
 * 0.1–0.2 s to load, and `memq analyze` / `memq add` only need it once the dump is open and the tables
 * are extracted. A named import compiles to `pkg.Name` at each use, so a Proxy module defers the load.
 */
const LAZY = ['@duckdb/node-api'];
const lazyPlugin = {
  name: 'memq-lazy',
  setup(build) {
    const filter = new RegExp(`^(${LAZY.map((p) => p.replace(/[/.]/g, '\\$&')).join('|')})$`);
    build.onResolve({ filter }, (args) => (args.namespace === 'memq-lazy' ? { path: args.path, external: true } : { path: args.path, namespace: 'memq-lazy' }));
    build.onLoad({ filter: /.*/, namespace: 'memq-lazy' }, (args) => ({
      resolveDir: ROOT,
      // esbuild's CJS interop (__toESM) makes an object whose prototype is this module's prototype and
      // copies its own keys: report none and make the prototype the lazy one, so `pkg.Name` loads on use
      contents: `let m; const load = () => m || (m = require(${JSON.stringify(args.path)}));
const lazy = new Proxy({}, { get: (_t, k) => load()[k], has: (_t, k) => k in load() });
module.exports = new Proxy({}, {
  getPrototypeOf: () => lazy,
  ownKeys: () => [],
  get: (_t, k) => (k === '__esModule' ? undefined : load()[k]),
  has: (_t, k) => k in load(),
});`,
    }));
  },
};

/** JSON data files become JSON.parse("…") (much cheaper for V8 to compile than an object literal). */
const jsonPlugin = {
  name: 'memq-json',
  setup(build) {
    build.onLoad({ filter: /\.json$/ }, (args) => {
      const text = fs.readFileSync(args.path, 'utf8');
      JSON.parse(text); // fail the build on a broken file, as esbuild's own JSON loader would
      return { contents: `module.exports = JSON.parse(${JSON.stringify(text)});`, loader: 'js' };
    });
  },
};

function statAll(dir, out = new Map()) {
  for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = path.posix.join(dir, e.name);
    if (e.isDirectory()) statAll(rel, out);
    else if (e.isFile()) {
      const st = fs.statSync(path.join(ROOT, rel));
      out.set(rel, [rel, st.size, st.mtimeMs]);
    }
  }
  return out;
}

function writeIfChanged(file, data) {
  try {
    if (Buffer.compare(fs.readFileSync(file), Buffer.from(data)) === 0) return false;
  } catch {
    /* new file */
  }
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
  return true;
}

async function main() {
  let esbuild;
  try {
    esbuild = require('esbuild');
  } catch {
    console.log('memq build: esbuild not installed; `memq` will run from the TypeScript sources (tsx)');
    return;
  }
  const t0 = process.hrtime.bigint();
  // stat the sources before building: a file edited during the build then shows as changed (stale)
  const stats = statAll('lib');
  const pkg = fs.statSync(path.join(ROOT, 'package.json'));
  stats.set('package.json', ['package.json', pkg.size, pkg.mtimeMs]);
  fs.mkdirSync(OUT, { recursive: true });
  const common = {
    absWorkingDir: ROOT,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    write: false,
    metafile: true,
    logLevel: 'silent',
    legalComments: 'none',
    minifySyntax: true,
    minifyWhitespace: true,
  };
  const info = { version: 1, bundles: {} };
  const results = await Promise.all(
    Object.entries(ENTRIES).map(async ([file, entry]) => {
      const res = await esbuild.build({
        ...common,
        entryPoints: [entry],
        outfile: path.join(OUT, file),
        plugins: [lazyPlugin, externalsPlugin, jsonPlugin],
      });
      return { file, res };
    }),
  );
  let changed = 0;
  for (const { file, res } of results) {
    for (const o of res.outputFiles) if (writeIfChanged(o.path, o.contents)) changed++;
    const inputs = Object.keys(res.metafile.inputs).filter((f) => !f.startsWith('node_modules/') && !/^[\w-]+:/.test(f)); // not packages, not virtual modules
    info.bundles[file] = inputs.map((f) => {
      const s = stats.get(f);
      if (!s) throw new Error(`memq build: ${f} is an input of ${file} but was not found before the build`);
      return s;
    });
  }
  writeIfChanged(path.join(OUT, 'build.json'), JSON.stringify(info) + '\n');
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (!quiet) console.log(`memq build: dist/cli (${results.length} bundles, ${changed} changed) in ${ms.toFixed(0)} ms`);
}

main().catch((e) => {
  process.stderr.write(`memq build failed: ${e && e.message ? e.message : e}\n`);
  process.exit(1);
});
