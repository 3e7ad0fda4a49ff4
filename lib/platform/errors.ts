// Platform errors say what went wrong in domain terms (not found, forbidden, conflict, …); lib/api
// turns the kind into an HTTP status (router.ts), the CLI prints them as one line (they are MemqErrors).
import { MemqError } from '../util/errors';

export type ErrorKind = 'invalid' | 'unauthenticated' | 'forbidden' | 'not_found' | 'conflict' | 'too_large' | 'unprocessable' | 'internal' | 'not_implemented' | 'unavailable' | 'rate_limited';

const codes: Record<ErrorKind, string> = {
  invalid: 'E_INVALID',
  unauthenticated: 'E_UNAUTHENTICATED',
  forbidden: 'E_FORBIDDEN',
  not_found: 'E_NOT_FOUND',
  conflict: 'E_CONFLICT',
  too_large: 'E_TOO_LARGE',
  unprocessable: 'E_UNPROCESSABLE',
  internal: 'E_PLATFORM',
  not_implemented: 'E_NOT_IMPLEMENTED',
  unavailable: 'E_UNAVAILABLE',
  rate_limited: 'E_RATE_LIMITED',
};

export class PlatformError extends MemqError {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    code = codes[kind],
  ) {
    super(message, code);
    this.name = 'PlatformError';
  }
}

/** Too many attempts: try again after `retryAfter` seconds (the API sends it as Retry-After). */
export class RateLimited extends PlatformError {
  constructor(readonly retryAfter: number, message: string) {
    super('rate_limited', message);
  }
}

export const notFound = (what: string) => new PlatformError('not_found', `${what} not found`);
export const forbidden = (why: string) => new PlatformError('forbidden', why);
export const invalid = (why: string) => new PlatformError('invalid', why);
