import { type KeyObject, randomBytes, sign } from 'node:crypto';
import { encodeHandlePublicKey } from '../../apps/secondary-node/src/registry/handle-auth/handle-public-key';

/**
 * The client side of Handle.Net REST authentication, written from the protocol (TechManual §14.6,
 * CNRI StandardHandleAuthenticator) for the tests: Basic as pyhandle builds it, and answers to the
 * `Authorization: Handle` challenge signed with node:crypto keys.
 */

/**
 * Python's urllib.parse.quote (safe="/"), which pyhandle's utilhandle.create_authentication_string
 * applies to the identity and to the password: every UTF-8 byte except A-Z a-z 0-9 _ . - ~ / is %XX.
 */
export function pythonQuote(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += /[A-Za-z0-9_.\-~/]/.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** `Authorization: Basic …` exactly as pyhandle sends it: base64(quote(identity) ":" quote(password)). */
export function pyhandleBasic(identity: string, password: string): string {
  return `Basic ${Buffer.from(`${pythonQuote(identity)}:${pythonQuote(password)}`, 'utf8').toString('base64')}`;
}

/** The HS_PUBKEY value of a key, in the Handle binary encoding carried as base64. */
export function publicKeyValue(index: number, publicKey: KeyObject) {
  return { index, type: 'HS_PUBKEY', data: { format: 'base64', value: encodeHandlePublicKey(publicKey).toString('base64') } };
}

/**
 * The HS_SECKEY marker of a Basic identity on this node: the secret is the enterprise's credential
 * (account password or API key), not this value's data, which is never compared. Admin-read only,
 * like Handle.Net secret keys.
 */
export function secretKeyMarker(index: number) {
  return { index, type: 'HS_SECKEY', data: { format: 'string', value: 'enterprise credential' }, permissions: '1100' };
}

/** sessionId and nonce of a `WWW-Authenticate: Handle …` challenge (fetch joins several challenges with ", "). */
export function handleChallenge(header: string | null): { sessionId: string; nonce: string } {
  const sessionId = /sessionId="([^"]+)"/.exec(header ?? '')?.[1];
  const nonce = /nonce="([^"]+)"/.exec(header ?? '')?.[1];
  if (!sessionId || !nonce) throw new Error(`no Handle challenge in WWW-Authenticate: ${header}`);
  return { sessionId, nonce };
}

export interface AnswerOptions {
  sessionId: string;
  /** The session's nonce, base64 as the server sent it. */
  nonce: string;
  id: string;
  privateKey: KeyObject;
  alg?: 'SHA256' | 'SHA1';
  /** Sign these bytes instead of nonce ‖ cnonce (to test a wrong signature). */
  signOverride?: Buffer;
}

/** The parameters of an answer to a challenge: the signature covers the server nonce followed by the client nonce. */
export function answerParameters(options: AnswerOptions): Record<string, string> {
  const cnonce = randomBytes(16);
  const signed = options.signOverride ?? Buffer.concat([Buffer.from(options.nonce, 'base64'), cnonce]);
  const alg = options.alg ?? 'SHA256';
  const signature = sign(alg === 'SHA256' ? 'sha256' : 'sha1', signed, options.privateKey);
  return { sessionId: options.sessionId, id: options.id, type: 'HS_PUBKEY', cnonce: cnonce.toString('base64'), alg, signature: signature.toString('base64') };
}

/** `Authorization: Handle sessionId="…", id="…", …` (the id percent-encoded, as Handle.Net clients do). */
export function answerHeader(options: AnswerOptions): string {
  const p = answerParameters(options);
  return `Handle sessionId="${p.sessionId}", id="${encodeURIComponent(p.id)}", type="HS_PUBKEY", cnonce="${p.cnonce}", alg="${p.alg}", signature="${p.signature}"`;
}

export function sessionHeader(sessionId: string): string {
  return `Handle sessionId="${sessionId}"`;
}
