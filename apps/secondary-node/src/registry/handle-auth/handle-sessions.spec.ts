import type { Principal } from '../../auth/principal';
import { CHALLENGE_SECONDS, MemoryHandleSessionStore, type SessionIdentity } from './handle-sessions';

const principal: Principal = { accountId: 'a1', username: 'acme', role: 'enterprise', enterpriseId: 'e1' };
const identity: SessionIdentity = { principal, id: '300:88.118.8/ADMIN', keyFingerprint: 'k' };

function store(limits: Partial<{ idleSeconds: number; maxAgeSeconds: number; maxSessions: number }> = {}) {
  const clock = { now: 1_000_000 };
  const sessions = new MemoryHandleSessionStore({ idleSeconds: 1800, maxAgeSeconds: 43200, maxSessions: 100, ...limits }, () => clock.now);
  return { sessions, clock };
}

describe('MemoryHandleSessionStore', () => {
  it('opens sessions with distinct ids and 16-byte nonces', async () => {
    const { sessions } = store();
    const a = await sessions.open();
    const b = await sessions.open();
    expect(a.id).not.toBe(b.id);
    expect(a.nonce).toHaveLength(16);
    expect(a.nonce.equals(b.nonce)).toBe(false);
    expect(await sessions.find(a.id)).toBe(a);
  });

  it('authenticates with the current nonce once, then replaces it', async () => {
    const { sessions } = store();
    const session = await sessions.open();
    const nonce = Buffer.from(session.nonce);
    expect(await sessions.authenticate(session, Buffer.from('wrong-nonce-16by'), identity)).toBe(false);
    expect((await sessions.find(session.id))?.identity).toBeUndefined();
    expect(await sessions.authenticate(session, nonce, identity)).toBe(true);
    expect((await sessions.find(session.id))?.identity).toEqual(identity);
    expect(session.nonce.equals(nonce)).toBe(false);
    // The same answer again: the nonce it signed is gone.
    expect(await sessions.authenticate(session, nonce, identity)).toBe(false);
    expect(sessions.size).toEqual({ challenges: 0, sessions: 1 });
  });

  it('an unanswered challenge expires after CHALLENGE_SECONDS', async () => {
    const { sessions, clock } = store();
    const session = await sessions.open();
    clock.now += (CHALLENGE_SECONDS - 1) * 1000;
    expect(await sessions.find(session.id)).toBeDefined();
    clock.now += 1000;
    expect(await sessions.find(session.id)).toBeUndefined();
    expect(await sessions.authenticate(session, session.nonce, identity)).toBe(false);
  });

  it('an authenticated session expires when idle, and in any case at its maximum age', async () => {
    const { sessions, clock } = store({ idleSeconds: 600, maxAgeSeconds: 1000 });
    const idle = await sessions.open();
    await sessions.authenticate(idle, idle.nonce, identity);
    const busy = await sessions.open();
    await sessions.authenticate(busy, busy.nonce, identity);
    for (let i = 0; i < 4; i++) {
      clock.now += 300_000;
      if (i < 3) expect(await sessions.find(busy.id)).toBeDefined();
    }
    // 1200 s later: the idle one went at 600 s, the busy one at its 1000 s maximum age.
    expect(await sessions.find(idle.id)).toBeUndefined();
    expect(await sessions.find(busy.id)).toBeUndefined();
  });

  it('bounds challenges and sessions separately: a flood of challenges never evicts an authenticated session', async () => {
    const { sessions } = store({ maxSessions: 3 });
    const kept = await sessions.open();
    await sessions.authenticate(kept, kept.nonce, identity);
    const challenges = [];
    for (let i = 0; i < 10; i++) challenges.push(await sessions.open());
    expect(sessions.size).toEqual({ challenges: 3, sessions: 1 });
    expect((await sessions.find(kept.id))?.identity).toEqual(identity);
    expect(await sessions.find(challenges[0].id)).toBeUndefined();
    expect(await sessions.find(challenges[9].id)).toBeDefined();
  });

  it('evicts the least recently used authenticated session when full', async () => {
    const { sessions } = store({ maxSessions: 2 });
    const authenticated = async () => {
      const session = await sessions.open();
      expect(await sessions.authenticate(session, session.nonce, identity)).toBe(true);
      return session;
    };
    const a = await authenticated();
    const b = await authenticated();
    await sessions.find(a.id); // a is used again: b is now the least recently used
    const c = await authenticated();
    expect(await sessions.find(a.id)).toBeDefined();
    expect(await sessions.find(b.id)).toBeUndefined();
    expect(await sessions.find(c.id)).toBeDefined();
  });

  it('close ends a session or a challenge', async () => {
    const { sessions } = store();
    const a = await sessions.open();
    const b = await sessions.open();
    await sessions.authenticate(b, b.nonce, identity);
    expect(await sessions.close(a.id)).toBe(true);
    expect(await sessions.close(b.id)).toBe(true);
    expect(await sessions.close(b.id)).toBe(false);
    expect(await sessions.find(a.id)).toBeUndefined();
    expect(await sessions.find(b.id)).toBeUndefined();
  });
});
