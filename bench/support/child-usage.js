// Preloaded into benchmarked child processes (bench/support/memq-cli.ts): at exit, writes the process's
// CPU seconds and peak RSS to $MEMQ_USAGE_FILE — only the benchmark's direct child (the CLI), not the
// processes it starts in turn.
'use strict';
const fs = require('node:fs');
process.on('exit', () => {
  const f = process.env.MEMQ_USAGE_FILE;
  if (!f || String(process.ppid) !== process.env.MEMQ_USAGE_PARENT) return;
  const u = process.resourceUsage();
  try {
    fs.writeFileSync(f, JSON.stringify({ cpuS: (u.userCPUTime + u.systemCPUTime) / 1e6, rssMiB: u.maxRSS / 1024 }));
  } catch {
    /* best effort */
  }
});
