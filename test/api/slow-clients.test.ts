// #13 item 11: clients that trickle headers or bodies are disconnected instead of holding a socket
// forever. Limits are shortened for the test; each check waits for the server to close the socket
// (bounded by jest's timeout), it asserts no durations.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { startServer, type RunningServer } from '../../lib/api/server';

let srv: RunningServer;
let dir: string;
let token: string;
let port: number;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-slow-'));
  srv = await startServer({
    store: dir, port: 0, host: '127.0.0.1', webDir: null, admin: { email: 'root@slow.test', password: 'slow-test-password' },
    slowRequests: { headersMs: 500, bodyMs: 500, uploadMinBytes: 1024, uploadWindowMs: 500, checkIntervalMs: 100 },
  });
  port = Number(new URL(srv.url).port);
  token = (await srv.platform.login('root@slow.test', 'slow-test-password')).token;
});
afterAll(async () => {
  await srv.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Connects, writes `head`, then one byte of `drip` at a time while the socket stays open; resolves with what the server answered when it closed. */
function trickle(head: string, drip: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1');
    let got = '';
    let i = 0;
    let timer: NodeJS.Timeout;
    sock.on('data', (d) => (got += d.toString()));
    sock.on('error', () => undefined);
    sock.on('close', () => {
      clearInterval(timer);
      resolve(got);
    });
    sock.on('connect', () => {
      sock.write(head);
      timer = setInterval(() => {
        if (i < drip.length) sock.write(drip[i++]!);
        else {
          clearInterval(timer);
          reject(new Error('the server let the trickle finish'));
          sock.destroy();
        }
      }, 100);
    });
  });
}

test('a trickled JSON body is cut off (408) instead of holding the connection', async () => {
  const body = JSON.stringify({ name: 'x'.repeat(200) });
  const head = `POST /api/v1/projects HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
  const answer = await trickle(head, body);
  expect(answer).toMatch(/^HTTP\/1\.1 408/);
});

test('trickled headers are cut off', async () => {
  const answer = await trickle('GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n', 'X-Slow: ' + 'a'.repeat(200));
  expect(answer).toMatch(/^HTTP\/1\.1 408|^$/);
});

test('an upload slower than the minimum rate is cut off; a normal request still works', async () => {
  const head = `PUT /api/v1/snapshots/snp_x/content HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/octet-stream\r\nContent-Length: 100000\r\n\r\n`;
  await trickle(head, 'z'.repeat(300));
  const r = await fetch(`${srv.url}/api/v1/health`);
  expect(r.status).toBe(200);
});
