import type { HandleSession } from './handle-sessions';

/**
 * The WWW-Authenticate challenges of a Handle REST 401 (CNRI `StandardHandleAuthenticationFilter`):
 * Basic for an identity and secret, and Handle with a session and its nonce, which the client
 * signs (followed by its cnonce) to answer on the next request or with PUT /api/sessions/this.
 */
export function challengeHeaders(session: HandleSession | undefined, error?: string): string[] {
  // Without a session (the session store is unreachable) the Handle challenge carries no nonce.
  const handle = session ? [`Handle realm="handle"`, `sessionId="${session.id}"`, `nonce="${session.nonce.toString('base64')}"`] : [`Handle realm="handle"`];
  if (error) handle.push(`error="${headerSafe(error)}"`);
  return ['Basic realm="handle"', handle.join(', ')];
}

/** The session as the sessions API shows it (no secrets: the nonce is a public challenge). */
export function sessionView(session: HandleSession): { sessionId: string; nonce: string; authenticated: boolean; id?: string } {
  return {
    sessionId: session.id,
    nonce: session.nonce.toString('base64'),
    authenticated: session.identity !== undefined,
    ...(session.identity ? { id: session.identity.id } : {}),
  };
}

/** Printable ASCII inside a quoted-string; anything else percent-encoded as Handle.Net does. */
function headerSafe(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text.slice(0, 300), 'utf8')) {
    if (byte === 0x22 || byte === 0x5c) out += `\\${String.fromCharCode(byte)}`;
    else if (byte >= 0x20 && byte < 0x7f && byte !== 0x25) out += String.fromCharCode(byte);
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
