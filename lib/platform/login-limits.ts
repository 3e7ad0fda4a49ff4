// Sign-in throttling: failed attempts are counted per account (e-mail) and per client address. Past a
// few failures a key is locked for a back-off that doubles with each further failure (capped), and a
// locked key answers "too many attempts" at once — without running scrypt, so a password-guessing
// flood costs the server nothing and cannot starve other requests. A success clears the account's
// count. The address limit is higher (an office behind one NAT shares it) and catches one client
// spraying many accounts. State lives in memory, bounded (oldest keys are dropped first); the clock is
// injectable so tests need no waiting.

export interface LoginLimitOptions {
  /** failures of one account before it is locked (default 5) */
  accountFailures?: number;
  /** failures from one address before it is locked (default 30) */
  addressFailures?: number;
  /** first lock length in ms (default 1 s), doubled for each further failure */
  baseLockMs?: number;
  /** longest lock in ms (default 15 min) */
  maxLockMs?: number;
  /** failures older than this are forgotten (default 15 min) */
  windowMs?: number;
  /** keys remembered at most (default 50,000) */
  maxKeys?: number;
  now?: () => number;
}

interface Entry {
  failures: number;
  first: number;
  lockedUntil: number;
}

export class LoginLimiter {
  private readonly o: Required<LoginLimitOptions>;
  private readonly entries = new Map<string, Entry>();

  constructor(o: LoginLimitOptions = {}) {
    this.o = {
      accountFailures: o.accountFailures ?? 5,
      addressFailures: o.addressFailures ?? 30,
      baseLockMs: o.baseLockMs ?? 1000,
      maxLockMs: o.maxLockMs ?? 15 * 60_000,
      windowMs: o.windowMs ?? 15 * 60_000,
      maxKeys: o.maxKeys ?? 50_000,
      now: o.now ?? Date.now,
    };
  }

  private keys(email: string, address: string | undefined): [string, number][] {
    const k: [string, number][] = [[`acct:${email.trim().toLowerCase()}`, this.o.accountFailures]];
    if (address) k.push([`addr:${address}`, this.o.addressFailures]);
    return k;
  }

  private entry(key: string): Entry | undefined {
    const e = this.entries.get(key);
    if (e && e.lockedUntil <= this.o.now() && this.o.now() - e.first > this.o.windowMs) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }

  /** Seconds until this sign-in may be tried, or 0 when it may be tried now. */
  retryAfter(email: string, address?: string): number {
    const now = this.o.now();
    let wait = 0;
    for (const [k] of this.keys(email, address)) {
      const e = this.entry(k);
      if (e && e.lockedUntil > now) wait = Math.max(wait, e.lockedUntil - now);
    }
    return Math.ceil(wait / 1000);
  }

  failed(email: string, address?: string): void {
    const now = this.o.now();
    for (const [k, allowed] of this.keys(email, address)) {
      const e = this.entry(k) ?? { failures: 0, first: now, lockedUntil: 0 };
      e.failures++;
      if (e.failures >= allowed) e.lockedUntil = now + Math.min(this.o.maxLockMs, this.o.baseLockMs * 2 ** Math.min(30, e.failures - allowed));
      this.entries.delete(k); // re-insert: Map order is the eviction order (least recently failed first)
      this.entries.set(k, e);
    }
    while (this.entries.size > this.o.maxKeys) this.entries.delete(this.entries.keys().next().value!);
  }

  succeeded(email: string): void {
    this.entries.delete(`acct:${email.trim().toLowerCase()}`);
  }
}
