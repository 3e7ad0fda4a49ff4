// Browser client of the memq API: bearer token from sign-in kept in localStorage, JSON in and out,
// errors as ApiError with the server's code, message and (for queries) position.

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly body: any) {
    super(message);
  }
}

const PREFIX = '/api/v1';
let token: string | null = localStorage.getItem('memq.token');

export function setToken(t: string | null): void {
  token = t;
  if (t) localStorage.setItem('memq.token', t);
  else localStorage.removeItem('memq.token');
}
export const hasToken = () => token !== null;
export const authHeader = (): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {});

export async function api<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(PREFIX + path, {
    method,
    headers: { ...authHeader(), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  const data = text && (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text;
  if (!res.ok) {
    if (res.status === 401 && path !== '/auth/login' && token) {
      // the session ended (expired or revoked token): back to the sign-in page
      setToken(null);
      window.location.reload();
    }
    throw new ApiError(res.status, data?.error?.code ?? 'E_HTTP', data?.error?.message ?? `HTTP ${res.status}`, data);
  }
  return data as T;
}

/** PUT a file with upload progress (fetch has no upload progress events). */
export function uploadFile(url: string, file: File, headers: Record<string, string>, onProgress: (f: number) => void): Promise<any> {
  return new Promise((resolve, reject) => {
    const x = new XMLHttpRequest();
    x.open('PUT', url);
    for (const [k, v] of Object.entries({ ...headers, ...(url.startsWith('/') ? authHeader() : {}) })) x.setRequestHeader(k, v);
    x.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    x.onload = () => (x.status < 300 ? resolve(x.responseText ? JSON.parse(x.responseText) : null) : reject(new ApiError(x.status, 'E_UPLOAD', `upload failed: HTTP ${x.status} ${x.responseText.slice(0, 200)}`, null)));
    x.onerror = () => reject(new ApiError(0, 'E_UPLOAD', 'upload failed: network error', null));
    x.send(file);
  });
}

export * from './types';
