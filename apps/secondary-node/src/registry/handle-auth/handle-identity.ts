import { MAX_VALUE_INDEX, type ParsedHandle, type ParsedPrefix, parseHandle, parsePrefix } from '@idis/identifier';

/**
 * A Handle.Net handle identity `index:handle` (TechManual §1.4): the value at `index` of `handle`
 * holds the credential. Index 0 means "any value of the credential's type in that handle".
 */
export type HandleIdentity =
  /** A handle under an enterprise prefix, stored on this node (e.g. `300:88.118.8/ADMIN`). */
  | { kind: 'stored'; index: number; handle: ParsedHandle; text: string }
  /**
   * The prefix handle `0.NA/<prefix>`: it lives at the top level, not here, so it is an identity
   * of the enterprise owning <prefix> without a stored value behind it.
   */
  | { kind: 'prefix'; index: number; prefix: ParsedPrefix; text: string };

/** The index Handle.Net's registry gives the prefix admin key in `0.NA/<prefix>` (TechManual §1.4). */
export const PREFIX_IDENTITY_INDEX = 300;

/** Longest identity text accepted: a 10-digit index, the colon and a 255-byte handle (in characters, a bound). */
const MAX_IDENTITY_LENGTH = 10 + 1 + 255;

export class HandleIdentityError extends Error {}

/**
 * Reads `index:handle` (already percent-decoded). Handle.Net accepts a bare handle as index 0;
 * so does this node. Throws HandleIdentityError with a reason a caller may see.
 */
export function parseHandleIdentity(text: string): HandleIdentity {
  if (text.length === 0 || text.length > MAX_IDENTITY_LENGTH) throw new HandleIdentityError('the handle identity must be "index:prefix/suffix"');
  const colon = text.indexOf(':');
  const indexText = colon < 0 ? '' : text.slice(0, colon);
  const hasIndex = colon >= 0 && /^[0-9]{1,10}$/.test(indexText);
  const index = hasIndex ? Number(indexText) : 0;
  if (index > MAX_VALUE_INDEX) throw new HandleIdentityError(`the index of handle identity ${JSON.stringify(text)} is above ${MAX_VALUE_INDEX}`);
  const handleText = hasIndex ? text.slice(colon + 1) : text;
  let handle: ParsedHandle;
  try {
    handle = parseHandle(handleText);
  } catch (error) {
    throw new HandleIdentityError(`the handle identity ${JSON.stringify(text)} does not name a valid handle: ${(error as Error).message}`);
  }
  if (handle.prefixKey === '0.na') {
    try {
      return { kind: 'prefix', index, prefix: parsePrefix(handle.suffix), text: `${index}:${handleText}` };
    } catch (error) {
      throw new HandleIdentityError(`the prefix handle ${JSON.stringify(handleText)} does not name a valid prefix: ${(error as Error).message}`);
    }
  }
  return { kind: 'stored', index, handle, text: `${index}:${handleText}` };
}

/** The prefix key whose owner the identity belongs to. */
export function identityPrefixKey(identity: HandleIdentity): string {
  return identity.kind === 'prefix' ? identity.prefix.prefixKey : identity.handle.prefixKey;
}

/**
 * Percent-decoding as Handle.Net's server does it for identities (`decodeURLIgnorePlus`): `%XX`
 * sequences are UTF-8 bytes, `+` stays a plus. Undefined when the sequences are not valid UTF-8.
 */
export function percentDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

export interface BasicCredentials {
  identity: string;
  /** The password as sent, and (when it differs) percent-decoded: pyhandle percent-encodes it. */
  passwords: string[];
}

/** Base64 of at most this many characters: an identity and a password fit in far less. */
const MAX_BASIC_TOKEN = 2048;

/**
 * `Authorization: Basic base64(pct(index:handle) ":" password)`. Handle.Net requires the colon in
 * the identity percent-encoded (`300%3A88.118.8%2FADMIN`); a curl user typing `-u 300:88.118.8/ADMIN:pw`
 * sends it raw, which is read the same way when the part before the first colon is all digits.
 */
export function parseBasicCredentials(token: string): BasicCredentials {
  if (token.length === 0 || token.length > MAX_BASIC_TOKEN || !/^[A-Za-z0-9+/]+={0,2}$/.test(token)) {
    throw new HandleIdentityError('the Basic credentials are not base64');
  }
  const decoded = Buffer.from(token, 'base64').toString('utf8');
  let colon = decoded.indexOf(':');
  if (colon < 0) throw new HandleIdentityError('the Basic credentials need "identity:password"');
  if (/^[0-9]{1,10}$/.test(decoded.slice(0, colon)) && decoded.indexOf(':', colon + 1) > colon) {
    colon = decoded.indexOf(':', colon + 1);
  }
  const identity = percentDecode(decoded.slice(0, colon));
  if (identity === undefined) throw new HandleIdentityError('the identity in the Basic credentials is not valid percent-encoded UTF-8');
  const password = decoded.slice(colon + 1);
  if (password.length === 0) throw new HandleIdentityError('the Basic credentials have an empty password');
  const passwords = [password];
  const unescaped = password.includes('%') ? percentDecode(password) : undefined;
  if (unescaped !== undefined && unescaped !== password && unescaped.length > 0) passwords.push(unescaped);
  return { identity, passwords };
}
