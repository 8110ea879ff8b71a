import { JwtService } from '@nestjs/jwt';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createHash, randomUUID } from 'node:crypto';
import { createNodeApp } from '../../apps/secondary-node/src/bootstrap';
import { loadAppConfig } from '../../apps/secondary-node/src/app-config';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { type HttpReply, JWT_SECRET, OPERATOR_PASSWORD, TestNode } from '../support/test-node';

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** yyyy-MM-dd of China Standard Time (UTC+8), `offsetDays` from today. */
function cstDay(offsetDays = 0): string {
  return new Date(Date.now() + 8 * 3600_000 + offsetDays * 86400_000).toISOString().slice(0, 10);
}

/** The SNMS /identity/token/v1 password: sha256(sha256(pwd) + 'yyyy-MM-dd'). */
function snmsDigest(password: string, day = cstDay()): string {
  return sha256(sha256(password) + day);
}

function claimsOf(token: string): Record<string, unknown> {
  const [, payload] = token.split('.');
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
}

function expectProblem(reply: HttpReply, status: number, code: string): void {
  expect(reply.status).toBe(status);
  expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(reply.body).toMatchObject({ status, code });
  expect(typeof reply.body.title).toBe('string');
  expect(typeof reply.body.detail).toBe('string');
}

function expectSnmsFailure(reply: HttpReply, httpStatus: number, snmsStatus: number): void {
  expect(reply.status).toBe(httpStatus);
  expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
  expect(reply.body).toMatchObject({ status: snmsStatus, data: null });
  expect(typeof reply.body.message).toBe('string');
}

const LIST = '/api/v1/enterprises/applications';

describe('authentication', () => {
  let node: TestNode;
  let operatorId: string;

  beforeAll(async () => {
    node = await TestNode.start();
    const row = await node.db.client.query<{ id: string }>(`SELECT id FROM accounts WHERE username = 'operator'`);
    operatorId = row.rows[0].id;
  });
  afterAll(async () => {
    await node?.stop();
  });


  describe('operator bootstrap with OPERATOR_PASSWORD', () => {
    it('creates one operator account whose password is stored as scrypt, not in clear', async () => {
      const rows = await node.db.client.query(
        `SELECT username, role, status, enterprise_id, password_hash, password_digest_sealed FROM accounts WHERE role = 'operator'`,
      );
      expect(rows.rows).toHaveLength(1);
      const [operator] = rows.rows;
      expect(operator).toMatchObject({ username: 'operator', role: 'operator', status: 'active', enterprise_id: null });
      expect(operator.password_hash).toMatch(/^scrypt\$/);
      expect(operator.password_hash).not.toContain(OPERATOR_PASSWORD);
      expect(operator.password_digest_sealed).not.toContain(OPERATOR_PASSWORD);
      expect(operator.password_digest_sealed).not.toContain(sha256(OPERATOR_PASSWORD));
    });

    it('lets the operator log in with it', async () => {
      const reply = await node.request('POST', '/api/v1/auth/token', { body: { username: 'operator', password: OPERATOR_PASSWORD } });
      expect(reply.status).toBe(200);
      expect(reply.body.tokenType).toBe('Bearer');
    });
  });

  describe('POST /api/v1/auth/token', () => {
    it('returns a bearer token valid for 24 hours', async () => {
      const reply = await node.request('POST', '/api/v1/auth/token', { body: { username: 'operator', password: OPERATOR_PASSWORD } });
      expect(reply.status).toBe(200);
      expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
      expect(reply.body).toEqual({ accessToken: expect.any(String), tokenType: 'Bearer', expiresIn: 86400 });
      const claims = claimsOf(reply.body.accessToken);
      expect((claims.exp as number) - (claims.iat as number)).toBe(86400);
      expect(Math.abs((claims.iat as number) - Date.now() / 1000)).toBeLessThan(60);
      expect(claims).toMatchObject({ sub: operatorId, usr: 'operator', role: 'operator', ent: null });
    });

    it.each([
      ['a wrong password', { username: 'operator', password: 'wrong-password' }],
      ['an unknown user', { username: 'nobody', password: OPERATOR_PASSWORD }],
      ['the password of another case', { username: 'operator', password: OPERATOR_PASSWORD.toUpperCase() }],
      ['the SNMS digest (only the SNMS door takes it)', { username: 'operator', password: snmsDigest(OPERATOR_PASSWORD) }],
    ])('refuses %s with 401 INVALID_CREDENTIALS', async (_what, body) => {
      const reply = await node.refused('POST', '/api/v1/auth/token', { body });
      expectProblem(reply, 401, 'INVALID_CREDENTIALS');
      expect(reply.body.accessToken).toBeUndefined();
    });

    it('gives the same answer for an unknown user as for a wrong password', async () => {
      const unknown = await node.refused('POST', '/api/v1/auth/token', { body: { username: 'nobody', password: 'x-password' } });
      const wrong = await node.refused('POST', '/api/v1/auth/token', { body: { username: 'operator', password: 'x-password' } });
      expect(unknown.body.detail).toBe(wrong.body.detail);
    });

    it.each([
      ['an unknown field', { username: 'operator', password: OPERATOR_PASSWORD, role: 'operator' }, '/role'],
      ['a missing password', { username: 'operator' }, '/password'],
      ['a missing username', { password: OPERATOR_PASSWORD }, '/username'],
      ['a number as password', { username: 'operator', password: 12345678 }, '/password'],
      ['an empty password', { username: 'operator', password: '' }, '/password'],
      ['a username over 50 characters', { username: 'u'.repeat(51), password: OPERATOR_PASSWORD }, '/username'],
      ['a username with a NUL character', { username: 'oper\u0000ator', password: OPERATOR_PASSWORD }, '/username'],
    ])('refuses %s with 400 naming the field', async (_what, body, path) => {
      const reply = await node.refused('POST', '/api/v1/auth/token', { body });
      expectProblem(reply, 400, 'VALIDATION_FAILED');
      expect(reply.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    });

    it('refuses malformed JSON and a non-object body with 400', async () => {
      expectProblem(await node.refused('POST', '/api/v1/auth/token', { rawBody: '{"username": "operator",' }), 400, 'VALIDATION_FAILED');
      expectProblem(await node.refused('POST', '/api/v1/auth/token', { body: ['operator', OPERATOR_PASSWORD] }), 400, 'VALIDATION_FAILED');
    });
  });

  describe('SNMS login', () => {
    it('POST /identity/token takes the plain password and answers in the SNMS envelope', async () => {
      const reply = await node.request('POST', '/identity/token', { body: { username: 'operator', password: OPERATOR_PASSWORD } });
      expect(reply.status).toBe(200);
      expect(reply.body).toMatchObject({ status: 1, message: 'success', data: { token: expect.any(String) } });
      const claims = claimsOf(reply.body.data.token);
      expect(claims).toMatchObject({ sub: operatorId, role: 'operator' });
      expect((claims.exp as number) - (claims.iat as number)).toBe(86400);
    });

    it('POST /identity/token/v1 takes sha256(sha256(pwd) + today in UTC+8)', async () => {
      const reply = await node.request('POST', '/identity/token/v1', { body: { username: 'operator', password: snmsDigest(OPERATOR_PASSWORD) } });
      expect(reply.status).toBe(200);
      expect(reply.body).toMatchObject({ status: 1, message: 'success', data: { token: expect.any(String) } });
      expect(claimsOf(reply.body.data.token)).toMatchObject({ sub: operatorId });
    });

    it('accepts the digest in upper-case hex too', async () => {
      const reply = await node.request('POST', '/identity/token/v1', {
        body: { username: 'operator', password: snmsDigest(OPERATOR_PASSWORD).toUpperCase() },
      });
      expect(reply.status).toBe(200);
      expect(reply.body.status).toBe(1);
    });

    it.each([
      ['two days ago', () => snmsDigest(OPERATOR_PASSWORD, cstDay(-2))],
      ['two days ahead', () => snmsDigest(OPERATOR_PASSWORD, cstDay(2))],
      ['a wrong password', () => snmsDigest('wrong-password')],
      ['no date', () => sha256(sha256(OPERATOR_PASSWORD))],
      ['the plain password', () => OPERATOR_PASSWORD],
    ])('refuses on /identity/token/v1 a digest made with %s (401, status -1)', async (_what, password) => {
      const reply = await node.refused('POST', '/identity/token/v1', { body: { username: 'operator', password: password() } });
      expectSnmsFailure(reply, 401, -1);
    });

    it('refuses an unknown user on both SNMS routes', async () => {
      expectSnmsFailure(await node.refused('POST', '/identity/token', { body: { username: 'nobody', password: OPERATOR_PASSWORD } }), 401, -1);
      expectSnmsFailure(await node.refused('POST', '/identity/token/v1', { body: { username: 'nobody', password: snmsDigest(OPERATOR_PASSWORD) } }), 401, -1);
    });

    it('also accepts the digest on /identity/token', async () => {
      const reply = await node.request('POST', '/identity/token', { body: { username: 'operator', password: snmsDigest(OPERATOR_PASSWORD) } });
      expect(reply.status).toBe(200);
      expect(reply.body).toMatchObject({ status: 1, message: 'success', data: { token: expect.any(String) } });
    });

    it('refuses a stale digest and a wrong password on /identity/token', async () => {
      expectSnmsFailure(
        await node.refused('POST', '/identity/token', { body: { username: 'operator', password: snmsDigest(OPERATOR_PASSWORD, cstDay(-2)) } }),
        401,
        -1,
      );
      expectSnmsFailure(await node.refused('POST', '/identity/token', { body: { username: 'operator', password: 'wrong-password' } }), 401, -1);
    });

    it('refuses an unknown or missing field with 400 (status -2) naming it', async () => {
      const extra = await node.refused('POST', '/identity/token', { body: { username: 'operator', password: OPERATOR_PASSWORD, captcha: '1234' } });
      expectSnmsFailure(extra, 400, -2);
      expect(extra.body.errors).toEqual([{ path: '/captcha', message: 'is not an allowed field' }]);
      const missing = await node.refused('POST', '/identity/token/v1', { body: { username: 'operator' } });
      expectSnmsFailure(missing, 400, -2);
      expect(missing.body.errors).toEqual([{ path: '/password', message: 'is required' }]);
    });

    it('issues a token that works as a bearer token on the native API', async () => {
      const login = await node.request('POST', '/identity/token/v1', { body: { username: 'operator', password: snmsDigest(OPERATOR_PASSWORD) } });
      const reply = await node.request('GET', LIST, { token: login.body.data.token });
      expect(reply.status).toBe(200);
      expect(reply.body).toMatchObject({ items: [], total: 0, page: 1, pageSize: 20 });
    });

    it('lets an approved enterprise log in with the digest of the password it applied with', async () => {
      await node.approvedEnterprise('88.118.31', 'digest-ent', 'digest-pass-1');
      const reply = await node.request('POST', '/identity/token/v1', { body: { username: 'digest-ent', password: snmsDigest('digest-pass-1') } });
      expect(reply.status).toBe(200);
      expect(claimsOf(reply.body.data.token)).toMatchObject({ usr: 'digest-ent', role: 'enterprise', ent: expect.any(String) });
    });
  });

  describe('bearer tokens on protected routes', () => {
    const jwt = new JwtService({ secret: JWT_SECRET });
    const claims = () => ({ sub: operatorId, usr: 'operator', role: 'operator', ent: null });

    it('accepts a token signed with the node secret (control for the refusals below)', async () => {
      const token = jwt.sign({ ...claims(), exp: Math.floor(Date.now() / 1000) + 600 }, { algorithm: 'HS256' });
      expect((await node.request('GET', LIST, { token })).status).toBe(200);
    });

    it('refuses an expired token with 401', async () => {
      const now = Math.floor(Date.now() / 1000);
      const token = jwt.sign({ ...claims(), iat: now - 90000, exp: now - 3600 }, { algorithm: 'HS256' });
      const reply = await node.refused('GET', LIST, { token });
      expectProblem(reply, 401, 'AUTHENTICATION_REQUIRED');
      expect(reply.body.detail).toMatch(/expired/);
    });

    it('refuses a token signed with another secret with 401', async () => {
      const token = new JwtService({ secret: `${JWT_SECRET}-but-another-one` }).sign(claims(), { algorithm: 'HS256', expiresIn: 600 });
      expectProblem(await node.refused('GET', LIST, { token }), 401, 'AUTHENTICATION_REQUIRED');
    });

    it.each([
      ['has no expiry', () => jwt.sign(claims(), { algorithm: 'HS256' })],
      ['names an unknown role', () => jwt.sign({ ...claims(), role: 'admin' }, { algorithm: 'HS256', expiresIn: 600 })],
      ['is an enterprise token without enterprise', () => jwt.sign({ ...claims(), role: 'enterprise' }, { algorithm: 'HS256', expiresIn: 600 })],
      ['lacks the account claims', () => jwt.sign({ role: 'operator', ent: null }, { algorithm: 'HS256', expiresIn: 600 })],
    ])('refuses a correctly signed token that %s with 401, not 403', async (_what, token) => {
      expectProblem(await node.refused('GET', LIST, { token: token() }), 401, 'AUTHENTICATION_REQUIRED');
    });

    it('refuses a token whose claims were altered after signing', async () => {
      const enterprise = await node.approvedEnterprise('88.118.32', 'tamper-ent');
      const [header, payload, signature] = enterprise.token.split('.');
      const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), role: 'operator' })).toString('base64url');
      expectProblem(await node.refused('GET', LIST, { token: [header, forged, signature].join('.') }), 401, 'AUTHENTICATION_REQUIRED');
    });

    it('refuses an unsigned ("alg": "none") token', async () => {
      const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const token = `${part({ alg: 'none', typ: 'JWT' })}.${part({ ...claims(), exp: Math.floor(Date.now() / 1000) + 600 })}.`;
      expectProblem(await node.refused('GET', LIST, { token }), 401, 'AUTHENTICATION_REQUIRED');
    });

    it.each([
      ['Basic credentials', 'Basic x'],
      ['a bearer scheme without token', 'Bearer'],
      ['a garbage token', 'Bearer not-a-jwt'],
    ])('refuses %s with 401', async (_what, authorization) => {
      expectProblem(await node.refused('GET', LIST, { headers: { authorization } }), 401, 'AUTHENTICATION_REQUIRED');
    });

    it('refuses a request without token with 401 AUTHENTICATION_REQUIRED', async () => {
      expectProblem(await node.refused('GET', LIST), 401, 'AUTHENTICATION_REQUIRED');
    });

    it('refuses an enterprise token on an operator-only route with 403 FORBIDDEN', async () => {
      const enterprise = await node.approvedEnterprise('88.118.33', 'forbidden-ent');
      const pending = await node.request('POST', LIST, {
        body: {
          orgName: 'Waiting Ltd',
          creditCode: '91350100M000100Y43',
          contactName: 'Li Si',
          contactPhone: '+86 10 1234 5678',
          contactEmail: 'li@example.cn',
          requestedPrefix: '88.118.34',
          username: 'waiting-ent',
          password: 'waiting-pass-1',
        },
      });
      expect(pending.status).toBe(201);
      const reply = await node.refused('POST', `${LIST}/${pending.body.id}/approve`, { token: enterprise.token });
      expectProblem(reply, 403, 'FORBIDDEN');
      const reject = await node.refused('POST', `${LIST}/${pending.body.id}/reject`, { token: enterprise.token, body: { reason: 'no' } });
      expectProblem(reject, 403, 'FORBIDDEN');
    });

    it('refuses approve without token with 401, before looking at the id', async () => {
      expectProblem(await node.refused('POST', `${LIST}/${randomUUID()}/approve`), 401, 'AUTHENTICATION_REQUIRED');
    });
  });
});

describe('operator bootstrap without OPERATOR_PASSWORD', () => {
  /** Runs `work` while collecting what is written to stdout. */
  async function captureStdout<T>(work: () => Promise<T>): Promise<{ result: T; output: string }> {
    const chunks: string[] = [];
    const original = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof process.stdout.write;
    try {
      const result = await work();
      return { result, output: chunks.join('') };
    } finally {
      process.stdout.write = original;
    }
  }

  it('TestNode.start({OPERATOR_PASSWORD: ""}) generates a password and prints it', async () => {
    const { result: node, output } = await captureStdout(() => TestNode.start({ OPERATOR_PASSWORD: '' }));
    try {
      const match = /Operator account created: username "operator", password "([^"]+)"/.exec(output);
      expect(match).not.toBeNull();
      const password = match![1];
      expect(password.length).toBeGreaterThanOrEqual(16);
      expect(password).not.toBe(OPERATOR_PASSWORD);
      expect(output.split(password)).toHaveLength(2); // printed exactly once
      await expect(node.token('operator', password)).resolves.toEqual(expect.any(String));
      const stored = await node.db.client.query<{ password_hash: string }>(`SELECT password_hash FROM accounts WHERE username = 'operator'`);
      expect(stored.rows[0].password_hash).toMatch(/^scrypt\$/);
      expect(stored.rows[0].password_hash).not.toContain(password);
    } finally {
      await node.stop();
    }
  });

  describe('two starts on the same database', () => {
    let db: TestDatabase;
    const apps: NestFastifyApplication[] = [];

    beforeAll(async () => {
      db = await createTestDatabase('boot');
    });
    afterAll(async () => {
      for (const app of apps) await app.close();
      await db?.drop();
    });

    async function boot(): Promise<{ output: string; baseUrl: string; app: NestFastifyApplication }> {
      const config = loadAppConfig({ DATABASE_URL: db.url, JWT_SECRET, LOG_LEVEL: 'error', SECONDARY_PREFIX: '88.118' });
      expect(config.operatorPassword).toBeUndefined();
      const { result: app, output } = await captureStdout(async () => {
        const created = await createNodeApp(config, db.url);
        apps.push(created);
        await created.listen(0, '127.0.0.1');
        return created;
      });
      const address = app.getHttpServer().address();
      const port = typeof address === 'object' && address ? address.port : 0;
      return { output, baseUrl: `http://127.0.0.1:${port}`, app };
    }

    async function login(baseUrl: string, password: string): Promise<number> {
      const response = await fetch(`${baseUrl}/api/v1/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'operator', password }),
      });
      await response.text();
      return response.status;
    }

    it('prints the generated password on the first start only, and it keeps working', async () => {
      const first = await boot();
      const password = /Operator account created: username "operator", password "([^"]+)"/.exec(first.output)?.[1];
      expect(password).toBeDefined();
      expect(await login(first.baseUrl, password!)).toBe(200);
      await first.app.close();
      apps.splice(apps.indexOf(first.app), 1);
      const hashAfterFirst = await db.client.query(`SELECT id, password_hash FROM accounts`);

      const second = await boot();
      expect(second.output).not.toContain('Operator account created');
      expect(second.output).not.toContain(password!);
      expect((await db.client.query(`SELECT id, password_hash FROM accounts`)).rows).toEqual(hashAfterFirst.rows);
      expect(await login(second.baseUrl, password!)).toBe(200);
    });
  });
});
