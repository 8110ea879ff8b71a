import { percentDecode } from './handle-identity';

/**
 * The parameters of `Authorization: Handle k=v, k="v", …` (Handle.Net 9 REST API, TechManual §14.6),
 * also accepted as a JSON body on PUT /api/sessions/this. Unknown parameters are ignored, as the
 * Handle.Net server does.
 */
export interface HandleAuthorization {
  version?: string;
  sessionId?: string;
  /** `index:handle`, percent-decoded (the only parameter Handle.Net percent-encodes). */
  id?: string;
  type?: string;
  cnonce?: string;
  alg?: string;
  signature?: string;
  clientCert?: string;
}

const KNOWN = ['version', 'sessionId', 'id', 'type', 'cnonce', 'alg', 'signature', 'clientCert'] as const;
type Known = (typeof KNOWN)[number];

/** Bounds a header the node parses: real ones are a few hundred characters (a 4096-bit RSA signature is 684 base64). */
const MAX_HEADER_LENGTH = 8192;
const MAX_PARAMETERS = 16;

export class HandleAuthorizationError extends Error {}

const SCHEME = /^\s*Handle\s+/i;
// token = 1*tchar (RFC 9110 §5.6.2); quoted-string with backslash escapes.
const PARAMETER = /\s*([-A-Za-z0-9!#$%&'*+.^_`|~]+)\s*=\s*([-A-Za-z0-9!#$%&'*+.^_`|~/=:]+|"(?:[^"\\]|\\.)*")\s*(,|$)/y;

export function isHandleScheme(header: string): boolean {
  return SCHEME.test(header);
}

/** Throws HandleAuthorizationError for a header that is not `Handle` followed by well-formed parameters. */
export function parseHandleAuthorization(header: string): HandleAuthorization {
  if (header.length > MAX_HEADER_LENGTH) throw new HandleAuthorizationError(`the Authorization header is longer than ${MAX_HEADER_LENGTH} characters`);
  const scheme = SCHEME.exec(header);
  if (!scheme) throw new HandleAuthorizationError('the Authorization header does not use the Handle scheme');
  const rest = header.slice(scheme[0].length).trimEnd();
  const result: HandleAuthorization = {};
  PARAMETER.lastIndex = 0;
  let count = 0;
  while (PARAMETER.lastIndex < rest.length) {
    const start = PARAMETER.lastIndex;
    const match = PARAMETER.exec(rest);
    if (!match) throw new HandleAuthorizationError(`the Authorization: Handle parameters are malformed at character ${start + scheme[0].length}`);
    if (++count > MAX_PARAMETERS) throw new HandleAuthorizationError(`the Authorization: Handle header has more than ${MAX_PARAMETERS} parameters`);
    assign(result, match[1], unquote(match[2]));
    if (match[3] === '' && PARAMETER.lastIndex < rest.length) throw new HandleAuthorizationError('the Authorization: Handle parameters must be separated by commas');
  }
  if (count === 0) throw new HandleAuthorizationError('the Authorization: Handle header has no parameters');
  return result;
}

/** Reads the same parameters from a JSON object (PUT /api/sessions/this); non-string members are refused. */
export function handleAuthorizationFromJson(body: unknown): HandleAuthorization {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new HandleAuthorizationError('the body must be a JSON object');
  const result: HandleAuthorization = {};
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    if (!(KNOWN as readonly string[]).some((k) => k.toLowerCase() === key.toLowerCase())) continue;
    if (typeof value !== 'string' || value.length > MAX_HEADER_LENGTH) throw new HandleAuthorizationError(`${key} must be a string of at most ${MAX_HEADER_LENGTH} characters`);
    // In a JSON body the identity is not percent-encoded (it is in the header only).
    assign(result, key, value, false);
  }
  return result;
}

/** Whether these parameters try to authenticate (as opposed to naming a session only). */
export function isAuthenticating(auth: HandleAuthorization): boolean {
  return auth.id !== undefined || auth.type !== undefined || auth.alg !== undefined || auth.signature !== undefined;
}

function assign(result: HandleAuthorization, key: string, value: string, decodeId = true): void {
  const known = KNOWN.find((k) => k.toLowerCase() === key.toLowerCase()) as Known | undefined;
  if (!known) return;
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new HandleAuthorizationError(`the ${known} parameter contains a control character`);
  if (known === 'id' && decodeId) {
    const decoded = percentDecode(value);
    if (decoded === undefined) throw new HandleAuthorizationError('the id parameter is not valid percent-encoded UTF-8');
    result.id = decoded;
    return;
  }
  result[known] = value;
}

function unquote(raw: string): string {
  if (!raw.startsWith('"')) return raw;
  return raw.slice(1, -1).replace(/\\(.)/g, '$1');
}
