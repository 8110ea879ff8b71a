import { reactive } from 'vue';
import { ApiError, errorOf } from '@idis/console-kit/problem';
import type { Settings } from './logic/types';

const TOKEN_KEY = 'idis-top-level-operator';

/**
 * The operator's session: the token lives in this tab's sessionStorage only (gone with the tab),
 * and the settings the sign-in read with it. Any later 401/403 ends the session with a notice.
 */
export const session = reactive({
  token: sessionStorage.getItem(TOKEN_KEY),
  settings: null as Settings | null,
  /** An i18n key shown on the sign-in page (why the operator is there again). */
  notice: '' as string,
});

export function signedIn(): boolean {
  return session.token !== null;
}

/** Checks the token on GET /api/v1/settings; only a token the API accepts is kept. */
export async function signIn(token: string): Promise<void> {
  session.settings = await request<Settings>('GET', '/api/v1/settings', undefined, token);
  session.token = token;
  session.notice = '';
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function signOut(notice = ''): void {
  session.token = null;
  session.settings = null;
  session.notice = notice;
  sessionStorage.removeItem(TOKEN_KEY);
}

/** Is the node open (no TOP_LEVEL_ADMIN_TOKEN)? Asked before sign-in, to say the token may be left empty. */
export async function nodeIsOpen(): Promise<boolean> {
  try {
    await request('GET', '/api/v1/settings', undefined, '');
    return true;
  } catch {
    return false;
  }
}

/** A call with the session's token; a refused token signs the operator out (the router then shows sign-in). */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  try {
    if (session.settings === null && session.token !== null) session.settings = await request<Settings>('GET', '/api/v1/settings', undefined, session.token);
    return await request<T>(method, path, body, session.token ?? '');
  } catch (error) {
    if (error instanceof ApiError && error.refusesToken && session.token !== null) signOut('signIn.expired');
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
