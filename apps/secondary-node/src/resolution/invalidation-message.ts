/**
 * What travels on the `${redisKeyPrefix}invalidate` channel: the lookup keys whose cached copies
 * every replica must drop, or "everything". `origin` names the publishing process so it can skip
 * its own messages (it has already dropped its copies).
 */
export type InvalidationMessage = { origin: string; keys: string[] } | { origin: string; all: true };

export function encodeInvalidation(message: InvalidationMessage): string {
  return 'all' in message ? JSON.stringify({ o: message.origin, all: true }) : JSON.stringify({ o: message.origin, k: message.keys });
}

/** Undefined for anything that is not a message of ours (the channel is shared by name only). */
export function decodeInvalidation(text: string): InvalidationMessage | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { o, k, all } = parsed as { o?: unknown; k?: unknown; all?: unknown };
  if (typeof o !== 'string') return undefined;
  if (all === true) return { origin: o, all: true };
  if (Array.isArray(k) && k.every((key) => typeof key === 'string')) return { origin: o, keys: k as string[] };
  return undefined;
}
