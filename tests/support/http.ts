export interface HttpReply<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface RequestOptions {
  token?: string;
  /** Sent as JSON (with content-type application/json unless `headers` name one). */
  body?: unknown;
  /** Sent as is, for malformed-body tests. */
  rawBody?: string;
  headers?: Record<string, string>;
  /** 'manual' (default): a redirect is returned as it is, for assertions on it. */
  redirect?: 'follow' | 'manual' | 'error';
  /** Throw when the reply has a body that is not JSON (by default `body` is then undefined and `text` holds it). */
  requireJson?: boolean;
}

/** One HTTP request to `${baseUrl}${path}`; the reply with its body parsed as JSON when it is JSON. */
export async function request<T = any>(baseUrl: string, method: string, path: string, options: RequestOptions = {}): Promise<HttpReply<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
  const response = await fetch(`${baseUrl}${path}`, { method, headers, body, redirect: options.redirect ?? 'manual' });
  const text = await response.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch (error) {
    if (options.requireJson) throw new Error(`${method} ${path}: ${response.status} reply is not JSON (${(error as Error).message}): ${text.slice(0, 200)}`);
    parsed = undefined;
  }
  return { status: response.status, headers: response.headers, body: parsed as T, text };
}
