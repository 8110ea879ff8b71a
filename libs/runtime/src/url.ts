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
