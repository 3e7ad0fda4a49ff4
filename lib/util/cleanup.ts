// Files and folders that must not outlive the work writing them (partial decompressed dumps, staging): removed when the
// work ends, when the process exits, and when it is stopped by SIGINT / SIGTERM / SIGHUP. SIGKILL
// cannot be caught: for that, the partial file's name carries the writer's pid, and the next writer
// (or the parent of a killed worker) removes files of pids that are gone (lib/image/decompress.ts).
import * as fs from 'node:fs';

const pending = new Set<string>();
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
let installed = false;

function removeAll(): void {
  for (const f of pending) fs.rmSync(f, { force: true, recursive: true });
  pending.clear();
}

function onSignal(sig: NodeJS.Signals): void {
  const had = pending.size;
  removeAll();
  uninstall();
  if (had) process.stderr.write(`memq: stopped by ${sig}; partial output removed\n`);
  // nobody else handles this signal: die of it as the default action would (exit status 128+n)
  if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
}

function install(): void {
  if (installed) return;
  installed = true;
  for (const s of SIGNALS) process.on(s, onSignal);
  process.on('exit', removeAll);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  for (const s of SIGNALS) process.off(s, onSignal);
  process.off('exit', removeAll);
}

/**
 * Registers `file` for removal on exit or on a stopping signal until the returned function is called
 * (after the file was renamed into place or removed by the caller).
 */
export function removeOnExit(file: string): () => void {
  pending.add(file);
  install();
  return () => {
    pending.delete(file);
    if (pending.size === 0) uninstall();
  };
}
