// Implementation of `memq serve` (spec in serve-commands.ts): the web UI and the HTTP API.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { defaultWebDir, startServer } from '../api/server';
import { defaultStoreDir } from '../store/store';
import { MemqError } from '../util/errors';
import { isLoopback } from '../api/host-check';

/** Builds web/dist with Vite on first use (a checkout after `npm ci` has the sources, not the build). */
function ensureWebBuilt(dist: string): void {
  if (fs.existsSync(path.join(dist, 'index.html'))) return;
  const root = path.resolve(dist, '../..');
  const vite = path.join(root, 'node_modules', 'vite', 'bin', 'vite.js');
  if (!fs.existsSync(vite)) {
    process.stderr.write('memq serve: web UI not built and Vite not installed; serving the API only\n');
    return;
  }
  process.stdout.write('memq serve: building the web UI (once)…\n');
  const r = spawnSync(process.execPath, [vite, 'build', 'web', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.stderr.write('memq serve: web UI build failed; serving the API only\n');
}

export interface ServeOpts {
  store?: string;
  port: string;
  host: string;
  web?: string;
  tlsCert?: string;
  tlsKey?: string;
  allowedHost?: string[];
}

/** The warning `memq serve` prints when it listens beyond this machine without TLS, or null. */
export function exposureWarning(host: string, tls: boolean): string | null {
  if (isLoopback(host) || tls) return null;
  return (
    `memq serve: WARNING: listening on ${host} over plain HTTP — passwords, tokens and dump data cross the network unencrypted.\n` +
    '  Put a TLS reverse proxy in front (README: Security model) or pass --tls-cert/--tls-key, and list the\n' +
    '  names clients use with --allowed-host.\n'
  );
}

export async function serve(o: ServeOpts): Promise<void> {
  const port = Number(o.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new MemqError(`--port: expected 0-65535, got ${o.port}`, 'E_USAGE');
  if (!o.web) ensureWebBuilt(defaultWebDir);
  if (Boolean(o.tlsCert) !== Boolean(o.tlsKey)) throw new MemqError('--tls-cert and --tls-key go together', 'E_USAGE');
  const tls = o.tlsCert && o.tlsKey ? { certFile: o.tlsCert, keyFile: o.tlsKey } : undefined;
  const s = await startServer({ store: o.store ?? defaultStoreDir(), port, host: o.host, webDir: o.web, tls, allowedHosts: o.allowedHost });
  const warning = exposureWarning(o.host, Boolean(tls));
  if (warning) process.stderr.write(warning);
  process.stdout.write(`memq serve: ${s.url}/  (store ${path.resolve(o.store ?? defaultStoreDir())})\n`);
  if (s.admin)
    process.stdout.write(
      `first run: sign in as ${s.admin.email} with ${s.adminPasswordGenerated ? `password ${s.admin.password} (change it: it is shown once)` : 'the password from MEMQ_ADMIN_PASSWORD'}\n`,
    );
  const stop = () => void s.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
