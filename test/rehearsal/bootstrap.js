// The rehearsal's Lambda runtime stand-in, run as the entry of a child process: it loads the handler
// from the copied asset directory ($LAMBDA_TASK_ROOT) the way the Node.js runtime does
// (`index.handler` → require(task root/index.js).handler), then serves invocations sent over IPC one
// at a time, as one warm execution environment does. Errors are reported with the runtime's shape
// ({errorType: error.name, errorMessage}) because Step Functions matches Retry/Catch on errorType.
// Nothing here is loaded from the repository: the child's module path holds only the asset.
'use strict';
const path = require('node:path');

const root = process.env.LAMBDA_TASK_ROOT;
const [file, fn] = (() => {
  const h = process.env._HANDLER || 'index.handler';
  const dot = h.lastIndexOf('.');
  return [h.slice(0, dot), h.slice(dot + 1)];
})();

let handler;
let initError;
try {
  const mod = require(path.join(root, file));
  handler = mod[fn];
  if (typeof handler !== 'function') throw Object.assign(new Error(`${file}.${fn} is not a function`), { name: 'Runtime.HandlerNotFound' });
} catch (e) {
  initError = e;
}

function errorOf(e) {
  const err = e instanceof Error ? e : new Error(String(e));
  return { errorType: err.name || 'Error', errorMessage: String(err.message || err), trace: String(err.stack || '').split('\n').slice(0, 12) };
}

process.on('message', async (m) => {
  if (!m || m.type !== 'invoke') return;
  if (initError) return process.send({ type: 'result', id: m.id, error: { ...errorOf(initError), errorType: initError.name === 'Error' ? 'Runtime.ImportModuleError' : initError.name } });
  const context = {
    awsRequestId: m.id,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    invokedFunctionArn: m.arn,
    getRemainingTimeInMillis: () => Math.max(0, m.deadline - Date.now()),
    callbackWaitsForEmptyEventLoop: true,
  };
  try {
    const out = await handler(m.event, context);
    process.send({ type: 'result', id: m.id, result: out === undefined ? null : out });
  } catch (e) {
    process.send({ type: 'result', id: m.id, error: errorOf(e) });
  }
});
process.on('uncaughtException', (e) => {
  process.send?.({ type: 'crash', error: errorOf(e) });
  process.exit(129);
});
process.send({ type: 'ready' });
