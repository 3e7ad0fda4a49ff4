#!/usr/bin/env node
// memq CLI entry: registers the TypeScript loader (tsx) and hands off to lib/cli.
require('tsx/cjs');
require('../lib/cli/main.ts').main(process.argv).catch((e) => {
  // Last-resort guard: commands report their own errors; this only catches the unexpected.
  process.stderr.write(`memq: ${e && e.message ? e.message : String(e)}\n`);
  process.exit(2);
});
