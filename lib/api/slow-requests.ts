// Slow-client protection for `memq serve` (node:http). Headers must arrive within `headersMs` (node's
// headersTimeout). A request body must arrive within `bodyMs` — JSON bodies are at most 8 MB — except a
// dump upload (`PUT …/snapshots/{id}/content`, many GB), which instead must keep up at least
// `uploadMinBytes` per `uploadWindowMs`. A client trickling slower is disconnected, so thousands of
// authenticated slow bodies cannot hold the server's sockets and memory indefinitely.
import type * as http from 'node:http';

export interface SlowRequestLimits {
  /** all request headers within this (default 20 s) */
  headersMs: number;
  /** a whole non-upload request body within this (default 30 s) */
  bodyMs: number;
  /** an upload must deliver at least this many bytes per window (default 256 KiB per 30 s) */
  uploadMinBytes: number;
  uploadWindowMs: number;
  /** how often node checks header deadlines (default 1 s; node's own default is 30 s) */
  checkIntervalMs: number;
}

export const defaultSlowRequestLimits: SlowRequestLimits = {
  headersMs: 20_000,
  bodyMs: 30_000,
  uploadMinBytes: 256 << 10,
  uploadWindowMs: 30_000,
  checkIntervalMs: 1000,
};

const UPLOAD = /\/snapshots\/[^/]+\/content$/;

function hasBody(req: http.IncomingMessage): boolean {
  const len = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (len !== undefined && len !== '0');
}

/** Arms the body deadline of one request; disarmed when the body has arrived. */
export function guardRequestBody(req: http.IncomingMessage, res: http.ServerResponse, pathname: string, l: SlowRequestLimits): void {
  if (!hasBody(req)) return;
  let timer: NodeJS.Timeout;
  const cut = (why: string) => {
    if (!res.headersSent) res.writeHead(408, { 'content-type': 'text/plain', connection: 'close' }).end(`${why}\n`);
    req.socket.destroy();
  };
  if (req.method === 'PUT' && UPLOAD.test(pathname)) {
    // counted on the socket: a 'data' listener on the request would start it flowing before the
    // route reads it
    let mark = req.socket.bytesRead;
    const check = () => {
      const now = req.socket.bytesRead;
      if (now - mark < l.uploadMinBytes) return cut(`upload slower than ${l.uploadMinBytes} bytes per ${l.uploadWindowMs / 1000} s: closed`);
      mark = now;
      timer = setTimeout(check, l.uploadWindowMs);
    };
    timer = setTimeout(check, l.uploadWindowMs);
  } else {
    timer = setTimeout(() => cut(`request body not received within ${l.bodyMs / 1000} s: closed`), l.bodyMs);
  }
  // disarmed only when the whole body has arrived (or the connection is gone): an early answer (a 404,
  // a 401) does not end the deadline, since node keeps reading the rest of the body after it
  const done = () => clearTimeout(timer);
  req.once('end', done);
  req.once('close', done);
}
