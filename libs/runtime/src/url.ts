const MASK = '***';

/** The URL with its password (if any) shown as `***`, for start-up banners and logs. Throws for a malformed URL. */
export function redactPassword(url: string): string {
  return masked(new URL(url), { username: false });
}

/**
 * The URL with its user name and password (if any) shown as `***` and without a trailing `/`, or
 * `(unparseable URL)`: for a broker or peer URL in a status reply, where even the user name is
 * nobody's business. Never throws.
 */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return '(unparseable URL)';
  }
  return masked(parsed, { username: true }).replace(/\/$/, '');
}

function masked(url: URL, hide: { username: boolean }): string {
  if (url.password) url.password = MASK;
  if (hide.username && url.username) url.username = MASK;
  return url.toString();
}

/** Query parameters whose value is a credential (tokens, keys, passwords, signatures). */
const SECRET_PARAMETER = /token|secret|password|passwd|key|signature|sig$|auth|credential/i;

/**
 * A request target (`/path?a=1&token=…`) with the values of credential-like query parameters
 * shown as `***`, for log lines: a token sent in a query string must not end up in the logs.
 */
export function redactQuery(target: string): string {
  const query = target.indexOf('?');
  if (query < 0) return target;
  const parts = target
    .slice(query + 1)
    .split('&')
    .map((part) => {
      const equals = part.indexOf('=');
      const name = equals < 0 ? part : part.slice(0, equals);
      let decoded = name;
      try {
        decoded = decodeURIComponent(name);
      } catch {
        decoded = name;
      }
      return equals >= 0 && SECRET_PARAMETER.test(decoded) ? `${name}=${MASK}` : part;
    });
  return `${target.slice(0, query)}?${parts.join('&')}`;
}
