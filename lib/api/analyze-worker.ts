// Child process of `memq serve`: analyzes one uploaded dump into the store with the same
// addDumpToStore() as `memq add`, reporting progress and the manifest as JSON lines on stdout.
// Running it apart keeps the server responsive and contains a crash on a hostile dump.
import { addDumpToStore } from '../store/add';
import { compileRules } from '../yara/engine';
import { isMemqError } from '../util/errors';
import { redactPaths } from '../util/redact';

async function main(): Promise<void> {
  const [dir, dump, project, machine, snapshot] = process.argv.slice(2);
  if (!dir || !dump || !project || !machine || !snapshot) throw new Error('usage: analyze-worker <store> <dump> <project> <machine> <snapshot>');
  // the snapshot's YARA rules (set by the server from POST /snapshots yara_rules)
  const rules = process.env.MEMQ_YARA_RULES;
  const scanner = rules ? await compileRules([{ name: 'yara_rules', text: rules }]) : undefined;
  const m = await addDumpToStore(dir, dump, { project, machine, snapshot }, {
    replace: true,
    yara: scanner ? { scanner } : undefined,
    progress: (stage, done, total) => process.stdout.write(JSON.stringify({ progress: { stage, done, total } }) + '\n'),
  });
  process.stdout.write(JSON.stringify({ manifest: { os: m.os, kernel: m.kernel, captured_at: m.captured_at ?? null, counts: m.counts } }) + '\n');
}

main().catch((e) => {
  // the stack (with paths) is for the server's log; the LAST line becomes the snapshot's error, which
  // users read: one line, no server paths
  if (!isMemqError(e)) process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  const msg = isMemqError(e) ? (e as Error).message : `internal error while analyzing: ${(e as Error).message ?? String(e)}`;
  process.stderr.write(`memq: ${redactPaths(msg.split('\n')[0]!)}\n`);
  process.exit(1);
});
