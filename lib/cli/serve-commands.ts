// `memq serve`: the web UI and the HTTP API on the embedded default (local store + DuckDB + SQLite
// metadata). Prints the address and, on first run, the admin sign-in. Spec only; the work is in
// serve-run.ts (lazy: `memq --help` loads neither DuckDB nor SQLite).
import type { Command } from 'commander';
import { load } from './lazy';
import type { ServeOpts } from './serve-run';

type ServeRun = typeof import('./serve-run');

export function register(program: Command): void {
  program
    .command('serve')
    .description('web UI + HTTP API over a local store (first run creates the admin user)')
    .option('--store <dir>', 'store directory (default $MEMQ_STORE or ./memq-store)')
    .option('--port <n>', 'TCP port', '8080')
    .option('--host <addr>', 'listen address', '127.0.0.1')
    .option('--web <dir>', 'built web UI folder (default: web/dist of this install)')
    .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM; with --tls-key)')
    .option('--tls-key <file>', 'private key of --tls-cert (PEM)')
    .option('--allowed-host <name...>', 'Host header names to accept besides localhost (default $MEMQ_ALLOWED_HOSTS)')
    .action((o: ServeOpts) => load<ServeRun>('serve-run').serve(o));
}
