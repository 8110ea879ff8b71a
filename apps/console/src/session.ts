import { reactive } from 'vue';
import { ApiError, errorOf } from '@idis/console-kit/problem';
import { fileNameOf } from './logic/download';
import type { IssuedToken, Me } from './logic/types';

const TOKEN_KEY = 'idis-console-token';

/**
 * Who is signed in: the bearer token lives in this tab's sessionStorage only (gone with the tab),
 * `me` is what GET /api/v1/auth/me said of it. A later 401 (expired, revoked, password changed,
 * account deactivated) ends the session with a notice; the menu follows `me.role`, but the API
 * checks every call itself.
 */
export const session = reactive({
  token: sessionStorage.getItem(TOKEN_KEY),
  me: null as Me | null,
  /** An i18n key shown on the sign-in page (why the user is there again). */
  notice: '' as string,
});

export function signedIn(): boolean {
  return session.token !== null;
}

/** Exchanges username and password for a token, and keeps it once /auth/me accepts it. */
export async function signIn(username: string, password: string): Promise<Me> {
  const issued = await request<IssuedToken>('POST', '/api/v1/auth/token', { username, password }, '');
  const me = await request<Me>('GET', '/api/v1/auth/me', undefined, issued.accessToken);
  session.token = issued.accessToken;
  session.me = me;
  session.notice = '';
  sessionStorage.setItem(TOKEN_KEY, issued.accessToken);
  return me;
}

export function signOut(notice = ''): void {
  session.token = null;
  session.me = null;
  session.notice = notice;
  sessionStorage.removeItem(TOKEN_KEY);
}

/** The signed-in account, asked once per page load (a reload keeps the token, not `me`). */
export async function currentUser(): Promise<Me | null> {
  if (session.token === null) return null;
  if (session.me === null) session.me = await api<Me>('GET', '/api/v1/auth/me');
  return session.me;
}

/** A JSON call with the session's token; a refused token signs the user out (the shell then shows sign-in). */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  return guarded(() => request<T>(method, path, body, session.token ?? ''));
}

/**
 * A download (CSV, XLSX, PDF, PNG, SVG) with the session's token: the reply's bytes and the file
 * name its Content-Disposition gives (else `fallbackName`).
 */
export async function download(path: string, fallbackName: string, init: { method?: string; body?: unknown; accept?: string } = {}): Promise<{ blob: Blob; fileName: string }> {
  return guarded(async () => {
    const headers: Record<string, string> = { accept: init.accept ?? '*/*' };
    if (session.token) headers.authorization = `Bearer ${session.token}`;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(path, { method: init.method ?? 'GET', headers, body: init.body === undefined ? undefined : JSON.stringify(init.body), cache: 'no-store' });
    if (!response.ok) throw errorOf(response.status, response.statusText, await response.text());
    return { blob: await response.blob(), fileName: fileNameOf(response.headers.get('content-disposition')) ?? fallbackName };
  });
}

/** Hands a downloaded file to the browser as a download. */
export function saveFile(file: { blob: Blob; fileName: string }): void {
  const url = URL.createObjectURL(file.blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = file.fileName;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

async function guarded<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401 && session.token !== null) signOut('signIn.expired');
    throw error;
  }
}

async function request<T>(method: string, path: string, body: unknown, token: string): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token !== '') headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
  const text = await response.text();
  if (!response.ok) throw errorOf(response.status, response.statusText, text);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** A GET of JSON that also answers the reply's headers (the EPCIS query's `Link: <…>; rel="next"`, say). */
export async function apiWithHeaders<T>(path: string): Promise<{ body: T; headers: Headers }> {
  return guarded(async () => {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (session.token) headers.authorization = `Bearer ${session.token}`;
    const response = await fetch(path, { headers, cache: 'no-store' });
    const text = await response.text();
    if (!response.ok) throw errorOf(response.status, response.statusText, text);
    return { body: JSON.parse(text) as T, headers: response.headers };
  });
}
