import type { Principal } from '../../auth/principal';
import { CHALLENGE_SECONDS, HandleSessionStore, type SessionIdentity } from './handle-sessions';

const principal: Principal = { accountId: 'a1', username: 'acme', role: 'enterprise', enterpriseId: 'e1' };
const identity: SessionIdentity = { principal, id: '300:88.118.8/ADMIN', keyFingerprint: 'k' };

function store(limits: Partial<{ idleSeconds: number; maxAgeSeconds: number; maxSessions: number }> = {}) {
  const clock = { now: 1_000_000 };
  const sessions = new HandleSessionStore({ idleSeconds: 1800, maxAgeSeconds: 43200, maxSessions: 100, ...limits }, () => clock.now);
  return { sessions, clock };
}

describe('HandleSessionStore', () => {
  it('opens sessions with distinct ids and 16-byte nonces', () => {
    const { sessions } = store();
    const a = sessions.open();
    const b = sessions.open();
    expect(a.id).not.toBe(b.id);
    expect(a.nonce).toHaveLength(16);
    expect(a.nonce.equals(b.nonce)).toBe(false);
    expect(sessions.find(a.id)).toBe(a);
  });

  it('authenticates with the current nonce once, then replaces it', () => {
    const { sessions } = store();
    const session = sessions.open();
    const nonce = Buffer.from(session.nonce);
    expect(sessions.authenticate(session.id, Buffer.from('wrong-nonce-16by'), identity)).toBe(false);
    expect(sessions.find(session.id)?.identity).toBeUndefined();
    expect(sessions.authenticate(session.id, nonce, identity)).toBe(true);
    expect(sessions.find(session.id)?.identity).toEqual(identity);
    expect(session.nonce.equals(nonce)).toBe(false);
    // The same answer again: the nonce it signed is gone.
    expect(sessions.authenticate(session.id, nonce, identity)).toBe(false);
    expect(sessions.size).toEqual({ challenges: 0, sessions: 1 });
  });

  it('an unanswered challenge expires after CHALLENGE_SECONDS', () => {
    const { sessions, clock } = store();
    const session = sessions.open();
    clock.now += (CHALLENGE_SECONDS - 1) * 1000;
    expect(sessions.find(session.id)).toBeDefined();
    clock.now += 1000;
    expect(sessions.find(session.id)).toBeUndefined();
    expect(sessions.authenticate(session.id, session.nonce, identity)).toBe(false);
  });

  it('an authenticated session expires when idle, and in any case at its maximum age', () => {
    const { sessions, clock } = store({ idleSeconds: 600, maxAgeSeconds: 1000 });
    const idle = sessions.open();
    sessions.authenticate(idle.id, idle.nonce, identity);
    const busy = sessions.open();
    sessions.authenticate(busy.id, busy.nonce, identity);
    for (let i = 0; i < 4; i++) {
      clock.now += 300_000;
      if (i < 3) expect(sessions.find(busy.id)).toBeDefined();
    }
    // 1200 s later: the idle one went at 600 s, the busy one at its 1000 s maximum age.
    expect(sessions.find(idle.id)).toBeUndefined();
    expect(sessions.find(busy.id)).toBeUndefined();
  });

  it('bounds challenges and sessions separately: a flood of challenges never evicts an authenticated session', () => {
    const { sessions } = store({ maxSessions: 3 });
    const kept = sessions.open();
    sessions.authenticate(kept.id, kept.nonce, identity);
    const challenges = Array.from({ length: 10 }, () => sessions.open());
    expect(sessions.size).toEqual({ challenges: 3, sessions: 1 });
    expect(sessions.find(kept.id)?.identity).toEqual(identity);
    expect(sessions.find(challenges[0].id)).toBeUndefined();
    expect(sessions.find(challenges[9].id)).toBeDefined();
  });

  it('evicts the least recently used authenticated session when full', () => {
    const { sessions } = store({ maxSessions: 2 });
    const authenticated = () => {
      const session = sessions.open();
      expect(sessions.authenticate(session.id, session.nonce, identity)).toBe(true);
      return session;
    };
    const a = authenticated();
    const b = authenticated();
    sessions.find(a.id); // a is used again: b is now the least recently used
    const c = authenticated();
    expect(sessions.find(a.id)).toBeDefined();
    expect(sessions.find(b.id)).toBeUndefined();
    expect(sessions.find(c.id)).toBeDefined();
  });

  it('close ends a session or a challenge', () => {
    const { sessions } = store();
    const a = sessions.open();
    const b = sessions.open();
    sessions.authenticate(b.id, b.nonce, identity);
    expect(sessions.close(a.id)).toBe(true);
    expect(sessions.close(b.id)).toBe(true);
    expect(sessions.close(b.id)).toBe(false);
    expect(sessions.find(a.id)).toBeUndefined();
    expect(sessions.find(b.id)).toBeUndefined();
  });
});
