export type Ttl = { type: 'relative'; seconds: number } | { type: 'absolute'; expiresAt: number /* epoch seconds */ };

export const DEFAULT_TTL_SECONDS = 86400;
/** Handle's MAX_RECOGNIZED_TTL: caches ignore anything longer than two days. */
export const MAX_TTL_SECONDS = 172800;
/** The wire carries the TTL as a signed 32-bit integer. */
export const MAX_RELATIVE_TTL_SECONDS = 2147483647;

/**
 * How long a resolver may cache a response holding `values`: the shortest value TTL, capped at two days.
 * 0 means "do not cache".
 */
export function effectiveTtlSeconds(values: readonly { ttl: Ttl }[], nowEpochSeconds: number): number {
  if (values.length === 0) return DEFAULT_TTL_SECONDS;
  let min = MAX_TTL_SECONDS;
  for (const { ttl } of values) {
    // Floor so a fractional clock never extends caching past an absolute expiry.
    const seconds = ttl.type === 'relative' ? ttl.seconds : Math.max(0, Math.floor(ttl.expiresAt - nowEpochSeconds));
    if (seconds < min) min = seconds;
  }
  return min;
}
