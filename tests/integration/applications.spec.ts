import { randomUUID } from 'node:crypto';
import { databaseFingerprint } from '../support/test-database';
import { applicationBody, type HttpReply, OPERATOR_PASSWORD, TestNode, validCreditCode } from '../support/test-node';

const APPLICATIONS = '/api/v1/enterprises/applications';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function expectProblem(reply: HttpReply, status: number, code: string): void {
  expect(reply.status).toBe(status);
  expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(reply.body).toMatchObject({ status, code, title: expect.any(String), detail: expect.any(String) });
}

function errorPaths(reply: HttpReply): string[] {
  return (reply.body.errors ?? []).map((e: { path: string }) => e.path);
}

function expectNoSecrets(view: Record<string, unknown>, password: string): void {
  for (const key of Object.keys(view)) expect(key.toLowerCase()).not.toContain('password');
  expect(JSON.stringify(view)).not.toContain(password);
  expect(JSON.stringify(view)).not.toContain('scrypt$');
}

describe('enterprise applications', () => {
  let node: TestNode;
  let operator: string;

  beforeAll(async () => {
    node = await TestNode.start();
    operator = await node.operatorToken();
  });
  afterAll(async () => {
    await node?.stop();
  });


  function apply(body: Record<string, unknown>): Promise<HttpReply> {
    return node.request('POST', APPLICATIONS, { body });
  }

  async function applied(prefix: string, username: string, password?: string): Promise<Record<string, any>> {
    const reply = await apply(applicationBody(prefix, username, password));
    expect(reply.status).toBe(201);
    return reply.body;
  }

  const approve = (id: string, token = operator) => node.request('POST', `${APPLICATIONS}/${id}/approve`, { token });
  const reject = (id: string, reason: string, token = operator) => node.request('POST', `${APPLICATIONS}/${id}/reject`, { token, body: { reason } });

  async function prefixRow(prefixKey: string) {
    const rows = await node.db.client.query(`SELECT prefix, status, enterprise_id, application_id FROM enterprise_prefixes WHERE prefix_key = $1`, [prefixKey]);
    return rows.rows[0];
  }

  describe('POST /api/v1/enterprises/applications', () => {
    it('records a pending application and reserves the prefix, without creating an account', async () => {
      const body = applicationBody('88.118.100', 'first-ent', 'first-pass-123');
      const reply = await apply(body);
      expect(reply.status).toBe(201);
      expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
      expect(reply.body).toEqual({
        id: expect.stringMatching(UUID),
        status: 'pending_review',
        orgName: body.orgName,
        creditCode: body.creditCode,
        contactName: body.contactName,
        contactPhone: body.contactPhone,
        contactEmail: body.contactEmail,
        requestedPrefix: '88.118.100',
        username: 'first-ent',
        enterpriseId: null,
        reviewReason: null,
        reviewedBy: null,
        reviewedAt: null,
        createdAt: expect.stringMatching(ISO_TIME),
        updatedAt: expect.stringMatching(ISO_TIME),
      });
      expectNoSecrets(reply.body, 'first-pass-123');

      const stored = await node.db.client.query(`SELECT status, password_hash, password_digest_sealed FROM enterprise_applications WHERE id = $1`, [reply.body.id]);
      expect(stored.rows[0].status).toBe('pending_review');
      expect(stored.rows[0].password_hash).toMatch(/^scrypt\$/);
      expect(stored.rows[0].password_hash).not.toContain('first-pass-123');
      expect(stored.rows[0].password_digest_sealed).not.toContain('first-pass-123');
      expect(await prefixRow('88.118.100')).toEqual({ prefix: '88.118.100', status: 'pending_review', enterprise_id: null, application_id: reply.body.id });
      expect((await node.db.client.query(`SELECT 1 FROM accounts WHERE username = 'first-ent'`)).rowCount).toBe(0);
      expect((await node.db.client.query(`SELECT 1 FROM enterprises WHERE credit_code = $1`, [body.creditCode])).rowCount).toBe(0);

      const fetched = await node.request('GET', `${APPLICATIONS}/${reply.body.id}`, { token: operator });
      expect(fetched.status).toBe(200);
      expect(fetched.body).toEqual(reply.body);
    });

    it('does not let the pending applicant log in', async () => {
      await applied('88.118.101', 'pending-ent', 'pending-pass-1');
      expectProblem(
        await node.refused('POST', '/api/v1/auth/token', { body: { username: 'pending-ent', password: 'pending-pass-1' } }),
        401,
        'INVALID_CREDENTIALS',
      );
      const snms = await node.refused('POST', '/identity/token', { body: { username: 'pending-ent', password: 'pending-pass-1' } });
      expect(snms.status).toBe(401);
      expect(snms.body).toMatchObject({ status: -1, data: null });
    });

    it.each([
      ['a wrong check character', '91350100M000100Y44', /check character is "4" but should be "3"/],
      ['a letter GB 32100 leaves out', '91350100M0I0100Y43', /character "I" at position 11 is not allowed/],
      ['lower case', '91350100m000100y43', /character "m" at position 9 is not allowed/],
    ])('refuses a credit code with %s, naming creditCode', async (_what, creditCode, why) => {
      const reply = await node.refused('POST', APPLICATIONS, { body: { ...applicationBody('88.118.102', 'cc-ent'), creditCode } });
      expectProblem(reply, 400, 'VALIDATION_FAILED');
      expect(reply.body.detail).toMatch(/creditCode/);
      expect(reply.body.errors).toEqual([{ path: '/creditCode', message: expect.stringMatching(why) }]);
    });

    it.each(['9135010M000100Y43', '91350100M000100Y430'])('refuses a credit code of the wrong length (%s), naming creditCode', async (creditCode) => {
      const reply = await node.refused('POST', APPLICATIONS, { body: { ...applicationBody('88.118.102', 'cc-ent'), creditCode } });
      expectProblem(reply, 400, 'VALIDATION_FAILED');
      expect(errorPaths(reply)).toEqual(['/creditCode']);
    });

    it.each([
      ['under another secondary prefix', '88.200.5'],
      ['the node prefix itself', '88.118'],
      ['two levels down', '88.118.8.1'],
      ['a space', '88.118.a b'],
      ['a slash', '88.118.8/x'],
      ['non-ASCII characters', '88.118.标识'],
      ['an empty segment', '88.118..8'],
      ['a trailing dot', '88.118.'],
      ['a lookalike of the node prefix', '88.1180.8'],
      ['an empty string', ''],
      ['more than 64 characters', `88.118.${'a'.repeat(58)}`],
    ])('refuses a requested prefix %s (%j) with 400 naming requestedPrefix', async (_what, requestedPrefix) => {
      const reply = await node.refused('POST', APPLICATIONS, { body: { ...applicationBody('88.118.103', 'prefix-ent'), requestedPrefix } });
      expectProblem(reply, 400, 'VALIDATION_FAILED');
      expect(errorPaths(reply)).toEqual(['/requestedPrefix']);
    });

    it('refuses an unknown field, a missing field and a wrong type with 400 naming each', async () => {
      const extra = await node.refused('POST', APPLICATIONS, { body: { ...applicationBody('88.118.104', 'form-ent'), role: 'operator' } });
      expectProblem(extra, 400, 'VALIDATION_FAILED');
      expect(errorPaths(extra)).toEqual(['/role']);

      const { contactEmail: _omitted, ...withoutEmail } = applicationBody('88.118.104', 'form-ent');
      const missing = await node.refused('POST', APPLICATIONS, { body: withoutEmail });
      expectProblem(missing, 400, 'VALIDATION_FAILED');
      expect(errorPaths(missing)).toEqual(['/contactEmail']);

      const wrongType = await node.refused('POST', APPLICATIONS, { body: { ...applicationBody('88.118.104', 'form-ent'), orgName: 42 } });
      expectProblem(wrongType, 400, 'VALIDATION_FAILED');
      expect(errorPaths(wrongType)).toEqual(['/orgName']);
    });

    it.each([
      ['password', 'short'],
      ['username', 'ab'],
      ['username', 'has space'],
      ['contactEmail', 'not-an-email'],
      ['contactPhone', 'call me'],
      ['orgName', ''],
      ['orgName', 'x'.repeat(201)],
    ])('refuses a bad %s (%j) with 400', async (field, value) => {
      const reply = await node.refused('POST', APPLICATIONS, { body: { ...applicationBody('88.118.105', 'field-ent'), [field]: value } });
      expectProblem(reply, 400, 'VALIDATION_FAILED');
      expect(errorPaths(reply)).toEqual([`/${field}`]);
    });

    it.each(['orgName', 'contactName', 'contactEmail'])('refuses a control character in %s with 400, not a server error', async (field) => {
      const body = applicationBody('88.118.106', 'nul-ent');
      const value = field === 'contactEmail' ? 'nul\u0000@example.cn' : 'Acme\u0000 Ltd';
      const reply = await node.refused('POST', APPLICATIONS, { body: { ...body, [field]: value } });
      expectProblem(reply, 400, 'VALIDATION_FAILED');
      expect(errorPaths(reply)).toEqual([`/${field}`]);
    });

    it('refuses a prefix that is already requested with 409 PREFIX_UNAVAILABLE, in any letter case', async () => {
      await applied('88.118.abc', 'dup-prefix-1');
      for (const requestedPrefix of ['88.118.abc', '88.118.ABC']) {
        const reply = await node.refused('POST', APPLICATIONS, { body: applicationBody(requestedPrefix, 'dup-prefix-2') });
        expectProblem(reply, 409, 'PREFIX_UNAVAILABLE');
        expect(errorPaths(reply)).toEqual(['/requestedPrefix']);
      }
    });

    it('refuses a prefix that is already active with 409 PREFIX_UNAVAILABLE', async () => {
      await node.approvedEnterprise('88.118.107', 'active-prefix-ent');
      const reply = await node.refused('POST', APPLICATIONS, { body: applicationBody('88.118.107', 'active-prefix-2') });
      expectProblem(reply, 409, 'PREFIX_UNAVAILABLE');
    });

    it('refuses a username that a pending application, an account or the operator holds with 409', async () => {
      await applied('88.118.108', 'taken-pending');
      await node.approvedEnterprise('88.118.109', 'taken-active');
      for (const username of ['taken-pending', 'taken-active', 'operator']) {
        const reply = await node.refused('POST', APPLICATIONS, { body: applicationBody('88.118.110', username) });
        expectProblem(reply, 409, 'CONFLICT');
        expect(errorPaths(reply)).toEqual(['/username']);
      }
    });

    it('refuses a credit code that a pending application or an enterprise holds with 409', async () => {
      const pending = await applied('88.118.111', 'credit-pending');
      const active = await node.approvedEnterprise('88.118.112', 'credit-active');
      const activeCode = (await node.request('GET', `${APPLICATIONS}/${active.applicationId}`, { token: operator })).body.creditCode;
      for (const creditCode of [pending.creditCode, activeCode]) {
        const reply = await node.refused('POST', APPLICATIONS, { body: { ...applicationBody('88.118.113', 'credit-new'), creditCode } });
        expectProblem(reply, 409, 'CONFLICT');
        expect(errorPaths(reply)).toEqual(['/creditCode']);
      }
    });

    it('gives one of two simultaneous applications for the same prefix, and refuses the other', async () => {
      const replies = await Promise.all([apply(applicationBody('88.118.114', 'race-a')), apply(applicationBody('88.118.114', 'race-b'))]);
      expect(replies.map((r) => r.status).sort()).toEqual([201, 409]);
      const loser = replies.find((r) => r.status === 409)!;
      expect(loser.body.code).toBe('PREFIX_UNAVAILABLE');
      const rows = await node.db.client.query(`SELECT count(*)::int AS n FROM enterprise_applications WHERE requested_prefix = '88.118.114'`);
      expect(rows.rows[0].n).toBe(1);
    });

    it('gives one of two simultaneous applications with the same username, and refuses the other', async () => {
      const replies = await Promise.all([apply(applicationBody('88.118.115', 'race-user')), apply(applicationBody('88.118.116', 'race-user'))]);
      expect(replies.map((r) => r.status).sort()).toEqual([201, 409]);
      expect(replies.find((r) => r.status === 409)!.body.code).toBe('CONFLICT');
    });
  });

  describe('review', () => {
    let reasonCase = 0;
    it('approves: the application becomes active, the enterprise and its account exist and the prefix is active', async () => {
      const application = await applied('88.118.200', 'approved-ent', 'approved-pass-1');
      const reply = await approve(application.id);
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual({
        ...application,
        status: 'active',
        enterpriseId: expect.stringMatching(UUID),
        reviewedBy: 'operator',
        reviewedAt: expect.stringMatching(ISO_TIME),
        updatedAt: expect.stringMatching(ISO_TIME),
      });
      expectNoSecrets(reply.body, 'approved-pass-1');
      const enterpriseId = reply.body.enterpriseId;

      expect(await prefixRow('88.118.200')).toEqual({ prefix: '88.118.200', status: 'active', enterprise_id: enterpriseId, application_id: application.id });
      const enterprise = await node.db.client.query(`SELECT org_name, credit_code, status FROM enterprises WHERE id = $1`, [enterpriseId]);
      expect(enterprise.rows[0]).toEqual({ org_name: application.orgName, credit_code: application.creditCode, status: 'active' });
      const account = await node.db.client.query(`SELECT role, status, enterprise_id FROM accounts WHERE username = 'approved-ent'`);
      expect(account.rows[0]).toEqual({ role: 'enterprise', status: 'active', enterprise_id: enterpriseId });

      const login = await node.request('POST', '/api/v1/auth/token', { body: { username: 'approved-ent', password: 'approved-pass-1' } });
      expect(login.status).toBe(200);
      const claims = JSON.parse(Buffer.from(login.body.accessToken.split('.')[1], 'base64url').toString());
      expect(claims).toMatchObject({ usr: 'approved-ent', role: 'enterprise', ent: enterpriseId });

      const fetched = await node.request('GET', `${APPLICATIONS}/${application.id}`, { token: operator });
      expect(fetched.body).toEqual(reply.body);
    });

    it('refuses to approve or reject twice with 409 ILLEGAL_TRANSITION', async () => {
      const application = await applied('88.118.201', 'twice-ent');
      expect((await approve(application.id)).status).toBe(200);
      const again = await node.refused('POST', `${APPLICATIONS}/${application.id}/approve`, { token: operator });
      expectProblem(again, 409, 'ILLEGAL_TRANSITION');
      expect(again.body.detail).toMatch(/active/);
      expectProblem(await node.refused('POST', `${APPLICATIONS}/${application.id}/reject`, { token: operator, body: { reason: 'too late' } }), 409, 'ILLEGAL_TRANSITION');
    });

    it('approves only once when two operators approve at the same time', async () => {
      const application = await applied('88.118.202', 'double-approve');
      const replies = await Promise.all([approve(application.id), approve(application.id)]);
      expect(replies.map((r) => r.status).sort()).toEqual([200, 409]);
      const enterprises = await node.db.client.query(`SELECT count(*)::int AS n FROM enterprises WHERE credit_code = $1`, [application.creditCode]);
      expect(enterprises.rows[0].n).toBe(1);
    });

    it('rejects with a reason: the prefix is freed, the applicant cannot log in, and the prefix can be requested again', async () => {
      const application = await applied('88.118.203', 'rejected-ent', 'rejected-pass-1');
      const reply = await reject(application.id, 'licence image unreadable');
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual({
        ...application,
        status: 'rejected',
        reviewReason: 'licence image unreadable',
        reviewedBy: 'operator',
        reviewedAt: expect.stringMatching(ISO_TIME),
        updatedAt: expect.stringMatching(ISO_TIME),
      });
      expect(await prefixRow('88.118.203')).toBeUndefined();
      expect((await node.db.client.query(`SELECT 1 FROM enterprises WHERE credit_code = $1`, [application.creditCode])).rowCount).toBe(0);
      expectProblem(
        await node.refused('POST', '/api/v1/auth/token', { body: { username: 'rejected-ent', password: 'rejected-pass-1' } }),
        401,
        'INVALID_CREDENTIALS',
      );

      // The same applicant may correct and resubmit; someone else may take the prefix.
      const again = await apply({ ...applicationBody('88.118.203', 'rejected-ent'), creditCode: application.creditCode });
      expect(again.status).toBe(201);
      expect((await prefixRow('88.118.203')).application_id).toBe(again.body.id);
    });

    it('refuses to approve or reject a rejected application with 409', async () => {
      const application = await applied('88.118.204', 'reject-then-approve');
      expect((await reject(application.id, 'incomplete')).status).toBe(200);
      expectProblem(await node.refused('POST', `${APPLICATIONS}/${application.id}/approve`, { token: operator }), 409, 'ILLEGAL_TRANSITION');
      expectProblem(await node.refused('POST', `${APPLICATIONS}/${application.id}/reject`, { token: operator, body: { reason: 'again' } }), 409, 'ILLEGAL_TRANSITION');
    });

    it.each([
      ['no body', undefined],
      ['no reason', {}],
      ['an empty reason', { reason: '' }],
      ['a blank reason', { reason: '   ' }],
      ['a reason that is not a string', { reason: 42 }],
      ['an unknown field', { reason: 'ok', notify: true }],
      ['a reason over 1000 characters', { reason: 'x'.repeat(1001) }],
    ])('refuses a rejection with %s with 400', async (_what, body) => {
      reasonCase += 1;
      const application = await applied(`88.118.${300 + reasonCase}`, `reason-${reasonCase}`);
      const reply = await node.refused('POST', `${APPLICATIONS}/${application.id}/reject`, { token: operator, body });
      expectProblem(reply, 400, 'VALIDATION_FAILED');
      const stored = await node.db.client.query(`SELECT status FROM enterprise_applications WHERE id = $1`, [application.id]);
      expect(stored.rows[0].status).toBe('pending_review');
    });

    it('answers 404 APPLICATION_NOT_FOUND for an unknown id', async () => {
      const id = randomUUID();
      expectProblem(await node.refused('GET', `${APPLICATIONS}/${id}`, { token: operator }), 404, 'APPLICATION_NOT_FOUND');
      expectProblem(await node.refused('POST', `${APPLICATIONS}/${id}/approve`, { token: operator }), 404, 'APPLICATION_NOT_FOUND');
      expectProblem(await node.refused('POST', `${APPLICATIONS}/${id}/reject`, { token: operator, body: { reason: 'x' } }), 404, 'APPLICATION_NOT_FOUND');
    });

    it.each(['not-a-uuid', '123', `${randomUUID()}x`])('answers 400 for the non-UUID id %s', async (id) => {
      expectProblem(await node.refused('GET', `${APPLICATIONS}/${id}`, { token: operator }), 400, 'VALIDATION_FAILED');
      expectProblem(await node.refused('POST', `${APPLICATIONS}/${id}/approve`, { token: operator }), 400, 'VALIDATION_FAILED');
      expectProblem(await node.refused('POST', `${APPLICATIONS}/${id}/reject`, { token: operator, body: { reason: 'x' } }), 400, 'VALIDATION_FAILED');
    });

    it('lets an enterprise read its own application but not another one', async () => {
      const mine = await node.approvedEnterprise('88.118.205', 'reader-ent');
      const other = await applied('88.118.206', 'other-ent');
      const own = await node.request('GET', `${APPLICATIONS}/${mine.applicationId}`, { token: mine.token });
      expect(own.status).toBe(200);
      expect(own.body).toMatchObject({ id: mine.applicationId, status: 'active', enterpriseId: mine.enterpriseId });
      expectProblem(await node.refused('GET', `${APPLICATIONS}/${other.id}`, { token: mine.token }), 404, 'APPLICATION_NOT_FOUND');
    });

    it('does not let anonymous callers read an application', async () => {
      const application = await applied('88.118.207', 'anon-read');
      expectProblem(await node.refused('GET', `${APPLICATIONS}/${application.id}`), 401, 'AUTHENTICATION_REQUIRED');
    });
  });
});

describe('listing enterprise applications', () => {
  let node: TestNode;
  let operator: string;
  /** Newest first, as the list orders them. */
  let all: Array<Record<string, any>>;
  let activeEnterprise: { token: string; applicationId: string };

  beforeAll(async () => {
    node = await TestNode.start();
    operator = await node.token('operator', OPERATOR_PASSWORD);
    const names = ['Alpha Tools', 'Beta Valves', 'Gamma Steel', 'Delta Pumps', 'Epsilon 100% Co', 'Zeta_Works'];
    const created: Array<Record<string, any>> = [];
    for (const [i, name] of names.entries()) {
      const reply = await node.request('POST', APPLICATIONS, {
        body: { ...applicationBody(`88.118.${50 + i}`, `list-${i}`), orgName: name, creditCode: validCreditCode() },
      });
      expect(reply.status).toBe(201);
      created.push(reply.body);
    }
    // Alpha becomes active, Gamma is rejected, the others stay pending.
    expect((await node.request('POST', `${APPLICATIONS}/${created[0].id}/approve`, { token: operator })).status).toBe(200);
    expect((await node.request('POST', `${APPLICATIONS}/${created[2].id}/reject`, { token: operator, body: { reason: 'no' } })).status).toBe(200);
    activeEnterprise = { token: await node.token('list-0', 'enterprise-pass-1'), applicationId: created[0].id };
    all = [...created].reverse();
  });
  afterAll(async () => {
    await node?.stop();
  });

  async function list(query: string, token = operator): Promise<HttpReply> {
    return node.request('GET', `${APPLICATIONS}${query}`, { token });
  }
  const ids = (reply: HttpReply) => reply.body.items.map((item: { id: string }) => item.id);

  it('lists every application for the operator, newest first, with total and defaults page 1 of 20', async () => {
    const reply = await list('');
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ items: expect.any(Array), total: 6, page: 1, pageSize: 20 });
    expect(ids(reply)).toEqual(all.map((a) => a.id));
    expect(reply.body.items.map((a: { status: string }) => a.status)).toEqual(['pending_review', 'pending_review', 'pending_review', 'rejected', 'pending_review', 'active']);
    for (const item of reply.body.items) expectNoSecrets(item, 'enterprise-pass-1');
  });

  it.each([
    ['pending_review', ['Zeta_Works', 'Epsilon 100% Co', 'Delta Pumps', 'Beta Valves']],
    ['active', ['Alpha Tools']],
    ['rejected', ['Gamma Steel']],
    ['filing', []],
  ])('filters by status=%s', async (status, names) => {
    const reply = await list(`?status=${status}`);
    expect(reply.status).toBe(200);
    expect(reply.body.total).toBe(names.length);
    expect(reply.body.items.map((a: { orgName: string }) => a.orgName)).toEqual(names);
  });

  it('searches organisation name (case-insensitive), prefix and credit code with q', async () => {
    expect((await list('?q=valve')).body.items.map((a: { orgName: string }) => a.orgName)).toEqual(['Beta Valves']);
    expect(ids(await list('?q=88.118.53'))).toEqual([all[2].id]);
    const delta = all.find((a) => a.orgName === 'Delta Pumps')!;
    expect(ids(await list(`?q=${delta.creditCode}`))).toEqual([delta.id]);
    expect((await list('?q=nothing-matches')).body).toEqual({ items: [], total: 0, page: 1, pageSize: 20 });
  });

  it('treats % and _ in q literally', async () => {
    expect((await list(`?q=${encodeURIComponent('100%')}`)).body.items.map((a: { orgName: string }) => a.orgName)).toEqual(['Epsilon 100% Co']);
    expect((await list('?q=_')).body.items.map((a: { orgName: string }) => a.orgName)).toEqual(['Zeta_Works']);
    expect((await list(`?q=${encodeURIComponent('%')}`)).body.total).toBe(1);
  });

  it('combines status and q', async () => {
    // "ta" cannot occur in a credit code (letters only in the last place) nor in a prefix.
    expect((await list('?status=pending_review&q=TA')).body.items.map((a: { orgName: string }) => a.orgName)).toEqual(['Zeta_Works', 'Delta Pumps', 'Beta Valves']);
    expect((await list('?status=active&q=valve')).body.total).toBe(0);
  });

  it('pages from 1 with pageSize, and the pages together list every application once', async () => {
    const pages = [];
    for (let page = 1; page <= 4; page += 1) {
      const reply = await list(`?page=${page}&pageSize=2`);
      expect(reply.status).toBe(200);
      expect(reply.body).toMatchObject({ total: 6, page, pageSize: 2 });
      pages.push(ids(reply));
    }
    expect(pages.map((p) => p.length)).toEqual([2, 2, 2, 0]);
    expect(pages.flat()).toEqual(all.map((a) => a.id));
    expect((await list('?pageSize=200')).body).toMatchObject({ total: 6, pageSize: 200 });
    expect((await list('?status=pending_review&page=2&pageSize=3')).body).toMatchObject({ total: 4, page: 2, pageSize: 3, items: [expect.objectContaining({ orgName: 'Beta Valves' })] });
  });

  it.each([
    ['pageSize=0', 'pageSize'],
    ['pageSize=201', 'pageSize'],
    ['pageSize=abc', 'pageSize'],
    ['page=0', 'page'],
    ['page=-1', 'page'],
    ['page=1.5', 'page'],
    ['status=approved_ish', 'status'],
    ['page=1&page=2', 'page'],
    [`q=${'x'.repeat(101)}`, 'q'],
  ])('refuses ?%s with 400 naming %s', async (query, name) => {
    const reply = await node.request('GET', `${APPLICATIONS}?${query}`, { token: operator });
    expectProblem(reply, 400, 'VALIDATION_FAILED');
    expect(reply.body.detail).toContain(name);
  });

  it('shows an enterprise only its own applications', async () => {
    const reply = await list('', activeEnterprise.token);
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ total: 1, page: 1, pageSize: 20 });
    expect(ids(reply)).toEqual([activeEnterprise.applicationId]);
    expect((await list('?status=pending_review', activeEnterprise.token)).body.total).toBe(0);
    expect((await list('?q=Beta', activeEnterprise.token)).body.total).toBe(0);
  });

  it('refuses anonymous callers with 401', async () => {
    const before = await databaseFingerprint(node.db.client);
    expectProblem(await node.request('GET', APPLICATIONS), 401, 'AUTHENTICATION_REQUIRED');
    expect(await databaseFingerprint(node.db.client)).toEqual(before);
  });
});
