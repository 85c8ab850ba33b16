// Calls to the hub's /console/api/: the session is an HttpOnly cookie the browser sends; state-changing calls
// carry the CSRF token the login returned.

export interface User { username: string; role: 'leader' | 'operator' | 'auditor'; scope: string | null }

export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  constructor(code: string, status: number, message: string) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

let csrf = '';

export function setCsrf(token: string): void {
  csrf = token;
}

export async function api<T>(method: 'GET' | 'POST', path: string, body?: object): Promise<T> {
  const res = await fetch(`/console/api${path}`, {
    method,
    credentials: 'same-origin',
    headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...(method !== 'GET' ? { 'x-csrf-token': csrf } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const json = (await res.json()) as { error?: { code: string; message: string } };
  if (!res.ok) throw new ApiError(json.error?.code ?? 'UNKNOWN', res.status, json.error?.message ?? res.statusText);
  return json as T;
}

export function query(params: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, v);
  const s = q.toString();
  return s === '' ? '' : `?${s}`;
}
