// Jest reporter that writes the plain line CI reads, "N passed, N failed[, N skipped]", to stdout and
// to test-output/summary.txt so .ci/run can print it as its very last line (after jest's own summary).
const fs = require('node:fs');
const path = require('node:path');

class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const line = `${results.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`;
    process.stdout.write(`\n${line}\n`);
    const out = path.resolve(__dirname, '../../test-output');
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, 'summary.txt'), line + '\n');
  }
}
module.exports = SummaryReporter;
