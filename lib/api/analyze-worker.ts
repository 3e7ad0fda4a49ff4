// Child process of `memq serve`: analyzes one uploaded dump into the store with the same
// addDumpToStore() as `memq add`, reporting progress and the manifest as JSON lines on stdout.
// Running it apart keeps the server responsive and contains a crash on a hostile dump.
import { addDumpToStore } from '../store/add';
import { isMemqError } from '../util/errors';

async function main(): Promise<void> {
  const [dir, dump, project, machine, snapshot] = process.argv.slice(2);
  if (!dir || !dump || !project || !machine || !snapshot) throw new Error('usage: analyze-worker <store> <dump> <project> <machine> <snapshot>');
  const m = await addDumpToStore(dir, dump, { project, machine, snapshot }, {
    replace: true,
    progress: (stage, done, total) => process.stdout.write(JSON.stringify({ progress: { stage, done, total } }) + '\n'),
  });
  process.stdout.write(JSON.stringify({ manifest: { os: m.os, kernel: m.kernel, counts: m.counts } }) + '\n');
}

main().catch((e) => {
  process.stderr.write(`memq: ${isMemqError(e) ? e.message : (e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
