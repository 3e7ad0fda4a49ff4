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

/** PUT one part (a Blob slice) to its presigned URL; resolves with the ETag S3 returns (exposed by the bucket's CORS). */
function putPart(url: string, blob: Blob, onLoaded: (n: number) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const x = new XMLHttpRequest();
    x.open('PUT', url);
    x.upload.onprogress = (e) => onLoaded(e.loaded);
    x.onload = () => {
      const etag = x.getResponseHeader('ETag');
      if (x.status < 300 && etag) resolve(etag);
      else reject(new ApiError(x.status, 'E_UPLOAD', `part upload failed: HTTP ${x.status}${etag ? '' : ' (no ETag)'}`, null));
    };
    x.onerror = () => reject(new ApiError(0, 'E_UPLOAD', 'part upload failed: network error', null));
    x.send(blob);
  });
}

/**
 * Multipart upload of a dump too large for one PUT (cloud, > 5 GiB): create it, PUT the parts to
 * presigned URLs (asking for more URLs a hundred at a time), then complete — which starts analysis.
 * On failure the upload is aborted so S3 keeps no orphaned parts.
 */
export async function uploadMultipart(snapshotId: string, file: File, onProgress: (f: number) => void): Promise<void> {
  const base = `/snapshots/${encodeURIComponent(snapshotId)}/multipart`;
  let batch = await api<{ upload_id: string; part_count: number; parts: { part_number: number; url: string; offset: number; length: number }[] }>('POST', base, { part_count: 100 });
  const uploadId = batch.upload_id;
  const etags: { part_number: number; etag: string }[] = [];
  let sent = 0;
  try {
    for (;;) {
      for (const p of batch.parts) {
        const etag = await putPart(p.url, file.slice(p.offset, p.offset + p.length), (n) => onProgress((sent + n) / file.size));
        sent += p.length;
        etags.push({ part_number: p.part_number, etag });
      }
      const last = batch.parts[batch.parts.length - 1]?.part_number ?? batch.part_count;
      if (last >= batch.part_count) break;
      batch = await api('GET', `${base}/parts?upload_id=${encodeURIComponent(uploadId)}&first_part=${last + 1}&part_count=100`);
    }
    await api('POST', `${base}/complete`, { upload_id: uploadId, parts: etags });
  } catch (e) {
    await api('DELETE', `${base}?upload_id=${encodeURIComponent(uploadId)}`).catch(() => undefined);
    throw e;
  }
}

/** Downloads an API response as a file (reports, exports): fetched with the token, saved under `name`. */
export async function download(path: string, name: string): Promise<void> {
  const res = await fetch(PREFIX + path, { headers: authHeader() });
  if (!res.ok) {
    const body = await res.json().catch(() => null);
    throw new ApiError(res.status, body?.error?.code ?? 'E_HTTP', body?.error?.message ?? `HTTP ${res.status}`, body);
  }
  const a = document.createElement('a');
  a.href = URL.createObjectURL(await res.blob());
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 5000);
}

export * from './types';
