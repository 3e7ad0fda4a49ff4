// #13 item 14: malformed input is the client's mistake (400 with a message), never a 500 with a stack;
// and no message shows where things live on the server.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { startServer, type RunningServer } from '../../lib/api/server';
import { redactPaths } from '../../lib/util/redact';

let srv: RunningServer;
let dir: string;
let token: string;
let projectId: string;

function request(method: string, p: string, body?: string, auth = true): Promise<{ status: number; text: string }> {
  const u = new URL(srv.url);
  return new Promise((resolve, reject) => {
    // raw path: URL/fetch would normalize the broken escapes away
    const req = http.request({ host: u.hostname, port: u.port, method, path: p, headers: { ...(auth ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memq-hygiene-'));
  srv = await startServer({ store: dir, port: 0, webDir: dir, admin: { email: 'root@h.test', password: 'a-long-enough-password' } });
  token = (await srv.platform.login('root@h.test', 'a-long-enough-password')).token;
  const s = await srv.platform.subject((await srv.platform.authenticateToken(token))!);
  projectId = (await srv.platform.createProject(s, { name: 'p' })).id;
});
afterAll(async () => {
  await srv.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('malformed %-encoding in an API path or a UI path is 400, not a URIError 500', async () => {
  for (const p of ['/api/v1/snapshots/%E0%A4%A', '/api/v1/projects/%', '/api/v1/saved-queries/%zz']) {
    const r = await request('GET', p);
    expect(r.status).toBe(400);
    expect(JSON.parse(r.text).error.message).toMatch(/%-encoding/);
    expect(r.text).not.toMatch(/URIError|    at /);
  }
  expect((await request('GET', '/assets/%E0%A4%A', undefined, false)).status).toBe(400);
});

test('a YAML alias bomb as a custom playbook is 400 with a message', async () => {
  let y = 'l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
  for (let i = 1; i < 10; i++) y += `l${i}: &l${i} [${Array(9).fill(`*l${i - 1}`).join(',')}]\n`;
  y += 'id: bomb\ntitle: *l9\n';
  const r = await request('POST', '/api/v1/playbooks', JSON.stringify({ project_id: projectId, yaml: y }));
  expect(r.status).toBe(400);
  expect(JSON.parse(r.text).error.message).toMatch(/invalid YAML.*alias/i);
});

test('server paths are cut from messages; query text with paths is left alone', () => {
  expect(redactPaths(`${dir}/_uploads/snp_1.dump: unrecognized format`)).toBe('snp_1.dump: unrecognized format');
  expect(redactPaths('IO Error: No files found that match the pattern "/srv/store/process/project=p/x.parquet"')).toBe('IO Error: No files found that match the pattern "x.parquet"');
  expect(redactPaths('C:\\memq\\store\\a.dump: bad')).toBe('a.dump: bad');
  expect(redactPaths('ratio 3/4, a/b/c, 10.0.0.1/24')).toBe('ratio 3/4, a/b/c, 10.0.0.1/24');
  expect(redactPaths('stream the dump with PUT /api/v1/snapshots/snp_1/content')).toBe('stream the dump with PUT /api/v1/snapshots/snp_1/content');
});
