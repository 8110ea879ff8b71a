import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../apps/secondary-node/src/database/data-source-options';
import { migrations } from '../../apps/secondary-node/src/database/migrations';
import { CaseInsensitiveUsernames1796300000000 } from '../../apps/secondary-node/src/database/migrations/1796300000000-case-insensitive-usernames';
import { EventHub } from '../../apps/secondary-node/src/events/event-hub';
import type { AuditEntryInput } from '../../apps/secondary-node/src/events/node-events';
import { createTestDatabase, databaseFingerprint, type TestDatabase } from '../support/test-database';
import { applicationBody, type EnterpriseFixture, type HttpReply, OPERATOR_PASSWORD, TestNode } from '../support/test-node';
import { waitFor } from '../support/wait-for';

function expectProblem(reply: HttpReply, status: number, code: string): void {
  expect(reply.status).toBe(status);
  expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(reply.body).toMatchObject({ status, code, detail: expect.any(String) });
}

function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>;
}

const APPLICATIONS = '/api/v1/enterprises/applications';

describe('usernames are case-insensitive and unique as such', () => {
  let node: TestNode;
  let operator: string;
  let tools: EnterpriseFixture;
  let other: EnterpriseFixture;

  beforeAll(async () => {
    node = await TestNode.start();
    operator = await node.operatorToken();
    tools = await node.approvedEnterprise('88.118.40', 'tools', 'tools-pass-1');
    other = await node.approvedEnterprise('88.118.41', 'other-ent', 'other-pass-1');
  });
  afterAll(async () => {
    await node?.stop();
  });

  it.each(['Tools', 'TOOLS', 'tOoLs'])('refuses an application for "%s" while "tools" exists (409, nothing written)', async (username) => {
    const reply = await node.refused('POST', APPLICATIONS, { body: applicationBody('88.118.42', username) });
    expectProblem(reply, 409, 'CONFLICT');
    expect(reply.body.errors).toEqual([{ path: '/username', message: 'is already taken' }]);
  });

  it('refuses an application whose username differs only in case from a pending one', async () => {
    const first = await node.request('POST', APPLICATIONS, { body: applicationBody('88.118.43', 'Pending-Name') });
    expect(first.status).toBe(201);
    const second = await node.refused('POST', APPLICATIONS, { body: applicationBody('88.118.44', 'pending-name') });
    expectProblem(second, 409, 'CONFLICT');
  });

  it('refuses a partner account whose name differs only in case from an enterprise account', async () => {
    const reply = await node.refused('POST', '/api/v1/partners', { token: operator, body: { username: 'TOOLS', password: 'partner-pass-1', orgName: 'Look-alike Ltd' } });
    expectProblem(reply, 409, 'CONFLICT');
  });

  it('refuses a second spelling even when written straight into the table (unique index on lower(username))', async () => {
    await expect(
      node.db.client.query(`INSERT INTO accounts (username, password_hash, password_digest_sealed, role) VALUES ('TOOLS', 'x', 'x', 'partner')`),
    ).rejects.toThrow(/uq_accounts_username_lower/);
  });

  it.each(['tools', 'TOOLS', 'Tools'])('signs "%s" in as the one account "tools", on the native and the SNMS door', async (username) => {
    const native = await node.request('POST', '/api/v1/auth/token', { body: { username, password: 'tools-pass-1' } });
    expect(native.status).toBe(200);
    expect(claimsOf(native.body.accessToken)).toMatchObject({ usr: 'tools', ent: tools.enterpriseId, role: 'enterprise' });
    const snms = await node.request('POST', '/identity/token', { body: { username, password: 'tools-pass-1' } });
    expect(snms.status).toBe(200);
    expect(claimsOf(snms.body.data.token)).toMatchObject({ usr: 'tools' });
  });

  it('still checks the password of whichever spelling is used', async () => {
    const reply = await node.refused('POST', '/api/v1/auth/token', { body: { username: 'TOOLS', password: 'TOOLS-PASS-1' } });
    expectProblem(reply, 401, 'INVALID_CREDENTIALS');
  });

  it('resolves a grant to a username in any case to that one account, for another tenant too', async () => {
    const reply = await node.request('POST', `/api/v1/enterprises/${other.enterpriseId}/grants`, { token: other.token, body: { granteeUsername: 'TOOLS' } });
    expect(reply.status).toBe(201);
    const account = await node.db.client.query<{ id: string }>(`SELECT id FROM accounts WHERE username = 'tools'`);
    expect(reply.body.grantee).toMatchObject({ accountId: account.rows[0].id, username: 'tools' });
    // The same grant under another spelling is the same grant.
    const again = await node.refused('POST', `/api/v1/enterprises/${other.enterpriseId}/grants`, { token: other.token, body: { granteeUsername: 'Tools' } });
    expectProblem(again, 409, 'CONFLICT');
  });

  it('does not let another tenant grant in the name of the enterprise it imitates', async () => {
    const reply = await node.refused('POST', `/api/v1/enterprises/${tools.enterpriseId}/grants`, { token: other.token, body: { granteeUsername: 'other-ent' } });
    expectProblem(reply, 403, 'FORBIDDEN');
  });
});

describe('the case-insensitive username migration on a database holding case duplicates', () => {
  let db: TestDatabase;
  const index = migrations.indexOf(CaseInsensitiveUsernames1796300000000);

  beforeAll(async () => {
    db = await createTestDatabase('usernames');
    const before = new DataSource({ ...dataSourceOptions(db.url, { poolSize: 1 }), migrations: migrations.slice(0, index) });
    await before.initialize();
    await before.runMigrations({ transaction: 'all' });
    await before.destroy();
    for (const [username, role] of [['tools', 'partner'], ['Tools', 'partner'], ['Alice', 'partner'], ['ALICE', 'operator'], ['bob', 'partner']]) {
      await db.client.query(`INSERT INTO accounts (username, password_hash, password_digest_sealed, role) VALUES ($1, 'x', 'x', $2)`, [username, role]);
    }
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('stops with a message naming every clash, and changes nothing', async () => {
    expect(index).toBeGreaterThan(0);
    const fingerprint = await databaseFingerprint(db.client);
    const dataSource = new DataSource(dataSourceOptions(db.url, { poolSize: 1 }));
    await dataSource.initialize();
    let failure: Error | undefined;
    try {
      await dataSource.runMigrations({ transaction: 'all' });
    } catch (error) {
      failure = error as Error;
    } finally {
      await dataSource.destroy();
    }
    expect(failure?.message).toMatch(/differ only in case/);
    expect(failure?.message).toMatch(/"Alice" \(id [0-9a-f-]{36}, partner\), "ALICE" \(id [0-9a-f-]{36}, operator\)/);
    expect(failure?.message).toMatch(/"tools" \(id [0-9a-f-]{36}, partner\), "Tools"/);
    expect(failure?.message).not.toMatch(/bob/);
    expect(failure?.message).toMatch(/Nothing was changed/);
    expect(await databaseFingerprint(db.client)).toEqual(fingerprint);
    const indexes = await db.client.query(`SELECT indexname FROM pg_indexes WHERE indexname = 'uq_accounts_username_lower'`);
    expect(indexes.rows).toEqual([]);
    const applied = await db.client.query<{ name: string }>(`SELECT name FROM schema_migrations ORDER BY id`);
    expect(applied.rows.map((r) => r.name)).toEqual(migrations.slice(0, index).map((m) => new m().name));
  });

  it('applies once the clashes are renamed', async () => {
    await db.client.query(`UPDATE accounts SET username = 'tools-2' WHERE username = 'Tools'`);
    await db.client.query(`UPDATE accounts SET username = 'alice-ops' WHERE username = 'ALICE'`);
    const dataSource = new DataSource(dataSourceOptions(db.url, { poolSize: 1 }));
    await dataSource.initialize();
    try {
      const applied = await dataSource.runMigrations({ transaction: 'all' });
      expect(applied.map((m) => m.name)).toContain('CaseInsensitiveUsernames1796300000000');
    } finally {
      await dataSource.destroy();
    }
    await expect(db.client.query(`INSERT INTO accounts (username, password_hash, password_digest_sealed, role) VALUES ('BOB', 'x', 'x', 'partner')`)).rejects.toThrow(
      /uq_accounts_username_lower/,
    );
  });
});

/** One sign-in on the native door, timed. */
async function timedLogin(node: TestNode, username: string, password: string): Promise<{ reply: HttpReply; ms: number }> {
  const started = performance.now();
  const reply = await node.request('POST', '/api/v1/auth/token', { body: { username, password } });
  return { reply, ms: performance.now() - started };
}

function expectLocked(reply: HttpReply, door: 'native' | 'snms' = 'native'): number {
  expect(reply.status).toBe(429);
  if (door === 'native') expectProblem(reply, 429, 'LOGIN_LOCKED');
  else expect(reply.body).toMatchObject({ status: -2, data: null });
  const retryAfter = Number(reply.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(LOCK_SECONDS);
  return retryAfter;
}

const LOCK_AFTER = 5;
const LOCK_SECONDS = 4;

describe('failed sign-ins slow down, then lock the username', () => {
  let node: TestNode;
  let operator: string;

  beforeAll(async () => {
    node = await TestNode.start({ LOGIN_LOCK_AFTER: String(LOCK_AFTER), LOGIN_LOCK_SECONDS: String(LOCK_SECONDS), LOGIN_DELAY_MAX_MS: '400' });
    operator = await node.operatorToken();
  });
  afterAll(async () => {
    await node?.stop();
  });

  /** Fails `count` times on the native door and returns the replies with their durations. */
  async function fail(username: string, count: number) {
    const results = [];
    for (let i = 0; i < count; i += 1) results.push(await timedLogin(node, username, `wrong-password-${i}`));
    return results;
  }

  it('answers the first failures at once and later ones more slowly, then locks on the fifth', async () => {
    const ent = await node.approvedEnterprise('88.118.50', 'slow-ent', 'slow-pass-1');
    const results = await fail(ent.username, LOCK_AFTER);
    for (const { reply } of results.slice(0, LOCK_AFTER - 1)) expectProblem(reply, 401, 'INVALID_CREDENTIALS');
    // Failures 3 and 4 wait 250 and 400 ms (LOGIN_DELAY_MAX_MS) on top of the password check: a
    // delayed reply cannot come sooner than its delay, however fast or slow the check is on a busy
    // machine (comparing with the first replies' durations failed when the check's time varied).
    const undelayed = Math.min(results[0].ms, results[1].ms);
    expect(results[2].ms).toBeGreaterThanOrEqual(245);
    expect(results[3].ms).toBeGreaterThanOrEqual(395);
    expect(results[3].ms).toBeGreaterThan(undelayed);
    expectLocked(results[LOCK_AFTER - 1].reply);
    // Locked: even the right password is refused, on every door.
    expectLocked((await timedLogin(node, 'slow-ent', 'slow-pass-1')).reply);
    expectLocked(await node.request('POST', '/identity/token', { body: { username: 'SLOW-ENT', password: 'slow-pass-1' } }), 'snms');
    expectLocked(await node.request('POST', '/identity/token/v1', { body: { username: 'slow-ent', password: 'a'.repeat(64) } }), 'snms');
  });

  it('announces the lock of an unknown username with the same reply, as fast', async () => {
    await node.approvedEnterprise('88.118.51', 'real-ent', 'real-pass-1');
    const real = await fail('real-ent', LOCK_AFTER + 1);
    const ghost = await fail('ghost-ent', LOCK_AFTER + 1);
    for (let i = 0; i < LOCK_AFTER - 1; i += 1) {
      expect(ghost[i].reply.status).toBe(real[i].reply.status);
      expect(ghost[i].reply.body.detail).toBe(real[i].reply.body.detail);
    }
    const strip = (reply: HttpReply) => ({ ...reply.body, detail: String(reply.body.detail).replace(/\d+/g, 'N') });
    for (const i of [LOCK_AFTER - 1, LOCK_AFTER]) {
      expectLocked(real[i].reply);
      expectLocked(ghost[i].reply);
      expect(strip(ghost[i].reply)).toEqual(strip(real[i].reply));
      expect([...ghost[i].reply.headers.keys()].sort()).toEqual([...real[i].reply.headers.keys()].sort());
    }
    // While locked no password is checked for either: both answer without the hashing work.
    const lockedReal = await timedLogin(node, 'real-ent', 'real-pass-1');
    const lockedGhost = await timedLogin(node, 'ghost-ent', 'real-pass-1');
    expectLocked(lockedReal.reply);
    expectLocked(lockedGhost.reply);
    expect(Math.max(lockedReal.ms, lockedGhost.ms)).toBeLessThan(10 * Math.min(lockedReal.ms, lockedGhost.ms) + 50);
  });

  it('counts a username in any case as one', async () => {
    await node.approvedEnterprise('88.118.52', 'case-ent', 'case-pass-1');
    const spellings = ['case-ent', 'CASE-ENT', 'Case-Ent', 'case-ENT', 'CASE-ent'];
    const replies = [];
    for (const username of spellings) replies.push((await timedLogin(node, username, 'wrong-password')).reply);
    expectLocked(replies[LOCK_AFTER - 1]);
  });

  it('lifts the lock by itself after LOGIN_LOCK_SECONDS', async () => {
    await node.approvedEnterprise('88.118.53', 'wait-ent', 'wait-pass-1');
    const results = await fail('wait-ent', LOCK_AFTER);
    const retryAfter = expectLocked(results[LOCK_AFTER - 1].reply);
    expectLocked((await timedLogin(node, 'wait-ent', 'wait-pass-1')).reply);
    const lifted = await waitFor(
      'the lock to run out',
      async () => {
        const { reply } = await timedLogin(node, 'wait-ent', 'wait-pass-1');
        return reply.status === 200 ? reply : undefined;
      },
      { timeoutMs: (retryAfter + 3) * 1000, intervalMs: 500 },
    );
    expect(lifted.body.accessToken).toEqual(expect.any(String));
  });

  it('forgets the failures on a successful sign-in', async () => {
    await node.approvedEnterprise('88.118.54', 'reset-ent', 'reset-pass-1');
    await fail('reset-ent', LOCK_AFTER - 1);
    expect((await timedLogin(node, 'reset-ent', 'reset-pass-1')).reply.status).toBe(200);
    const again = await fail('reset-ent', LOCK_AFTER - 1);
    for (const { reply } of again) expectProblem(reply, 401, 'INVALID_CREDENTIALS');
  });

  it('lets an operator see and lift the lock of an enterprise account, and no one else', async () => {
    const ent = await node.approvedEnterprise('88.118.55', 'unlock-ent', 'unlock-pass-1');
    const stranger = await node.approvedEnterprise('88.118.56', 'stranger-ent', 'stranger-pass-1');
    await fail('unlock-ent', LOCK_AFTER);
    const account = `/api/v1/enterprises/${ent.enterpriseId}/account`;
    const seen = await node.request('GET', account, { token: operator });
    expect(seen.status).toBe(200);
    expect(seen.body).toMatchObject({ enterpriseId: ent.enterpriseId, username: 'unlock-ent', status: 'active', lockedUntil: expect.any(String) });
    expectProblem(await node.refused('POST', `${account}/unlock`, { token: stranger.token }), 403, 'FORBIDDEN');
    expectProblem(await node.refused('POST', `${account}/unlock`, { token: ent.token }), 403, 'FORBIDDEN');
    expectProblem(await node.refused('GET', account, { token: stranger.token }), 403, 'FORBIDDEN');
    expectLocked((await timedLogin(node, 'unlock-ent', 'unlock-pass-1')).reply);
    const unlocked = await node.request('POST', `${account}/unlock`, { token: operator });
    expect(unlocked.status).toBe(200);
    expect(unlocked.body).toEqual({ username: 'unlock-ent', wasLocked: true });
    expect((await timedLogin(node, 'unlock-ent', 'unlock-pass-1')).reply.status).toBe(200);
    expect((await node.request('GET', account, { token: operator })).body.lockedUntil).toBeNull();
    expectProblem(await node.refused('POST', '/api/v1/enterprises/00000000-0000-4000-8000-000000000000/account/unlock', { token: operator }), 404, 'ENTERPRISE_NOT_FOUND');
  });
});

describe('passwords: changed by their owner, reset by an operator; older tokens stop working', () => {
  let node: TestNode;
  let operator: string;

  beforeAll(async () => {
    node = await TestNode.start();
    operator = await node.operatorToken();
  });
  afterAll(async () => {
    await node?.stop();
  });

  const APPS = APPLICATIONS;
  let keeps = 0;

  function expectInvalidToken(reply: HttpReply): void {
    expectProblem(reply, 401, 'AUTHENTICATION_REQUIRED');
    expect(reply.headers.get('www-authenticate')).toMatch(/^Bearer realm="idis", error="invalid_token", error_description="[^"]+"$/);
  }

  it('changes the own password with the current one: older tokens are refused, the reply token works', async () => {
    const ent = await node.approvedEnterprise('88.118.60', 'change-ent', 'change-pass-1');
    const second = await node.token('change-ent', 'change-pass-1');
    expect((await node.request('GET', APPS, { token: second })).status).toBe(200);
    const changed = await node.request('POST', '/api/v1/auth/password', { token: ent.token, body: { currentPassword: 'change-pass-1', newPassword: 'change-pass-2' } });
    expect(changed.status).toBe(200);
    expect(changed.body).toEqual({ accessToken: expect.any(String), tokenType: 'Bearer', expiresIn: 86400 });
    expect(claimsOf(changed.body.accessToken).ver).toBe(1);
    for (const old of [ent.token, second]) expectInvalidToken(await node.refused('GET', APPS, { token: old }));
    expect((await node.request('GET', APPS, { token: changed.body.accessToken })).status).toBe(200);
    expectProblem(await node.refused('POST', '/api/v1/auth/token', { body: { username: 'change-ent', password: 'change-pass-1' } }), 401, 'INVALID_CREDENTIALS');
    expect((await node.request('POST', '/api/v1/auth/token', { body: { username: 'change-ent', password: 'change-pass-2' } })).status).toBe(200);
    const digest = createHash('sha256').update(createHash('sha256').update('change-pass-2').digest('hex') + new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10)).digest('hex');
    expect((await node.request('POST', '/identity/token/v1', { body: { username: 'change-ent', password: digest } })).status).toBe(200);
  });

  it.each([
    ['a wrong current password', { currentPassword: 'not-it-at-all', newPassword: 'another-pass-9' }, '/currentPassword'],
    ['the same password again', { currentPassword: 'keep-pass-1', newPassword: 'keep-pass-1' }, '/newPassword'],
    ['a new password under 8 characters', { currentPassword: 'keep-pass-1', newPassword: 'short' }, '/newPassword'],
    ['a new password over 64 characters', { currentPassword: 'keep-pass-1', newPassword: 'x'.repeat(65) }, '/newPassword'],
    ['an unknown field', { currentPassword: 'keep-pass-1', newPassword: 'another-pass-9', username: 'someone-else' }, '/username'],
  ])('refuses %s with 400 and changes nothing', async (_what, body, path) => {
    keeps += 1;
    const ent = await node.approvedEnterprise(`88.118.${600 + keeps}`, `keep-ent-${keeps}`, 'keep-pass-1');
    const reply = await node.refused('POST', '/api/v1/auth/password', { token: ent.token, body });
    expectProblem(reply, 400, 'VALIDATION_FAILED');
    expect(reply.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    expect((await node.request('GET', APPS, { token: ent.token })).status).toBe(200);
  });

  it('refuses a password change without a token (401 with a challenge)', async () => {
    const reply = await node.refused('POST', '/api/v1/auth/password', { body: { currentPassword: 'a-password-1', newPassword: 'b-password-2' } });
    expectProblem(reply, 401, 'AUTHENTICATION_REQUIRED');
    expect(reply.headers.get('www-authenticate')).toBe('Bearer realm="idis"');
  });

  it('lets an operator reset an enterprise password: a temporary one shown once, older tokens refused', async () => {
    const ent = await node.approvedEnterprise('88.118.70', 'forgot-ent', 'forgot-pass-1');
    const reset = await node.request('POST', `/api/v1/enterprises/${ent.enterpriseId}/account/password-reset`, { token: operator });
    expect(reset.status).toBe(200);
    expect(reset.body).toEqual({ username: 'forgot-ent', temporaryPassword: expect.stringMatching(/^[A-Za-z0-9_-]{16}$/) });
    const stored = await node.db.client.query(`SELECT password_hash, password_digest_sealed FROM accounts WHERE username = 'forgot-ent'`);
    expect(JSON.stringify(stored.rows)).not.toContain(reset.body.temporaryPassword);
    expectInvalidToken(await node.refused('GET', APPS, { token: ent.token }));
    expectProblem(await node.refused('POST', '/api/v1/auth/token', { body: { username: 'forgot-ent', password: 'forgot-pass-1' } }), 401, 'INVALID_CREDENTIALS');
    const fresh = await node.token('forgot-ent', reset.body.temporaryPassword);
    expect((await node.request('GET', APPS, { token: fresh })).status).toBe(200);
  });

  it('refuses a reset by the enterprise itself or another one, and of an unknown enterprise', async () => {
    const ent = await node.approvedEnterprise('88.118.71', 'reset-victim', 'victim-pass-1');
    const other = await node.approvedEnterprise('88.118.72', 'reset-attacker', 'attacker-pass-1');
    const path = `/api/v1/enterprises/${ent.enterpriseId}/account/password-reset`;
    expectProblem(await node.refused('POST', path, { token: other.token }), 403, 'FORBIDDEN');
    expectProblem(await node.refused('POST', path, { token: ent.token }), 403, 'FORBIDDEN');
    expectProblem(await node.refused('POST', path), 401, 'AUTHENTICATION_REQUIRED');
    expectProblem(await node.refused('POST', '/api/v1/enterprises/00000000-0000-4000-8000-000000000000/account/password-reset', { token: operator }), 404, 'ENTERPRISE_NOT_FOUND');
    expect((await node.request('GET', APPS, { token: ent.token })).status).toBe(200);
  });
});

describe('deactivation revokes sign-in and tokens (one node)', () => {
  let node: TestNode;
  let operator: string;

  beforeAll(async () => {
    node = await TestNode.start();
    operator = await node.operatorToken();
  });
  afterAll(async () => {
    await node?.stop();
  });

  it('refuses the deactivated enterprise\'s old tokens everywhere and its sign-in, and leaves other tenants alone', async () => {
    const ent = await node.approvedEnterprise('88.118.80', 'gone-ent', 'gone-pass-1');
    const other = await node.approvedEnterprise('88.118.81', 'staying-ent', 'staying-pass-1');
    const put = await node.request('PUT', '/api/handles/88.118.80/before', { token: ent.token, body: [{ index: 1, type: 'URL', data: 'https://example.cn' }] });
    expect(put.status).toBe(200);
    const deactivated = await node.request('POST', `/api/v1/enterprises/${ent.enterpriseId}/deactivate`, { token: operator, body: { reason: 'contract ended' } });
    expect(deactivated.status).toBe(200);
    const status = await node.db.client.query(`SELECT status, token_version FROM accounts WHERE username = 'gone-ent'`);
    expect(status.rows).toEqual([{ status: 'disabled', token_version: 1 }]);
    for (const [method, path] of [
      ['GET', APPLICATIONS],
      ['GET', '/epcis/events'],
      ['GET', '/api/v1/stats/resolutions'],
      ['GET', `/api/v1/enterprises/${ent.enterpriseId}/grants`],
    ] as const) {
      const reply = await node.refused(method, path, { token: ent.token });
      expect(reply.status).toBe(401);
      expect(reply.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
    }
    const grant = await node.refused('POST', `/api/v1/enterprises/${ent.enterpriseId}/grants`, { token: ent.token, body: { granteeUsername: 'staying-ent' } });
    expect(grant.status).toBe(401);
    const resolve = await node.request('GET', '/api/handles/88.118.80/before', { token: ent.token });
    expect(resolve.status).toBe(401);
    expect(resolve.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
    expectProblem(await node.refused('POST', '/api/v1/auth/token', { body: { username: 'gone-ent', password: 'gone-pass-1' } }), 403, 'FORBIDDEN');
    expect((await node.request('POST', '/identity/token', { body: { username: 'gone-ent', password: 'gone-pass-1' } })).status).toBe(403);
    expect((await node.request('GET', APPLICATIONS, { token: other.token })).status).toBe(200);
  });
});

describe('the sign-in routes take strict JSON only', () => {
  let node: TestNode;

  beforeAll(async () => {
    node = await TestNode.start();
  });
  afterAll(async () => {
    await node?.stop();
  });

  const ROUTES = ['/api/v1/auth/token', '/identity/token', '/identity/token/v1'];
  const FORM = `username=operator&password=${encodeURIComponent(OPERATOR_PASSWORD)}`;

  it.each(ROUTES)('refuses a form-encoded body on %s with 415, even with the right password', async (path) => {
    const reply = await node.refused('POST', path, { rawBody: FORM, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(reply.status).toBe(415);
    expect(JSON.stringify(reply.body)).toMatch(/Content-Type must be application\/json/);
    expect(JSON.stringify(reply.body)).not.toMatch(/token"?:/i);
  });

  it.each([
    ['text/plain', JSON.stringify({ username: 'operator', password: OPERATOR_PASSWORD })],
    ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="username"\r\n\r\noperator\r\n--x--'],
  ])('refuses %s with 415', async (contentType, rawBody) => {
    const reply = await node.refused('POST', '/api/v1/auth/token', { rawBody, headers: { 'content-type': contentType } });
    expectProblem(reply, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it.each([
    ['username twice', `{"username":"nobody","password":"${OPERATOR_PASSWORD}","username":"operator"}`, '/username'],
    ['password twice', `{"username":"operator","password":"x","password":"${OPERATOR_PASSWORD}"}`, '/password'],
    ['a key spelt with an escape', `{"username":"nobody","user\\u006eame":"operator","password":"${OPERATOR_PASSWORD}"}`, '/username'],
  ])('refuses a body with %s (400 naming the key) on every sign-in route', async (_what, rawBody, path) => {
    for (const route of ROUTES) {
      const reply = await node.refused('POST', route, { rawBody });
      expect(reply.status).toBe(400);
      expect(JSON.stringify(reply.body)).toContain(`more than once`);
      expect(reply.body.errors).toEqual([{ path, message: 'appears more than once' }]);
    }
  });

  it('refuses a sign-in body over 16 KiB with 413', async () => {
    const reply = await node.refused('POST', '/api/v1/auth/token', { rawBody: JSON.stringify({ username: 'operator', password: 'x'.repeat(17 * 1024) }) });
    expectProblem(reply, 413, 'PAYLOAD_TOO_LARGE');
  });

  it('answers every oversized sign-in body on a kept-alive connection, and the connection serves the next request (found by the fuzzer: it stopped answering)', async () => {
    for (const size of [140_000, 70_000, 140_000, 70_000, 300_000, 70_000]) {
      const body = JSON.stringify({ password: 'x'.repeat(size) });
      // Sequential fetches reuse one keep-alive connection; with and without a Content-Length.
      const sized = await fetch(`${node.baseUrl}/api/v1/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(10_000) });
      expect(sized.status).toBe(413);
      await sized.text();
      const streamed = await fetch(`${node.baseUrl}/api/v1/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: new Blob([body]).stream(),
        duplex: 'half',
        signal: AbortSignal.timeout(10_000),
      } as RequestInit);
      expect(streamed.status).toBe(413);
      await streamed.text();
    }
    expect((await node.request('POST', '/api/v1/auth/token', { body: { username: 'operator', password: OPERATOR_PASSWORD } })).status).toBe(200);
  });

  it('still takes a plain JSON body, with a charset', async () => {
    const reply = await node.request('POST', '/api/v1/auth/token', {
      rawBody: JSON.stringify({ username: 'operator', password: OPERATOR_PASSWORD }),
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    expect(reply.status).toBe(200);
  });
});

describe('every 401 carries WWW-Authenticate', () => {
  let node: TestNode;

  beforeAll(async () => {
    node = await TestNode.start();
  });
  afterAll(async () => {
    await node?.stop();
  });

  it.each([
    ['no token on a native route', 'GET', APPLICATIONS, {}, 'Bearer realm="idis"'],
    ['no token on EPCIS', 'GET', '/epcis/events', {}, 'Bearer realm="idis"'],
    ['no token on an SNMS write', 'POST', '/identityv2/data', { body: {} }, 'Bearer realm="idis"'],
    ['a wrong password', 'POST', '/api/v1/auth/token', { body: { username: 'operator', password: 'wrong-password' } }, 'Bearer realm="idis"'],
    ['a wrong SNMS password', 'POST', '/identity/token', { body: { username: 'operator', password: 'wrong-password' } }, 'Bearer realm="idis"'],
  ] as const)('%s', async (_what, method, path, options, challenge) => {
    const reply = await node.refused(method, path, options);
    expect(reply.status).toBe(401);
    expect(reply.headers.get('www-authenticate')).toBe(challenge);
  });

  it('no token on a Handle REST write: the bearer challenge first, then the two Handle.Net schemes that door also takes', async () => {
    const reply = await node.refused('PUT', '/api/handles/88.118.9/x', { body: [] });
    expect(reply.status).toBe(401);
    expect(reply.headers.get('www-authenticate')).toMatch(/^Bearer realm="idis", Basic realm="handle", Handle realm="handle", sessionId="[\w-]+", nonce="[\w+/=]+"$/);
  });

  it.each([
    ['a garbage token', { token: 'not-a-jwt' }, 'invalid_token'],
    ['a garbage API key', { token: 'idk_nope' }, 'invalid_token'],
    ['another scheme', { headers: { authorization: 'Basic b3BlcmF0b3I6eA==' } }, 'invalid_request'],
    ['both credentials at once', { token: 'x', headers: { 'x-api-key': 'idk_x' } }, 'invalid_request'],
  ] as const)('names the RFC 6750 error for %s, on every door', async (_what, options, error) => {
    for (const [method, path] of [
      ['GET', APPLICATIONS],
      ['GET', '/epcis/events'],
      ['GET', '/api/handles/88.118.9/x'],
      ['GET', '/88.118.9/x'],
      ['GET', '/identityv2/data/detail?handle=88.118.9/x'],
    ] as const) {
      const reply = await node.refused(method, path, options);
      expect({ path, status: reply.status }).toEqual({ path, status: 401 });
      expect(reply.headers.get('www-authenticate')).toMatch(new RegExp(`^Bearer realm="idis", error="${error}", error_description="[ -~]+"$`));
    }
  });
});

describe('account changes and refusals are announced to the audit log', () => {
  let node: TestNode;
  let operator: string;
  const heard: Array<{ entry: AuditEntryInput; inTransaction: boolean }> = [];

  beforeAll(async () => {
    node = await TestNode.start({ LOGIN_LOCK_AFTER: '2', LOGIN_DELAY_MAX_MS: '0' });
    // What the audit log (another capability) will hear; the node works the same without a listener.
    node.app.get(EventHub).on('audit.recorded', ({ manager, entry }) => {
      heard.push({ entry, inTransaction: manager !== undefined });
    });
    operator = await node.operatorToken();
  });
  afterAll(async () => {
    await node?.stop();
  });

  function heardSince(mark: number) {
    return heard.slice(mark);
  }

  it('announces refused authorisations without a transaction, with the error code as reason', async () => {
    const ent = await node.approvedEnterprise('88.118.95', 'audited-ent', 'audited-pass-1');
    let mark = heard.length;
    await node.request('GET', APPLICATIONS);
    expect(heardSince(mark)).toEqual([{ entry: { action: 'auth.refused', target: `GET ${APPLICATIONS}`, outcome: 'refused', reason: 'AUTHENTICATION_REQUIRED' }, inTransaction: false }]);
    mark = heard.length;
    await node.request('GET', '/api/v1/upstream/outbox', { token: ent.token });
    expect(heardSince(mark)).toEqual([{ entry: expect.objectContaining({ action: 'auth.refused', outcome: 'refused', reason: 'FORBIDDEN' }), inTransaction: false }]);
    mark = heard.length;
    await node.request('GET', '/api/handles/88.118.95/x', { token: 'garbage' });
    expect(heardSince(mark)).toEqual([{ entry: expect.objectContaining({ action: 'auth.refused', reason: 'AUTHENTICATION_REQUIRED' }), inTransaction: false }]);
  });

  it('announces password changes, resets, keys and deactivation inside their transactions, and locks and unlocks', async () => {
    const ent = await node.approvedEnterprise('88.118.96', 'audited-two', 'audited-pass-1');
    let mark = heard.length;
    const changed = await node.request('POST', '/api/v1/auth/password', { token: ent.token, body: { currentPassword: 'audited-pass-1', newPassword: 'audited-pass-2' } });
    expect(changed.status).toBe(200);
    expect(heardSince(mark)).toEqual([
      { entry: expect.objectContaining({ action: 'account.password-change', target: 'account:audited-two', owner: ent.enterpriseId, outcome: 'ok' }), inTransaction: true },
    ]);
    mark = heard.length;
    expect((await node.request('POST', `/api/v1/enterprises/${ent.enterpriseId}/account/password-reset`, { token: operator })).status).toBe(200);
    expect(heardSince(mark)).toEqual([{ entry: expect.objectContaining({ action: 'account.password-reset', target: 'account:audited-two' }), inTransaction: true }]);
    expect(JSON.stringify(heard)).not.toMatch(/audited-pass-2/);

    mark = heard.length;
    for (let i = 0; i < 2; i += 1) await node.request('POST', '/api/v1/auth/token', { body: { username: 'Audited-Two', password: 'wrong-password' } });
    // The first failure is a refused call (401, recorded by the request log's hook); the second locks the name (429).
    expect(heardSince(mark)).toEqual([
      { entry: expect.objectContaining({ action: 'auth.refused', target: 'POST /api/v1/auth/token', outcome: 'refused', reason: 'INVALID_CREDENTIALS' }), inTransaction: false },
      { entry: expect.objectContaining({ action: 'account.lock', target: 'account:audited-two', reason: 'LOGIN_LOCKED' }), inTransaction: false },
    ]);
    mark = heard.length;
    expect((await node.request('POST', `/api/v1/enterprises/${ent.enterpriseId}/account/unlock`, { token: operator })).status).toBe(200);
    expect(heardSince(mark)).toEqual([{ entry: expect.objectContaining({ action: 'account.unlock', target: 'account:audited-two', after: { wasLocked: true, by: 'operator' } }), inTransaction: false }]);

    const token = await node.token('audited-two', (await node.request('POST', `/api/v1/enterprises/${ent.enterpriseId}/account/password-reset`, { token: operator })).body.temporaryPassword);
    mark = heard.length;
    const key = await node.request('POST', `/api/v1/enterprises/${ent.enterpriseId}/api-keys`, { token, body: { name: 'k', prefixes: ['88.118.96'], operations: ['register'] } });
    expect(key.status).toBe(201);
    expect(heardSince(mark)).toEqual([{ entry: expect.objectContaining({ action: 'api-key.create', target: `api-key:${key.body.id}`, owner: ent.enterpriseId }), inTransaction: true }]);
    expect(JSON.stringify(heardSince(mark))).not.toContain(key.body.secret);
    const second = await node.request('POST', `/api/v1/enterprises/${ent.enterpriseId}/api-keys`, { token, body: { name: 'k2', prefixes: ['88.118.96'], operations: ['register'] } });
    mark = heard.length;
    expect((await node.request('DELETE', `/api/v1/enterprises/${ent.enterpriseId}/api-keys/${key.body.id}`, { token })).status).toBe(204);
    expect(heardSince(mark)).toEqual([{ entry: expect.objectContaining({ action: 'api-key.revoke', target: `api-key:${key.body.id}` }), inTransaction: true }]);

    mark = heard.length;
    expect((await node.request('POST', `/api/v1/enterprises/${ent.enterpriseId}/deactivate`, { token: operator, body: { reason: 'audit test' } })).status).toBe(200);
    const deactivation = heardSince(mark);
    expect(deactivation).toEqual(
      expect.arrayContaining([
        { entry: expect.objectContaining({ action: 'account.disable', target: 'account:audited-two', owner: ent.enterpriseId }), inTransaction: true },
        { entry: expect.objectContaining({ action: 'api-key.revoke', target: `api-key:${second.body.id}`, reason: 'enterprise deactivated' }), inTransaction: true },
      ]),
    );
  });
});
