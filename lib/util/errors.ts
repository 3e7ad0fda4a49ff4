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
