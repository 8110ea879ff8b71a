/**
 * Told when the top-level node locates a foreign enterprise prefix, i.e. it is a real prefix filed
 * by another node (not something a caller made up). Statistics uses it to count resolutions of
 * such prefixes under their own key instead of the shared '-' bucket. Any module may provide an
 * implementation under FOREIGN_PREFIX_LISTENER; RemoteResolver looks it up once at start-up
 * (like RESOLUTION_OBSERVER_SINK), so resolution does not depend on statistics.
 */
export interface ForeignPrefixListener {
  /** `prefixKey`: the ASCII-lower-cased enterprise prefix; must be cheap and must not throw. */
  noteForeignPrefix(prefixKey: string): void;
}

export const FOREIGN_PREFIX_LISTENER = Symbol('FOREIGN_PREFIX_LISTENER');
