/** A path segment "." or "..": a browser resolves it away before the request leaves the phone. */
const DOT_SEGMENT = /(^|\/)\.{1,2}(\/|$)/;

/**
 * The URL a phone opens when it scans an identifier's label: the node's proxy (GET /{prefix}/{suffix},
 * resolution/resolution-routes.ts), which percent-decodes the path. Each character that is not
 * unreserved is percent-encoded as UTF-8; the suffix keeps its "/" for a readable, shorter code,
 * unless the suffix holds a "." or ".." segment, which a browser would resolve away: then every
 * "/" is encoded too (the proxy decodes %2F as it decodes the rest).
 */
export function proxyUrl(publicUrl: string, prefix: string, suffix: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/${proxyPath(prefix, suffix)}`;
}

/** The part of the proxy URL after the public URL: the handle, path-encoded. */
export function proxyPath(prefix: string, suffix: string): string {
  const encodedSuffix = DOT_SEGMENT.test(suffix) ? encodeURIComponent(suffix) : encodeURIComponent(suffix).replace(/%2F/g, '/');
  return `${encodeURIComponent(prefix)}/${encodedSuffix}`;
}
