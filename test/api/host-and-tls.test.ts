// #13 item 15 (serving): a loopback server refuses foreign Host headers (DNS rebinding), accepts the
// names it is told; `--host 0.0.0.0` without TLS prints a warning; --tls-cert/--tls-key serve HTTPS.
import { execFileSync } from 'node:child_process';
import { ensureDebianPackage } from '../support/debian';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { startServer, type RunningServer } from '../../lib/api/server';
import { allowedHosts, hostAllowed, hostName } from '../../lib/api/host-check';
import { exposureWarning } from '../../lib/cli/serve-run';

const servers: RunningServer[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

async function serve(extra: object = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-host-'));
  dirs.push(dir);
  const s = await startServer({ store: dir, port: 0, host: '127.0.0.1', webDir: null, admin: { email: 'root@h.test', password: 'host-test-password' }, ...extra });
  servers.push(s);
  return { s, dir };
}

function get(url: string, host: string, agent?: https.Agent): Promise<number> {
  const u = new URL(url);
  const mod = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    mod.get({ host: u.hostname, port: u.port, path: '/api/v1/health', headers: { host }, ...(agent ? { agent } : {}) }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject);
  });
}

test('Host header: loopback names pass, a rebinding name is refused (421), configured names pass', async () => {
  const { s } = await serve({ allowedHosts: ['memq.corp.example'] });
  const port = new URL(s.url).port;
  expect(await get(s.url, `127.0.0.1:${port}`)).toBe(200);
  expect(await get(s.url, `localhost:${port}`)).toBe(200);
  expect(await get(s.url, `[::1]:${port}`)).toBe(200);
  expect(await get(s.url, `evil.example:${port}`)).toBe(421);
  expect(await get(s.url, `memq.corp.example`)).toBe(200);
  expect(hostName('[::1]:8080')).toBe('::1');
  expect(hostAllowed(undefined, allowedHosts('127.0.0.1', []))).toBe(false);
  // exposed without a list: any Host (documented: give the list)
  expect(hostAllowed('anything', allowedHosts('0.0.0.0', []))).toBe(true);
  expect(hostAllowed('anything', allowedHosts('0.0.0.0', ['memq.corp.example']))).toBe(false);
});

test('plain HTTP beyond loopback is warned about; loopback or TLS is not', () => {
  expect(exposureWarning('0.0.0.0', false)).toMatch(/WARNING: listening on 0\.0\.0\.0 over plain HTTP.*\n.*--tls-cert/s);
  expect(exposureWarning('127.0.0.1', false)).toBeNull();
  expect(exposureWarning('0.0.0.0', true)).toBeNull();
});

const haveOpenssl = () => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

test('--tls-cert/--tls-key: the server speaks HTTPS', async () => {
  // the certificate comes from Debian's openssl, installed by the test when missing (never a skip)
  ensureDebianPackage('openssl', 'openssl', haveOpenssl, 'install it with `apt-get install openssl`');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-tls-'));
  dirs.push(dir);
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
  const { s } = await serve({ tls: { certFile: cert, keyFile: key } });
  expect(s.url.startsWith('https://127.0.0.1:')).toBe(true);
  const agent = new https.Agent({ ca: fs.readFileSync(cert), checkServerIdentity: () => undefined });
  expect(await get(s.url, `localhost:${new URL(s.url).port}`, agent)).toBe(200);
});
