// Local credentials: scrypt password hashes and API tokens. A token is "memq_" + 32 random bytes
// (base64url); only its sha256 is stored, so a leaked metadata database does not leak sign-ins.
import * as crypto from 'node:crypto';

const SCRYPT = { N: 16384, r: 8, p: 1, keylen: 32 };

/** scrypt on the libuv thread pool: a sign-in never blocks the event loop (other requests, /health). */
function scrypt(password: string, salt: Buffer, keylen: number, N: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    crypto.scrypt(password, salt, keylen, { N, r: SCRYPT.r, p: SCRYPT.p, maxmem: 64 * 1024 * 1024 }, (e, key) => (e ? reject(e) : resolve(key))),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.randomBytes(16);
  const key = await scrypt(password, salt, SCRYPT.keylen, SCRYPT.N);
  return `scrypt$${SCRYPT.N}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [alg, n, salt, key] = stored.split('$');
  if (alg !== 'scrypt' || !n || !salt || !key) return false;
  const N = Number(n);
  if (!Number.isInteger(N) || N < 1024 || N > 1 << 20) return false;
  const want = Buffer.from(key, 'base64url');
  if (want.length < 16 || want.length > 64) return false;
  const got = await scrypt(password, Buffer.from(salt, 'base64url'), want.length, N);
  return want.length === got.length && crypto.timingSafeEqual(want, got);
}

let dummy: Promise<string> | null = null;
/**
 * A hash of a random password, made once: sign-in verifies against it when the e-mail is unknown (or
 * has no password), so an unknown account costs the same scrypt as a known one and answers in the same
 * time — the answer time does not tell which e-mails exist.
 */
export function dummyHash(): Promise<string> {
  return (dummy ??= hashPassword(crypto.randomBytes(24).toString('base64url')));
}

export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 1000;
const COMMON = new Set(['password', 'password1', 'password123', '12345678', '123456789', '1234567890', 'qwertyui', 'qwerty123', 'iloveyou', 'admin123', 'administrator', 'changeme', 'letmein1', '11111111', '00000000', 'abcdefgh', 'memq1234']);

/**
 * Why a new password is not acceptable, or null (NIST SP 800-63B style: a minimum length, no
 * composition rules, refuse the obvious): at least 8 characters, at most 1000, not one repeated
 * character, not a well-known password, not the account's e-mail or its local part.
 */
export function passwordProblem(password: string, email?: string): string | null {
  if (password.length < MIN_PASSWORD_LENGTH) return `the password must have at least ${MIN_PASSWORD_LENGTH} characters`;
  if (password.length > MAX_PASSWORD_LENGTH) return `the password must have at most ${MAX_PASSWORD_LENGTH} characters`;
  const lower = password.toLowerCase();
  if (new Set(lower).size === 1) return 'the password must not be one repeated character';
  if (COMMON.has(lower)) return 'the password is a well-known one: choose another';
  const e = email?.trim().toLowerCase();
  if (e && (lower === e || lower === e.split('@')[0])) return 'the password must not be the e-mail address';
  return null;
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
