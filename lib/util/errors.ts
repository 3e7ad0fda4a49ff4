// Error type for failures the user should see as a one-line message (bad input, unsupported format),
// as opposed to bugs. The CLI prints `message` and exits non-zero; it never prints a stack for these.
export class MemqError extends Error {
  constructor(
    message: string,
    /** stable machine-readable code, e.g. 'E_FORMAT', 'E_TRUNCATED', 'E_QUERY' */
    readonly code: string = 'E_MEMQ',
  ) {
    super(message);
    this.name = 'MemqError';
  }
}

export function isMemqError(e: unknown): e is MemqError {
  return e instanceof MemqError;
}

/**
 * "Try again": a failure of the infrastructure, not of the input — S3 5xx / SlowDown / throttling,
 * a reset connection, a request that timed out. Raised only after the reader's own retries (capped
 * exponential backoff with jitter) are spent; the Step Functions Retry rule for 'TransientError' then
 * retries the whole state. Deliberately NOT a MemqError: code that treats a MemqError as "bad input"
 * (and the state machine's 0-retry rule for it) must never see a transient failure as one, and
 * nothing may turn it into "unreadable memory, skipped".
 */
export class TransientError extends Error {
  constructor(
    message: string,
    /** stable machine-readable code: 'E_S3_THROTTLED', 'E_S3_5XX', 'E_NETWORK', 'E_TIMEOUT', … */
    readonly code: string = 'E_TRANSIENT',
  ) {
    super(message);
    this.name = 'TransientError';
  }
}

export function isTransientError(e: unknown): e is TransientError {
  return e instanceof TransientError || (e instanceof Error && e.name === 'TransientError');
}
