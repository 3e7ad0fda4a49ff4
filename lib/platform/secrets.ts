// Local credentials: scrypt password hashes and API tokens. A token is "memq_" + 32 random bytes
// (base64url); only its sha256 is stored, so a leaked metadata database does not leak sign-ins.
import * as crypto from 'node:crypto';

const SCRYPT = { N: 16384, r: 8, p: 1, keylen: 32 };

export function hashPassword(password: string): string {
  const salt = crypto.randomBytes(16);
  const key = crypto.scryptSync(password, salt, SCRYPT.keylen, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p });
  return `scrypt$${SCRYPT.N}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export function verifyPassword(password: string, stored: string): boolean {
  const [alg, n, salt, key] = stored.split('$');
  if (alg !== 'scrypt' || !n || !salt || !key) return false;
  const N = Number(n);
  if (!Number.isInteger(N) || N < 1024 || N > 1 << 20) return false;
  const want = Buffer.from(key, 'base64url');
  const got = crypto.scryptSync(password, Buffer.from(salt, 'base64url'), want.length, { N, r: SCRYPT.r, p: SCRYPT.p });
  return want.length === got.length && crypto.timingSafeEqual(want, got);
}

export function newTokenSecret(): string {
  return 'memq_' + crypto.randomBytes(32).toString('base64url');
}

export function tokenId(secret: string): string {
  return crypto.createHash('sha256').update(secret).digest('hex');
}

export function randomPassword(): string {
  return crypto.randomBytes(12).toString('base64url');
}
