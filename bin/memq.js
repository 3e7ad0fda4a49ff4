#!/usr/bin/env node
// memq CLI entry. Runs the JavaScript built at install time (dist/cli/memq.js, made by bin/build.js
// from `prepare`); falls back to the TypeScript sources through tsx when there is no build or the
// build is older than the sources it came from (lib/cli/lazy.ts checks that per bundle).
// MEMQ_FROM_SOURCE=1 forces the sources; MEMQ_DIST_ONLY=1 makes a missing/stale build an error.
'use strict';
const path = require('node:path');
const fs = require('node:fs');

function entry() {
  const dist = path.join(__dirname, '..', 'dist', 'cli', 'memq.js');
  if (process.env.MEMQ_FROM_SOURCE !== '1' && fs.existsSync(dist)) {
    const m = require(dist);
    return m.mainFromSourcesIfStale() || m.main;
  }
  if (process.env.MEMQ_DIST_ONLY === '1') throw new Error('dist/cli/memq.js missing: run `npm run build`');
  require('tsx/cjs');
  return require('../lib/cli/main.ts').main;
}

Promise.resolve()
  .then(() => entry()(process.argv))
  .catch((e) => {
    // Last-resort guard: commands report their own errors; this only catches the unexpected.
    process.stderr.write(`memq: ${e && e.message ? e.message : String(e)}\n`);
    process.exit(2);
  });
