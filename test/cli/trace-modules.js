// Preloaded (NODE_OPTIONS=--require) into the built CLI and its child processes by built-cli.test.ts:
// loading tsx becomes an error, and at exit each process writes the files it loaded with require()
// to $MEMQ_TRACE_DIR/<pid>.json.
'use strict';
const Module = require('node:module');
const fs = require('node:fs');
const path = require('node:path');

const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (/^tsx(\/|$)/.test(request)) throw new Error(`tsx required at run time (${request})`);
  return resolve.call(this, request, ...rest);
};
process.on('exit', () => {
  if (!process.env.MEMQ_TRACE_DIR) return;
  fs.writeFileSync(path.join(process.env.MEMQ_TRACE_DIR, `${process.pid}.json`), JSON.stringify(Object.keys(require.cache)));
});
