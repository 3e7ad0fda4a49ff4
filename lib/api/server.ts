// The local HTTP server behind `memq serve`: node:http in front of the one router (createApi), plus the
// built web UI as static files (SPA fallback to index.html). Metadata lives in SQLite inside the
// store (<store>/_platform/meta.sqlite); the first run creates the admin user.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as path from 'node:path';
import { Platform } from '../platform/service';
import { SqliteRepository } from '../platform/sqlite-repository';
import { createApi, type Api } from './router';
import { API_PREFIX } from './http';
import { tokenAuthenticator } from './identity';
import { localDataPlane } from '../dataplane/planes';
import type { LocalDumpsOptions } from '../dataplane/local-dumps';
import type { DataPlaneService } from '../dataplane/service';
import { securityHeaders } from './security-headers';
import { defaultSlowRequestLimits, guardRequestBody, type SlowRequestLimits } from './slow-requests';
import { allowedHosts, hostAllowed } from './host-check';
import { registerStoreSnapshots } from './store-sync';
import { metadataFile } from '../platform/store-names';
import { storeGeneration } from '../store/store';

export interface ServeOptions {
  store: string;
  port?: number;
  host?: string;
  /** built UI folder (default web/dist of this checkout); absent = API only */
  webDir?: string | null;
  admin?: { email?: string; password?: string };
  data?: LocalDumpsOptions;
  validateResponses?: boolean;
  /** slow-client limits (tests shorten them) */
  slowRequests?: Partial<SlowRequestLimits>;
  /** serve HTTPS with this certificate and key (PEM files) */
  tls?: { certFile: string; keyFile: string };
  /** Host header names accepted besides loopback ones (default $MEMQ_ALLOWED_HOSTS, comma-separated) */
  allowedHosts?: string[];
}

export interface RunningServer {
  url: string;
  api: Api;
  platform: Platform;
  data: DataPlaneService;
  /** set on first run only */
  admin: { email: string; password: string } | null;
  /** the first-run password was generated (not given by the caller or MEMQ_ADMIN_PASSWORD) */
  adminPasswordGenerated: boolean;
  close(): Promise<void>;
}

export const defaultWebDir = path.resolve(__dirname, '../../web/dist');

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

function serveStatic(webDir: string, urlPath: string, res: http.ServerResponse): void {
  let rel: string;
  try {
    rel = decodeURIComponent(urlPath).replace(/^\/+/, '');
  } catch {
    res.writeHead(400, { 'content-type': 'text/plain' }).end('malformed %-encoding in the path\n');
    return;
  }
  let file = path.resolve(webDir, rel);
  // never outside the web folder; unknown paths are client-side routes → index.html
  if (!file.startsWith(path.resolve(webDir) + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) file = path.join(webDir, 'index.html');
  if (!fs.existsSync(file)) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('web UI not built: run `npm run build:web`\n');
    return;
  }
  const immutable = file.includes(`${path.sep}assets${path.sep}`);
  res.writeHead(200, { ...securityHeaders, 'content-type': types[path.extname(file)] ?? 'application/octet-stream', 'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache' });
  fs.createReadStream(file).pipe(res);
}

export async function startServer(o: ServeOptions): Promise<RunningServer> {
  const data = localDataPlane(o.store, o.data); // creates the store folder
  const repo = new SqliteRepository(metadataFile(o.store));
  const platform = new Platform(repo);
  const boot = await platform.bootstrap({ email: o.admin?.email ?? process.env.MEMQ_ADMIN_EMAIL, password: o.admin?.password ?? process.env.MEMQ_ADMIN_PASSWORD });
  const api = createApi({ platform, data, auth: tokenAuthenticator(platform), localSignIn: true, validateResponses: o.validateResponses });
  const webDir = o.webDir === undefined ? defaultWebDir : o.webDir;
  // one store: what `memq add` put in the folder is registered on first sight (at start, and whenever
  // the store's generation moves while serving), one sync at a time
  const storeDir = path.resolve(o.store);
  let syncedGeneration: string | null = null;
  let syncing: Promise<void> | null = null;
  const warned = new Set<string>();
  const syncStore = async (): Promise<void> => {
    // a sync already under way may have read the store before its latest change: then once more (bounded)
    for (let round = 0; round < 3 && storeGeneration(storeDir) !== syncedGeneration; round++) {
      const gen = storeGeneration(storeDir);
      syncing ??= registerStoreSnapshots(platform, storeDir)
        .then((r) => {
          syncedGeneration = gen;
          for (const s of r.skipped) if (!warned.has(s.snapshot)) warned.add(s.snapshot), console.error(`memq serve: ${s.snapshot} not shown: ${s.reason}`);
        })
        .catch((e: Error) => {
          // never fail the API because of the store's contents: say so once per store change
          syncedGeneration = gen;
          console.error(`memq serve: registering the store's snapshots failed: ${e.message}`);
        })
        .finally(() => (syncing = null));
      await syncing;
    }
  };
  await syncStore();
  // analyses cut short by a stop or crash start again (the uploaded dump is kept in the store)
  for (const snap of await repo.all('snapshot')) {
    if (snap.status === 'analyzing') await data.startAnalysis(snap, async (patch) => void (await platform.updateSnapshotStatus(snap.id, patch)));
  }

  const slow = { ...defaultSlowRequestLimits, ...o.slowRequests };
  const hosts = allowedHosts(o.host ?? '127.0.0.1', o.allowedHosts ?? (process.env.MEMQ_ALLOWED_HOSTS ?? '').split(','));
  const handler = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    try {
      // DNS rebinding: a page elsewhere pointing its name at this server is refused
      if (!hostAllowed(req.headers.host, hosts)) {
        res.writeHead(421, { 'content-type': 'text/plain' }).end('unexpected Host header: add the name with --allowed-host or MEMQ_ALLOWED_HOSTS\n');
        return;
      }
      const url = new URL(req.url ?? '/', 'http://localhost');
      guardRequestBody(req, res, url.pathname, slow);
      if (url.pathname.startsWith(API_PREFIX + '/') || url.pathname === API_PREFIX) {
        await syncStore();
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
        const out = await api.handle({ method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), headers, body: req, client: req.socket.remoteAddress });
        res.writeHead(out.status, { ...securityHeaders, ...out.headers }).end(out.body);
        return;
      }
      if (webDir && (req.method === 'GET' || req.method === 'HEAD')) return serveStatic(webDir, url.pathname, res);
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    } catch (e) {
      console.error('memq serve:', e);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('internal error\n');
    }
  };
  const opts = { connectionsCheckingInterval: slow.checkIntervalMs };
  const server = o.tls
    ? https.createServer({ ...opts, cert: fs.readFileSync(o.tls.certFile), key: fs.readFileSync(o.tls.keyFile) }, handler)
    : http.createServer(opts, handler);
  server.requestTimeout = 0; // multi-GB uploads: bodies are bounded by guardRequestBody instead
  server.headersTimeout = slow.headersMs;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 8080, o.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as { port: number; address: string };
  return {
    url: `${o.tls ? 'https' : 'http'}://${addr.address.includes(':') ? `[${addr.address}]` : addr.address}:${addr.port}`,
    api,
    platform,
    data,
    admin: boot.created ? { email: boot.user!.email, password: boot.password! } : null,
    adminPasswordGenerated: boot.created && !(o.admin?.password ?? process.env.MEMQ_ADMIN_PASSWORD),
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await data.close();
      await repo.close();
    },
  };
}
