// A fault-injecting HTTP proxy on 127.0.0.1 in front of s3rver, for the S3 read tests and the bench.
// It forwards requests verbatim (Host header included, so SigV4 signatures still verify) and, on the
// requests chosen by its rules, answers 503 SlowDown / 500 InternalError / 403, resets the connection,
// cuts the body short, or adds latency. It runs in a child process: S3Source blocks the calling thread
// while its worker waits, so nothing in the test process could answer. Rules are set (and the request
// log read) over HTTP under /__fault/ — bucket names cannot contain '_', so no S3 path collides.
import { spawn, type ChildProcess } from 'node:child_process';

export type FaultAction = '503' | '500' | '403' | 'reset' | 'cut' | 'delay';

export interface FaultRule {
  /** only requests with this method ('GET', 'HEAD'); default any */
  method?: string;
  action: FaultAction;
  /** let this many matching requests through first (default 0) */
  skip?: number;
  /** how many matching requests get the fault; -1 = every one from then on (default 1) */
  count?: number;
  /** for 'delay': milliseconds added before forwarding (default 20) */
  ms?: number;
}

export interface ProxiedRequest {
  method: string;
  url: string;
  range?: string;
  action: FaultAction | 'pass';
}

export interface FaultProxy {
  endpoint: string;
  setRules(rules: FaultRule[]): Promise<void>;
  /** requests seen since the last reset (rules and log reset together by setRules) */
  log(): Promise<ProxiedRequest[]>;
  stop(): void;
}

const PROXY_SOURCE = `
const http = require('node:http');
const targetPort = Number(process.argv[process.argv.length - 1]);
let rules = [];
let log = [];
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const SLOWDOWN = '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>';
const INTERNAL = '<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message></Error>';
const DENIED = '<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>';
function pick(req) {
  for (const r of rules) {
    if (r.method && r.method !== req.method) continue;
    if (r.skip > 0) { r.skip--; continue; }
    if (r.count === 0) continue;
    if (r.count > 0) r.count--;
    return r;
  }
  return null;
}
function forward(req, res, cut) {
  const up = http.request({ host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers: req.headers, agent }, (ur) => {
    res.writeHead(ur.statusCode, ur.headers);
    if (!cut) return ur.pipe(res);
    // send part of the body, then drop the connection mid-transfer
    const want = Math.max(1, Math.floor(Number(ur.headers['content-length'] || 2) / 2));
    let sent = 0;
    ur.on('data', (d) => {
      if (sent >= want) return;
      const part = d.subarray(0, want - sent);
      sent += part.length;
      res.write(part);
      if (sent >= want) { ur.destroy(); res.socket.destroy(); }
    });
  });
  up.on('error', () => res.socket && res.socket.destroy());
  req.pipe(up);
}
const server = http.createServer((req, res) => {
  if (req.url.startsWith('/__fault/')) {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      if (req.url === '/__fault/rules') {
        rules = JSON.parse(body).map((r) => ({ skip: 0, count: 1, ...r }));
        log = [];
        res.end('{}');
      } else res.end(JSON.stringify(log));
    });
    return;
  }
  const r = pick(req);
  const action = r ? r.action : 'pass';
  log.push({ method: req.method, url: req.url, range: req.headers.range, action });
  const xml = (status, text) => {
    req.resume();
    res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(text) });
    res.end(req.method === 'HEAD' ? undefined : text);
  };
  switch (action) {
    case '503': return xml(503, SLOWDOWN);
    case '500': return xml(500, INTERNAL);
    case '403': return xml(403, DENIED);
    case 'reset': req.resume(); return req.socket.destroy();
    case 'cut': return forward(req, res, true);
    case 'delay': return setTimeout(() => forward(req, res, false), r.ms == null ? 20 : r.ms);
    default: return forward(req, res, false);
  }
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
`;

export async function startFaultProxy(targetEndpoint: string): Promise<FaultProxy> {
  const targetPort = Number(new URL(targetEndpoint).port);
  const child: ChildProcess = spawn(process.execPath, ['-e', PROXY_SOURCE, String(targetPort)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let timer: NodeJS.Timeout | undefined;
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /\{"port":(\d+)\}/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', (c) => reject(new Error(`fault proxy exited with ${c}`)));
    timer = setTimeout(() => reject(new Error('fault proxy did not start in 10 s')), 10000);
  }).finally(() => clearTimeout(timer));
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    async setRules(rules) {
      const r = await fetch(`${endpoint}/__fault/rules`, { method: 'POST', body: JSON.stringify(rules) });
      if (!r.ok) throw new Error(`fault proxy rules: HTTP ${r.status}`);
      await r.text();
    },
    async log() {
      return (await (await fetch(`${endpoint}/__fault/log`)).json()) as ProxiedRequest[];
    },
    stop() {
      if (child.exitCode === null) child.kill();
    },
  };
}
