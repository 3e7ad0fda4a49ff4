// Platform errors carry the HTTP status the API answers with; they are MemqErrors so the CLI prints
// them as one line too.
import { MemqError } from '../util/errors';

export class PlatformError extends MemqError {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 422 | 500 | 501 | 503,
    message: string,
    code = statusCodes[status] ?? 'E_PLATFORM',
  ) {
    super(message, code);
    this.name = 'PlatformError';
  }
}

const statusCodes: Record<number, string> = {
  400: 'E_INVALID',
  401: 'E_UNAUTHENTICATED',
  403: 'E_FORBIDDEN',
  404: 'E_NOT_FOUND',
  409: 'E_CONFLICT',
  413: 'E_TOO_LARGE',
  422: 'E_UNPROCESSABLE',
  501: 'E_NOT_IMPLEMENTED',
  503: 'E_UNAVAILABLE',
};

export const notFound = (what: string) => new PlatformError(404, `${what} not found`);
export const forbidden = (why: string) => new PlatformError(403, why);
export const invalid = (why: string) => new PlatformError(400, why);
