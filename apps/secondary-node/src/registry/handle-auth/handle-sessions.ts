import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Principal } from '../../auth/principal';

/** What a session proved: who, through which handle identity, with which key. */
export interface SessionIdentity {
  principal: Principal;
  /** `index:handle` as the client named it, with the index that verified. */
  id: string;
  /** sha256 of the public key's SPKI: the session ends when the key stored for the identity changes. */
  keyFingerprint: string;
}

export interface HandleSession {
  readonly id: string;
  /** The challenge: the client signs nonce ‖ cnonce. Replaced once consumed, so a signature works once. */
  nonce: Buffer;
  readonly createdAt: number;
  lastUsedAt: number;
  identity?: SessionIdentity;
}

export interface HandleSessionLimits {
  /** An authenticated session unused this long expires. */
  idleSeconds: number;
  /** No session lives longer than this, used or not. */
  maxAgeSeconds: number;
  /** Authenticated sessions kept at most (the least recently used goes first); the same bound for open challenges. */
  maxSessions: number;
}

/** An unanswered challenge expires after this long (or the idle time, if shorter). */
export const CHALLENGE_SECONDS = 300;
const NONCE_BYTES = 16;

/**
 * Where the Handle.Net REST sessions (`/api/sessions`, `Authorization: Handle sessionId=…`) live:
 * in memory (MemoryHandleSessionStore, one replica) or in Redis when REDIS_URL is set
 * (RedisHandleSessionStore, shared by every replica).
 */
export abstract class HandleSessionStore {
  /** A new unauthenticated session with a fresh nonce. */
  abstract open(): Promise<HandleSession>;
  /** The live session with this id (an authenticated one is marked used), or undefined. */
  abstract find(id: string): Promise<HandleSession | undefined>;
  /**
   * Marks the session authenticated if `signedNonce` is its current nonce, and replaces the nonce:
   * the same signature cannot authenticate twice. False when the session or the nonce is gone.
   */
  abstract authenticate(session: HandleSession, signedNonce: Buffer, identity: SessionIdentity): Promise<boolean>;
  /** Ends the session (DELETE /api/sessions/this, or a revoked key); false if it did not exist. */
  abstract close(id: string): Promise<boolean>;
}

export function newNonce(): Buffer {
  return randomBytes(NONCE_BYTES);
}

export function newSessionId(): string {
  return randomBytes(24).toString('base64url');
}

/**
 * The sessions in memory with a bound. Open challenges and authenticated sessions are kept apart,
 * so that a flood of anonymous challenges (anyone can ask for one) can only evict other
 * challenges, never a session someone authenticated. Sessions belong to the replica that issued them.
 */
export class MemoryHandleSessionStore extends HandleSessionStore {
  /** Both maps iterate oldest first: a touched session is re-inserted, so eviction takes the least recently used. */
  private readonly challenges = new Map<string, HandleSession>();
  private readonly sessions = new Map<string, HandleSession>();

  constructor(
    private readonly limits: HandleSessionLimits,
    private readonly now: () => number = Date.now,
  ) {
    super();
  }

  open(): Promise<HandleSession> {
    return Promise.resolve(this.openNow());
  }

  find(id: string): Promise<HandleSession | undefined> {
    return Promise.resolve(this.findNow(id));
  }

  authenticate(session: HandleSession, signedNonce: Buffer, identity: SessionIdentity): Promise<boolean> {
    return Promise.resolve(this.authenticateNow(session.id, signedNonce, identity));
  }

  close(id: string): Promise<boolean> {
    return Promise.resolve(this.challenges.delete(id) || this.sessions.delete(id));
  }

  private openNow(): HandleSession {
    this.dropExpired(this.challenges);
    while (this.challenges.size >= this.limits.maxSessions) this.challenges.delete(this.challenges.keys().next().value as string);
    const at = this.now();
    const session: HandleSession = { id: newSessionId(), nonce: newNonce(), createdAt: at, lastUsedAt: at };
    this.challenges.set(session.id, session);
    return session;
  }

  private findNow(id: string): HandleSession | undefined {
    const challenge = this.challenges.get(id);
    if (challenge) {
      if (this.expired(challenge)) {
        this.challenges.delete(id);
        return undefined;
      }
      return challenge;
    }
    const session = this.sessions.get(id);
    if (!session) return undefined;
    this.sessions.delete(id);
    if (this.expired(session)) return undefined;
    session.lastUsedAt = this.now();
    this.sessions.set(id, session);
    return session;
  }

  private authenticateNow(id: string, signedNonce: Buffer, identity: SessionIdentity): boolean {
    const session = this.findNow(id);
    if (!session || session.nonce.length !== signedNonce.length || !timingSafeEqual(session.nonce, signedNonce)) return false;
    this.challenges.delete(id);
    this.sessions.delete(id);
    this.dropExpired(this.sessions);
    while (this.sessions.size >= this.limits.maxSessions) this.sessions.delete(this.sessions.keys().next().value as string);
    session.identity = identity;
    session.nonce = newNonce();
    session.lastUsedAt = this.now();
    this.sessions.set(id, session);
    return true;
  }

  get size(): { challenges: number; sessions: number } {
    return { challenges: this.challenges.size, sessions: this.sessions.size };
  }

  private expired(session: HandleSession): boolean {
    const at = this.now();
    if (at - session.createdAt >= this.limits.maxAgeSeconds * 1000) return true;
    const idleLimit = session.identity ? this.limits.idleSeconds : Math.min(CHALLENGE_SECONDS, this.limits.idleSeconds);
    return at - session.lastUsedAt >= idleLimit * 1000;
  }

  /** Drops expired entries from the oldest end (their order is by last use). */
  private dropExpired(map: Map<string, HandleSession>): void {
    for (const [id, session] of map) {
      if (!this.expired(session)) break;
      map.delete(id);
    }
  }
}
