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
    if (res.status === 401 && path !== '/auth/login') setToken(null);
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

export type Tlp = 'CLEAR' | 'GREEN' | 'AMBER' | 'AMBER+STRICT' | 'RED';
export interface User { id: string; email: string; name: string; org_admin: boolean; org_id: string }
export interface Project { id: string; name: string; description: string; role: string | null }
export interface Machine { id: string; name: string; project_id: string; os: string }
export interface Snapshot {
  id: string; project_id: string; machine_id: string; name: string; status: 'uploading' | 'analyzing' | 'ready' | 'failed';
  progress: number; stage: string; error: string | null; dump_name: string; size: number; os: string | null; kernel: string | null;
  counts: Record<string, number>; classification: Tlp; tags: string[]; created_by: string; created_at: string;
}
export interface Column { name: string; kind: string }
export interface Page { columns: Column[]; rows: unknown[][]; total: number | null; offset: number }
export interface Catalog {
  tables: Record<string, { doc: string; platform: string; columns: { name: string; kind: string; doc: string; nullable: boolean; platform: string }[] }>;
  objects: Record<string, { doc: string; primary: string; default_columns: string[]; sub_objects: Record<string, { table: string; cardinality: string; doc: string; fields: string[] }> }>;
  tlp: Tlp[];
}
export interface Share { id: string; target_kind: 'project' | 'user'; target_id: string; revoked_at: string | null; created_at: string }
export interface Playbook { id: string; title: string; description: string; severity: string; platform: string; techniques: { id: string; name: string; tactics: string[] }[]; queries: string[] }
export interface HuntHit { playbook_id: string; title: string; severity: string; techniques: Playbook['techniques']; snapshot_id: string; columns: string[]; rows: unknown[][] }
export type Scope = { snapshot_ids?: string[]; machine_id?: string; project_id?: string; all?: boolean };
