import { Inject, Injectable } from '@nestjs/common';
import { createHash, type KeyObject } from 'node:crypto';
import type { HandleJsonValue } from '@idis/identifier';
import { AccountRepository } from '../../auth/account.repository';
import { LoginThrottle } from '../../auth/login-throttle/login-throttle.service';
import type { Principal } from '../../auth/principal';
import { DomainError } from '../../errors/domain-errors';
import { type HandleAuthorization, HandleAuthorizationError, isAuthenticating, isHandleScheme, parseHandleAuthorization } from './handle-authorization-header';
import { HANDLE_CREDENTIAL_VERIFIERS, type HandleCredentialVerifier } from './handle-credential-verifier';
import { type HandleIdentity, HandleIdentityError, parseBasicCredentials, parseHandleIdentity } from './handle-identity';
import { HandleIdentityService } from './handle-identity.service';
import { decodeHandlePublicKey, digestOf, HandleKeyError, verifyHandleSignature } from './handle-public-key';
import { type HandleSession, HandleSessionStore } from './handle-sessions';

/** A caller proven by a handle identity. */
export interface HandleCaller {
  principal: Principal;
  /** `index:handle` that verified (for a key found through index 0, the index of that key). */
  identity: string;
  via: 'basic' | 'session';
}

/** A client nonce longer than this is not a nonce; a signature longer than this is not from an 8192-bit key. */
const MAX_CNONCE_BYTES = 256;
const MAX_SIGNATURE_BYTES = 2048;

/** Refusals of authentication: 401 with Handle responseCode 402 at the Handle REST front door. */
export function authenticationRefused(message: string): DomainError {
  return new DomainError('INVALID_CREDENTIALS', message);
}

/**
 * The two ways Handle.Net 9 REST clients authenticate writes (TechManual §14.6): HTTP Basic with a
 * handle identity and a secret, and the `Authorization: Handle` challenge–response, in which the
 * client signs the session's nonce followed by its own cnonce with the private key whose public half
 * is the identity's HS_PUBKEY value (CNRI `StandardHandleAuthenticator.verifyPublicKeyIdentity`).
 */
@Injectable()
export class HandleAuthenticator {
  constructor(
    private readonly identities: HandleIdentityService,
    private readonly accounts: AccountRepository,
    private readonly sessions: HandleSessionStore,
    @Inject(HANDLE_CREDENTIAL_VERIFIERS) private readonly verifiers: HandleCredentialVerifier[],
    private readonly throttle: LoginThrottle,
  ) {}

  /**
   * The caller an `Authorization` header proves with a handle identity (Basic or Handle scheme);
   * undefined for any other scheme (a bearer token is the node-wide AuthGuard's business).
   */
  async fromHeader(header: string): Promise<HandleCaller | undefined> {
    const basic = /^\s*Basic\s+(\S+)\s*$/i.exec(header);
    if (basic) return this.basic(basic[1]);
    if (!isHandleScheme(header)) return undefined;
    let parameters: HandleAuthorization;
    try {
      parameters = parseHandleAuthorization(header);
    } catch (error) {
      if (error instanceof HandleAuthorizationError) throw authenticationRefused(error.message);
      throw error;
    }
    return this.handle(parameters);
  }

  /** `Authorization: Basic base64(pct(index:handle):secret)`. */
  async basic(token: string): Promise<HandleCaller> {
    let identity: HandleIdentity;
    let passwords: string[];
    try {
      const credentials = parseBasicCredentials(token);
      identity = parseHandleIdentity(credentials.identity);
      passwords = credentials.passwords;
    } catch (error) {
      if (error instanceof HandleIdentityError) throw authenticationRefused(error.message);
      throw error;
    }
    // Guessing secrets is throttled like sign-ins, per identity (its own names: `handle:300:88.118.8/admin`).
    const principal = await this.throttle.everyRequest(
      `handle:${identity.text}`,
      () => this.verifySecret(identity, passwords),
      // One message for an unknown identity and a wrong secret: the refusal tells nothing apart.
      () => authenticationRefused(`handle identity ${identity.text} was not verified: unknown identity or wrong secret`),
    );
    return { principal, identity: identity.text, via: 'basic' };
  }

  private async verifySecret(identity: HandleIdentity, passwords: string[]): Promise<Principal | undefined> {
    const resolved = await this.identities.resolve(identity, 'HS_SECKEY');
    if (!resolved) return undefined;
    for (const password of passwords) {
      for (const verifier of this.verifiers) {
        const principal = await verifier.verify(resolved.enterpriseId, password);
        if (principal) return principal;
      }
    }
    return undefined;
  }

  /** `Authorization: Handle …`: a session id, with or without an answer to the session's challenge. */
  async handle(auth: HandleAuthorization): Promise<HandleCaller> {
    if (auth.sessionId === undefined) {
      if (auth.clientCert !== undefined) {
        throw authenticationRefused('client certificates are not supported by this node: use Authorization: Basic or the Handle challenge-response');
      }
      throw authenticationRefused('Authorization: Handle needs a sessionId (from POST /api/sessions or the challenge of a 401 reply)');
    }
    const session = await this.sessions.find(auth.sessionId);
    if (!session) throw authenticationRefused('the session does not exist or has expired');
    if (isAuthenticating(auth)) return this.answer(session, auth);
    return this.resume(session);
  }

  /** Checks an answer to the session's challenge; on success the session is authenticated and gets a new nonce. */
  async answer(session: HandleSession, auth: HandleAuthorization): Promise<HandleCaller> {
    if (auth.version !== undefined && auth.version !== '0') throw authenticationRefused(`unknown version ${JSON.stringify(auth.version)} in Authorization: Handle`);
    if (!auth.id || !auth.type || !auth.cnonce || !auth.alg || !auth.signature) {
      throw authenticationRefused('missing fields in the authentication data: id, type, cnonce, alg and signature are all required');
    }
    if (auth.type !== 'HS_PUBKEY') {
      throw authenticationRefused(`type ${JSON.stringify(auth.type)} is not supported here: sign with an HS_PUBKEY key, or send an HS_SECKEY secret with Authorization: Basic`);
    }
    const digest = digestOf(auth.alg);
    if (!digest) throw authenticationRefused(`alg must be SHA256 or SHA1, got ${JSON.stringify(auth.alg.slice(0, 32))}`);
    const cnonce = base64Field('cnonce', auth.cnonce, MAX_CNONCE_BYTES);
    const signature = base64Field('signature', auth.signature, MAX_SIGNATURE_BYTES);
    let identity: HandleIdentity;
    try {
      identity = parseHandleIdentity(auth.id);
    } catch (error) {
      if (error instanceof HandleIdentityError) throw authenticationRefused(error.message);
      throw error;
    }
    // The nonce this answer is checked against, taken before any await: a concurrent answer may replace it.
    const nonce = session.nonce;
    const resolved = await this.identities.resolve(identity, 'HS_PUBKEY');
    if (!resolved) throw authenticationRefused(`handle identity ${identity.text} has no HS_PUBKEY value on this node`);
    const signed = Buffer.concat([nonce, cnonce]);
    for (const value of resolved.values) {
      const key = keyOf(value);
      if (!key || !verifyHandleSignature(key, digest, signed, signature)) continue;
      const principal = await this.enterprisePrincipal(resolved.enterpriseId);
      const id = `${value.index}:${identity.kind === 'stored' ? identity.handle.handle : identity.text}`;
      if (!(await this.sessions.authenticate(session, nonce, { principal, id, keyFingerprint: fingerprint(key) }))) {
        throw authenticationRefused('this challenge was already answered or the session expired: sign the current nonce of a live session');
      }
      return { principal, identity: id, via: 'session' };
    }
    throw authenticationRefused(`handle identity ${identity.text} was not verified: the signature does not match its HS_PUBKEY`);
  }

  /** A new session with a fresh challenge (POST /api/sessions, and the challenge of a 401). */
  challenge(): Promise<HandleSession> {
    return this.sessions.open();
  }

  findSession(id: string): Promise<HandleSession | undefined> {
    return this.sessions.find(id);
  }

  closeSession(id: string): Promise<boolean> {
    return this.sessions.close(id);
  }

  /**
   * An authenticated session, checked again at every use: the identity must still hold the key
   * that verified and still speak for the same active enterprise with an active account. Removing
   * the HS_PUBKEY value (or suspending the enterprise) thus ends its sessions at once.
   */
  private async resume(session: HandleSession): Promise<HandleCaller> {
    const proven = session.identity;
    if (!proven) throw authenticationRefused('the session is not authenticated: answer its challenge first');
    const resolved = await this.identities.resolve(parseHandleIdentity(proven.id), 'HS_PUBKEY');
    const keyStillThere = resolved?.values.some((value) => {
      const key = keyOf(value);
      return key !== undefined && fingerprint(key) === proven.keyFingerprint;
    });
    if (!resolved || resolved.enterpriseId !== proven.principal.enterpriseId || !keyStillThere) {
      await this.sessions.close(session.id);
      throw authenticationRefused('the key or the enterprise behind this session has changed: authenticate again');
    }
    return { principal: await this.enterprisePrincipal(resolved.enterpriseId), identity: proven.id, via: 'session' };
  }

  /** A key identity speaks for its enterprise through the enterprise's account (audit and limits count per account). */
  private async enterprisePrincipal(enterpriseId: string): Promise<Principal> {
    const account = (await this.accounts.findByEnterprise(enterpriseId)).find((a) => a.status === 'active');
    if (!account) throw authenticationRefused('the enterprise of this handle identity has no active account');
    return { accountId: account.id, username: account.username, role: 'enterprise', enterpriseId };
  }
}

/** The public key in an HS_PUBKEY value stored as base64 or hex, or undefined if it is not one this node reads. */
function keyOf(value: HandleJsonValue): KeyObject | undefined {
  const { format, value: data } = value.data;
  if (typeof data !== 'string' || (format !== 'base64' && format !== 'hex')) return undefined;
  try {
    return decodeHandlePublicKey(Buffer.from(data, format));
  } catch (error) {
    if (error instanceof HandleKeyError) return undefined;
    throw error;
  }
}

function fingerprint(key: KeyObject): string {
  return createHash('sha256').update(key.export({ format: 'der', type: 'spki' })).digest('base64url');
}

function base64Field(name: string, text: string, maxBytes: number): Buffer {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) && !/^[A-Za-z0-9_-]*$/.test(text)) throw authenticationRefused(`${name} is not base64`);
  const bytes = Buffer.from(text, text.includes('-') || text.includes('_') ? 'base64url' : 'base64');
  if (bytes.length === 0 || bytes.length > maxBytes) throw authenticationRefused(`${name} must decode to 1 to ${maxBytes} bytes`);
  return bytes;
}
