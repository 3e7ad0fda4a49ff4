// Debian tools a test needs (Chromium for the browser tests, openssl for a TLS certificate): `npm test`
// on a fresh machine brings them itself with apt-get when it runs as root; otherwise the test fails with
// one line saying what to install. A missing tool never skips or passes a test.
import { spawnSync } from 'node:child_process';

function apt(args: string[]): { ok: boolean; out: string } {
  const r = spawnSync('apt-get', ['-o', 'DPkg::Lock::Timeout=600', ...args], {
    encoding: 'utf8',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    timeout: 15 * 60_000,
  });
  return { ok: r.status === 0, out: `${r.stderr ?? ''}${r.stdout ?? ''}${r.error ? String(r.error) : ''}` };
}

/**
 * Makes `works()` true by installing Debian package `pkg` when it is not (as root, with apt-get);
 * throws one line naming `what`, why it cannot be installed, and `fix`.
 */
export function ensureDebianPackage(pkg: string, what: string, works: () => boolean, fix: string, log: (line: string) => void = (l) => process.stderr.write(l + '\n')): void {
  if (works()) return;
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  const hasApt = spawnSync('apt-get', ['--version'], { encoding: 'utf8' }).status === 0;
  if (!root || !hasApt) throw new Error(`${what} missing and this test cannot install it (${!hasApt ? 'no apt-get' : 'not root'}): ${fix}`);
  log(`${what} missing; installing Debian's ${pkg} with apt-get (once)…`);
  const upd = apt(['update', '-qq']);
  const inst = apt(['install', '-y', '-qq', '--no-install-recommends', pkg]);
  if (!inst.ok || !works()) {
    const why = (inst.out || upd.out).trim().split('\n').filter(Boolean).slice(-1)[0] ?? 'unknown error';
    throw new Error(`${what} missing and \`apt-get install ${pkg}\` failed (${why}): ${fix}`);
  }
}
