// Host header check for `memq serve` (DNS rebinding: a web page on evil.example resolves its name to
// 127.0.0.1 and makes the victim's browser talk to the local server with `Host: evil.example`). When
// the server listens on a loopback address, only loopback host names are accepted; on any address, the
// names in `allowedHosts` (`--allowed-host`, `MEMQ_ALLOWED_HOSTS`, comma-separated) are accepted too,
// and when such a list is given nothing else is. Ports are ignored.

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** The Host names a server accepts, or null when it accepts any (exposed, no list given). */
export function allowedHosts(bindHost: string, extra: readonly string[]): Set<string> | null {
  const list = extra.map((h) => h.trim().toLowerCase()).filter(Boolean);
  if (!isLoopback(bindHost) && list.length === 0) return null;
  return new Set([...LOOPBACK_NAMES, ...list]);
}

/** The host name of a Host header without its port (`[::1]:8080` → `::1`). */
export function hostName(header: string): string {
  const h = header.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']') > 0 ? h.indexOf(']') : undefined);
  const colon = h.lastIndexOf(':');
  return colon > 0 && h.indexOf(':') === colon ? h.slice(0, colon) : h;
}

export function hostAllowed(header: string | undefined, allowed: Set<string> | null): boolean {
  if (!allowed) return true;
  if (!header) return false;
  return allowed.has(hostName(header));
}
