import { databaseFingerprint } from '../support/test-database';
import { applicationBody, type EnterpriseFixture, type HttpReply, TestNode } from '../support/test-node';

/**
 * Handle.Net JSON REST front door (reference/handle-gs1.md §B, DESIGN §4.1) against a real node and
 * a real PostgreSQL: PUT / GET / DELETE of one handle, listing, prefixes.
 */

const ISO_SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

interface StoredRow {
  handle: string;
  prefix_key: string;
  values: Array<Record<string, unknown>>;
  version: number;
  updated_at: Date;
}

async function storedRow(node: TestNode, handleKey: string): Promise<StoredRow | undefined> {
  const result = await node.db.client.query<StoredRow>(
    `SELECT handle, prefix_key, "values", version, updated_at FROM identifiers WHERE handle_key = $1`,
    [handleKey],
  );
  return result.rows[0];
}

function url(index: number, value: string, extra: Record<string, unknown> = {}) {
  return { index, type: 'URL', data: { format: 'string', value }, ...extra };
}

function email(index: number, value: string, extra: Record<string, unknown> = {}) {
  return { index, type: 'EMAIL', data: { format: 'string', value }, ...extra };
}

/** What GET returns for a value written without ttl/timestamp/permissions. */
function served(value: { index: number; type: string; data: unknown }, extra: Record<string, unknown> = {}) {
  return { index: value.index, type: value.type, data: value.data, ttl: 86400, timestamp: expect.stringMatching(ISO_SECONDS), ...extra };
}

function indexesOf(reply: HttpReply): number[] {
  return (reply.body.values as Array<{ index: number }>).map((v) => v.index);
}

function notFound(handle: string) {
  return { responseCode: 100, handle, message: expect.any(String) };
}

describe('Handle REST: PUT /api/handles/{handle}', () => {
  let node: TestNode;
  let acme: EnterpriseFixture;
  let beta: EnterpriseFixture;
  let operator: string;

  beforeAll(async () => {
    node = await TestNode.start();
    acme = await node.approvedEnterprise('88.118.8', 'acme');
    beta = await node.approvedEnterprise('88.118.9', 'beta');
    operator = await node.operatorToken();
  });
  afterAll(async () => {
    await node?.stop();
  });

  const put = (path: string, body: unknown, token = acme.token) => node.request('PUT', `/api/handles/${path}`, { token, body });

  it('creates a handle from an array of values with the default overwrite: 200 {responseCode: 1, handle}', async () => {
    const reply = await put('88.118.8/put-array', [url(1, 'https://acme.example.cn/p/1'), email(2, 'qa@acme.example.cn')]);
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
    expect(reply.body).toEqual({ responseCode: 1, handle: '88.118.8/put-array' });

    const row = await storedRow(node, '88.118.8/put-array');
    expect(row).toMatchObject({ handle: '88.118.8/put-array', prefix_key: '88.118.8', version: 1 });
    expect(row!.values.map((v) => v.index)).toEqual([1, 2]);

    const got = await node.request('GET', '/api/handles/88.118.8/put-array');
    expect(got.status).toBe(200);
    expect(got.body).toEqual({
      responseCode: 1,
      handle: '88.118.8/put-array',
      values: [served(url(1, 'https://acme.example.cn/p/1')), served(email(2, 'qa@acme.example.cn'))],
    });
  });

  it('accepts {values: [...]} with a matching handle property', async () => {
    const reply = await put('88.118.8/put-record', { handle: '88.118.8/put-record', values: [url(1, 'https://acme.example.cn/r')] });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ responseCode: 1, handle: '88.118.8/put-record' });
    const got = await node.request('GET', '/api/handles/88.118.8/put-record');
    expect(got.body.values).toEqual([served(url(1, 'https://acme.example.cn/r'))]);
  });

  it('accepts {values: [...]} without a handle property', async () => {
    const reply = await put('88.118.8/put-record-2', { values: [email(7, 'x@acme.example.cn')] });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ responseCode: 1, handle: '88.118.8/put-record-2' });
    expect(indexesOf(await node.request('GET', '/api/handles/88.118.8/put-record-2'))).toEqual([7]);
  });

  it('refuses a body whose handle property names another handle (400, responseCode 202) and stores nothing', async () => {
    const before = await databaseFingerprint(node.db.client);
    const reply = await put('88.118.8/put-mismatch', { handle: '88.118.8/something-else', values: [url(1, 'https://acme.example.cn')] });
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual({ responseCode: 202, handle: '88.118.8/put-mismatch', message: expect.stringContaining('88.118.8/something-else') });
    expect(await databaseFingerprint(node.db.client)).toEqual(before);
  });

  it('accepts a single value object as the body', async () => {
    const reply = await put('88.118.8/put-single', url(3, 'https://acme.example.cn/single'));
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ responseCode: 1, handle: '88.118.8/put-single' });
    const got = await node.request('GET', '/api/handles/88.118.8/put-single');
    expect(got.body.values).toEqual([served(url(3, 'https://acme.example.cn/single'))]);
  });

  it('accepts a Content-Type with a charset parameter', async () => {
    const reply = await node.request('PUT', '/api/handles/88.118.8/put-charset', {
      token: acme.token,
      rawBody: JSON.stringify([url(1, 'https://acme.example.cn/charset')]),
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ responseCode: 1, handle: '88.118.8/put-charset' });
  });

  it('overwrite=false on a new handle creates it with 201', async () => {
    const reply = await put('88.118.8/put-new?overwrite=false', [url(1, 'https://acme.example.cn/new')]);
    expect(reply.status).toBe(201);
    expect(reply.body).toEqual({ responseCode: 1, handle: '88.118.8/put-new' });
    expect(await storedRow(node, '88.118.8/put-new')).toMatchObject({ handle: '88.118.8/put-new', version: 1 });
  });

  it('overwrite=false on an existing handle is 409 responseCode 101 and leaves the record unchanged', async () => {
    await put('88.118.8/put-exists', [url(1, 'https://acme.example.cn/original')]);
    const rowBefore = await storedRow(node, '88.118.8/put-exists');
    const before = await databaseFingerprint(node.db.client);

    const reply = await put('88.118.8/put-exists?overwrite=false', [url(1, 'https://evil.example.cn/'), email(2, 'x@example.cn')]);
    expect(reply.status).toBe(409);
    expect(reply.body).toEqual({ responseCode: 101, handle: '88.118.8/put-exists', message: expect.any(String) });

    // Another spelling of the same handle (ASCII case-insensitive) is the same handle.
    const upper = await put('88.118.8/PUT-EXISTS?overwrite=false', [url(1, 'https://evil.example.cn/')]);
    expect(upper.status).toBe(409);
    expect(upper.body).toEqual({ responseCode: 101, handle: '88.118.8/PUT-EXISTS', message: expect.any(String) });

    expect(await storedRow(node, '88.118.8/put-exists')).toEqual(rowBefore);
    expect(await databaseFingerprint(node.db.client)).toEqual(before);
    const got = await node.request('GET', '/api/handles/88.118.8/put-exists');
    expect(got.body.values).toEqual([served(url(1, 'https://acme.example.cn/original'))]);
  });

  it('the default overwrite replaces every value, bumps the version column and keeps the original spelling', async () => {
    await put('88.118.8/Replace-Me', [url(1, 'https://acme.example.cn/old'), email(2, 'old@acme.example.cn')]);
    const first = await storedRow(node, '88.118.8/replace-me');
    expect(first).toMatchObject({ handle: '88.118.8/Replace-Me', version: 1 });

    const reply = await put('88.118.8/REPLACE-ME', [{ index: 3, type: 'DESC', data: { format: 'string', value: 'a wrench' } }]);
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ responseCode: 1, handle: '88.118.8/REPLACE-ME' });

    const second = await storedRow(node, '88.118.8/replace-me');
    expect(second).toMatchObject({ handle: '88.118.8/Replace-Me', version: 2 });
    expect(second!.values.map((v) => v.index)).toEqual([3]);
    expect(second!.updated_at.getTime()).toBeGreaterThanOrEqual(first!.updated_at.getTime());

    const got = await node.request('GET', '/api/handles/88.118.8/replace-me');
    expect(got.body).toEqual({
      responseCode: 1,
      handle: '88.118.8/replace-me',
      values: [served({ index: 3, type: 'DESC', data: { format: 'string', value: 'a wrench' } })],
    });
  });

  it('?index=2&index=3 adds or replaces exactly those values and keeps the others', async () => {
    await put('88.118.8/idx', [url(1, 'https://acme.example.cn/1'), email(2, 'old@acme.example.cn')]);
    const reply = await put('88.118.8/idx?index=2&index=3', [email(2, 'new@acme.example.cn'), { index: 3, type: 'DESC', data: 'three' }]);
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ responseCode: 1, handle: '88.118.8/idx' });

    const got = await node.request('GET', '/api/handles/88.118.8/idx');
    expect(got.body.values).toEqual([
      served(url(1, 'https://acme.example.cn/1')),
      served(email(2, 'new@acme.example.cn')),
      served({ index: 3, type: 'DESC', data: { format: 'string', value: 'three' } }),
    ]);
    expect((await storedRow(node, '88.118.8/idx'))!.version).toBe(2);
  });

  it('?index= must list exactly the indexes of the body, else 400 responseCode 202 and nothing changes', async () => {
    await put('88.118.8/idx-mismatch', [url(1, 'https://acme.example.cn/1')]);
    const before = await databaseFingerprint(node.db.client);

    const missing = await put('88.118.8/idx-mismatch?index=2&index=3', [email(2, 'a@acme.example.cn')]);
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual({ responseCode: 202, handle: '88.118.8/idx-mismatch', message: expect.stringContaining('index') });

    const extra = await put('88.118.8/idx-mismatch?index=2', [email(2, 'a@acme.example.cn'), email(4, 'b@acme.example.cn')]);
    expect(extra.status).toBe(400);
    expect(extra.body).toEqual({ responseCode: 202, handle: '88.118.8/idx-mismatch', message: expect.any(String) });

    expect(await databaseFingerprint(node.db.client)).toEqual(before);
  });

  it('?index=various adds or replaces the values of the body', async () => {
    await put('88.118.8/various', [url(1, 'https://acme.example.cn/1'), email(2, 'old@acme.example.cn')]);
    const reply = await put('88.118.8/various?index=various', [email(2, 'new@acme.example.cn'), url(5, 'https://acme.example.cn/5')]);
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ responseCode: 1, handle: '88.118.8/various' });
    const got = await node.request('GET', '/api/handles/88.118.8/various');
    expect(got.body.values).toEqual([
      served(url(1, 'https://acme.example.cn/1')),
      served(email(2, 'new@acme.example.cn')),
      served(url(5, 'https://acme.example.cn/5')),
    ]);
  });

  it('?index=N&overwrite=false: 409 responseCode 201 when the value exists, 201 when it is new', async () => {
    await put('88.118.8/add-only', [url(1, 'https://acme.example.cn/1'), email(2, 'keep@acme.example.cn')]);
    const before = await databaseFingerprint(node.db.client);

    const clash = await put('88.118.8/add-only?index=2&overwrite=false', [email(2, 'replace@acme.example.cn')]);
    expect(clash.status).toBe(409);
    expect(clash.body).toEqual({ responseCode: 201, handle: '88.118.8/add-only', message: expect.any(String) });
    expect(await databaseFingerprint(node.db.client)).toEqual(before);

    const added = await put('88.118.8/add-only?index=9&overwrite=false', [email(9, 'nine@acme.example.cn')]);
    expect(added.status).toBe(201);
    expect(added.body).toEqual({ responseCode: 1, handle: '88.118.8/add-only' });
    expect(indexesOf(await node.request('GET', '/api/handles/88.118.8/add-only'))).toEqual([1, 2, 9]);
    const got = await node.request('GET', '/api/handles/88.118.8/add-only?index=2');
    expect(got.body.values).toEqual([served(email(2, 'keep@acme.example.cn'))]);
  });

  it('?index=N on a handle that does not exist is 404 responseCode 100 and creates nothing', async () => {
    const before = await databaseFingerprint(node.db.client);
    const reply = await put('88.118.8/no-such-handle?index=1', [url(1, 'https://acme.example.cn/1')]);
    expect(reply.status).toBe(404);
    expect(reply.body).toEqual(notFound('88.118.8/no-such-handle'));
    expect(await databaseFingerprint(node.db.client)).toEqual(before);
  });

  it('mintNewSuffix=true on PUT /api/handles/{prefix}/ creates a new handle and returns its name', async () => {
    const body = [url(1, 'https://acme.example.cn/minted')];
    const first = await put('88.118.8/?mintNewSuffix=true', body);
    const second = await put('88.118.8/?mintNewSuffix', body);
    for (const reply of [first, second]) {
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual({ responseCode: 1, handle: expect.stringMatching(/^88\.118\.8\/[0-9a-f-]{8,}$/) });
    }
    expect(first.body.handle).not.toBe(second.body.handle);

    const got = await node.request('GET', `/api/handles/${first.body.handle}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual({ responseCode: 1, handle: first.body.handle, values: [served(url(1, 'https://acme.example.cn/minted'))] });
    expect(await storedRow(node, first.body.handle.toLowerCase())).toMatchObject({ handle: first.body.handle, prefix_key: '88.118.8', version: 1 });
  });

  it('mintNewSuffix=true appends to a partial suffix, and with overwrite=false answers 201', async () => {
    const reply = await put('88.118.8/lot-?mintNewSuffix=true&overwrite=false', [url(1, 'https://acme.example.cn/lot')]);
    expect(reply.status).toBe(201);
    expect(reply.body).toEqual({ responseCode: 1, handle: expect.stringMatching(/^88\.118\.8\/lot-[0-9a-f-]{8,}$/) });
    const got = await node.request('GET', `/api/handles/${reply.body.handle}`);
    expect(got.status).toBe(200);
    expect(got.body.values).toEqual([served(url(1, 'https://acme.example.cn/lot'))]);
    expect(await storedRow(node, '88.118.8/lot-')).toBeUndefined();
  });

  it('round-trips every value format, ttl form, permissions and references through GET', async () => {
    const values = [
      { index: 1, type: 'URL', data: { format: 'string', value: 'https://acme.example.cn/产品/1' } },
      { index: 2, type: 'BLOB', data: { format: 'base64', value: 'aGVsbG8gd29ybGQ=' } },
      { index: 3, type: 'RAW', data: { format: 'hex', value: 'cafe01' } },
      { index: 4, type: 'DESC', data: 'a bare string is string data' },
      { index: 5, type: 'URL.backup', data: { format: 'string', value: 'https://backup.example.cn' }, ttl: 3600, permissions: '1111' },
      { index: 6, type: 'EXPIRY', data: { format: 'string', value: 'x' }, ttl: '2030-01-02T03:04:05Z' },
      { index: 7, type: 'NOTE', data: { format: 'string', value: 'see also' }, references: [{ handle: '88.118.8/put-array', index: 1 }] },
      { index: 100, type: 'HS_ADMIN', data: { format: 'admin', value: { handle: '0.NA/88.118.8', index: 200, permissions: '011111111111' } } },
      { index: 200, type: 'HS_VLIST', data: { format: 'vlist', value: [{ handle: '88.118.8/admin', index: 300 }, { handle: '88.118.9/admin', index: 0 }] } },
    ];
    const reply = await put('88.118.8/formats', values);
    expect(reply.status).toBe(200);

    const got = await node.request('GET', '/api/handles/88.118.8/formats');
    expect(got.status).toBe(200);
    expect(got.body).toEqual({
      responseCode: 1,
      handle: '88.118.8/formats',
      values: [
        served(values[0]),
        served(values[1]),
        served(values[2]),
        served({ index: 4, type: 'DESC', data: { format: 'string', value: 'a bare string is string data' } }),
        served(values[4], { ttl: 3600, permissions: '1111' }),
        served(values[5], { ttl: '2030-01-02T03:04:05Z' }),
        served(values[6], { references: [{ handle: '88.118.8/put-array', index: 1 }] }),
        served(values[7]),
        served(values[8]),
      ],
    });
  });

  it('normalises hex data to lower case', async () => {
    await put('88.118.8/hex-case', [{ index: 1, type: 'RAW', data: { format: 'hex', value: 'CAFEbabe' } }]);
    const got = await node.request('GET', '/api/handles/88.118.8/hex-case');
    expect(got.body.values).toEqual([served({ index: 1, type: 'RAW', data: { format: 'hex', value: 'cafebabe' } })]);
  });

  it('stamps every stored value with the server time, ignoring a client timestamp', async () => {
    const before = Math.floor(Date.now() / 1000) * 1000;
    await put('88.118.8/stamped', [url(1, 'https://acme.example.cn/', { timestamp: '2001-01-01T00:00:00Z' }), email(2, 'a@acme.example.cn')]);
    const after = Date.now();
    const got = await node.request('GET', '/api/handles/88.118.8/stamped');
    expect(got.body.values).toHaveLength(2);
    for (const value of got.body.values as Array<{ timestamp: string }>) {
      expect(value.timestamp).toMatch(ISO_SECONDS);
      const at = Date.parse(value.timestamp);
      expect(at).toBeGreaterThanOrEqual(before);
      expect(at).toBeLessThanOrEqual(after);
    }
    const stored = await storedRow(node, '88.118.8/stamped');
    expect(stored!.values.map((v) => v.timestamp)).toEqual(got.body.values.map((v: { timestamp: string }) => v.timestamp));
  });

  it('keeps reserved and non-ASCII characters of a percent-encoded suffix exactly', async () => {
    const handle = '88.118.8/a?b#c%d+e f/产品';
    const path = '88.118.8/a%3Fb%23c%25d+e%20f/%E4%BA%A7%E5%93%81';
    const reply = await put(path, [url(1, 'https://acme.example.cn/special')]);
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ responseCode: 1, handle });
    expect(await storedRow(node, handle)).toMatchObject({ handle, prefix_key: '88.118.8' });
    const got = await node.request('GET', `/api/handles/${path}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual({ responseCode: 1, handle, values: [served(url(1, 'https://acme.example.cn/special'))] });
    // '+' is a literal plus in a path, not a space.
    expect((await node.request('GET', '/api/handles/88.118.8/a%3Fb%23c%25d%20e%20f/%E4%BA%A7%E5%93%81')).status).toBe(404);
  });

  it('folds ASCII case only: non-ASCII letters of different case are different handles', async () => {
    expect((await put('88.118.8/Ärger', [url(1, 'https://acme.example.cn/upper')])).status).toBe(200);
    const lower = await node.request('GET', '/api/handles/88.118.8/ärger');
    expect(lower.status).toBe(404);
    expect(lower.body).toEqual(notFound('88.118.8/ärger'));
    expect((await put('88.118.8/ärger?overwrite=false', [url(1, 'https://acme.example.cn/lower')])).status).toBe(201);
    const upper = await node.request('GET', '/api/handles/88.118.8/ÄRGER');
    expect(upper.body).toEqual({ responseCode: 1, handle: '88.118.8/ÄRGER', values: [served(url(1, 'https://acme.example.cn/upper'))] });
  });

  it('lets the operator write under any prefix homed here', async () => {
    const reply = await put('88.118.9/by-operator', [url(1, 'https://operator.example.cn')], operator);
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ responseCode: 1, handle: '88.118.9/by-operator' });
    expect(await storedRow(node, '88.118.9/by-operator')).toMatchObject({ prefix_key: '88.118.9' });
  });

  it("refuses to write under another enterprise's prefix (403 responseCode 401)", async () => {
    await put('88.118.9/betas', [url(1, 'https://beta.example.cn')], beta.token);
    const before = await databaseFingerprint(node.db.client);
    for (const path of ['88.118.9/betas', '88.118.9/new-one', '88.118.9/betas?index=2']) {
      const reply = await put(path, [url(2, 'https://acme.example.cn')]);
      expect(reply.status).toBe(403);
      expect(reply.body).toEqual({ responseCode: 401, handle: path.split('?')[0], message: expect.any(String) });
    }
    expect(await databaseFingerprint(node.db.client)).toEqual(before);
  });
});

describe('Handle REST: GET /api/handles/{handle}', () => {
  let node: TestNode;
  let acme: EnterpriseFixture;
  let beta: EnterpriseFixture;
  let operator: string;

  const record = [
    { index: 1, type: 'URL', data: { format: 'string', value: 'https://acme.example.cn/p/9' } },
    { index: 2, type: 'EMAIL', data: { format: 'string', value: 'qa@acme.example.cn' } },
    { index: 3, type: 'URL.backup', data: { format: 'string', value: 'https://backup.example.cn/p/9' } },
    { index: 4, type: 'URLX', data: { format: 'string', value: 'not a URL sub-type' } },
    { index: 5, type: 'DESC', data: { format: 'string', value: 'wrench' } },
  ];

  beforeAll(async () => {
    node = await TestNode.start();
    acme = await node.approvedEnterprise('88.118.8', 'acme');
    beta = await node.approvedEnterprise('88.118.9', 'beta');
    operator = await node.operatorToken();
    for (const [handle, values] of [
      ['88.118.8/AbC', record],
      ['88.118.8/lot/7/item', [record[0]]],
      [
        '88.118.8/secret',
        [
          record[0],
          { index: 300, type: 'HS_SECKEY', data: { format: 'string', value: 'admin-only' }, permissions: '1100' },
          { index: 301, type: 'VAULT', data: { format: 'string', value: 'nobody reads this' }, permissions: '0000' },
        ],
      ],
    ] as const) {
      const reply = await node.request('PUT', `/api/handles/${handle}`, { token: acme.token, body: values });
      if (reply.status !== 200) throw new Error(`seeding ${handle} failed: ${reply.status} ${reply.text}`);
    }
  });
  afterAll(async () => {
    await node?.stop();
  });

  const get = (path: string, token?: string) => node.request('GET', `/api/handles/${path}`, { token });

  it('answers {responseCode: 1, handle, values} with every value', async () => {
    const reply = await get('88.118.8/AbC');
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
    expect(reply.body).toEqual({ responseCode: 1, handle: '88.118.8/AbC', values: record.map((v) => served(v)) });
  });

  it('looks up ASCII case-insensitively and echoes the spelling of the request', async () => {
    for (const spelling of ['88.118.8/abc', '88.118.8/ABC', '88.118.8/aBc']) {
      const reply = await get(spelling);
      expect(reply.status).toBe(200);
      expect(reply.body.handle).toBe(spelling);
      expect(indexesOf(reply)).toEqual([1, 2, 3, 4, 5]);
    }
  });

  it('takes a suffix containing "/" unencoded, and a trailing slash names another handle', async () => {
    const reply = await get('88.118.8/lot/7/item');
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ responseCode: 1, handle: '88.118.8/lot/7/item', values: [served(record[0])] });

    const encoded = await get('88.118.8/lot%2F7%2Fitem');
    expect(encoded.status).toBe(200);
    expect(encoded.body.handle).toBe('88.118.8/lot/7/item');

    for (const other of ['88.118.8/lot/7', '88.118.8/lot/7/item/']) {
      const missing = await get(other);
      expect(missing.status).toBe(404);
      expect(missing.body).toEqual(notFound(other));
    }
  });

  it('index= is repeatable', async () => {
    const reply = await get('88.118.8/AbC?index=1&index=5');
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ responseCode: 1, handle: '88.118.8/AbC', values: [served(record[0]), served(record[4])] });
  });

  it('type= is repeatable and compares ASCII case-insensitively', async () => {
    const reply = await get('88.118.8/AbC?type=EMAIL&type=desc');
    expect(reply.status).toBe(200);
    expect(reply.body.values).toEqual([served(record[1]), served(record[4])]);
  });

  it('index= and type= together are a union', async () => {
    const reply = await get('88.118.8/AbC?index=2&type=DESC&index=4');
    expect(reply.status).toBe(200);
    expect(indexesOf(reply)).toEqual([2, 4, 5]);
  });

  it('a type ending in "." selects its sub-types, not types that merely share a prefix', async () => {
    const reply = await get('88.118.8/AbC?type=URL.');
    expect(reply.status).toBe(200);
    expect(reply.body.values).toEqual([served(record[0]), served(record[2])]);
    const exact = await get('88.118.8/AbC?type=URL');
    expect(indexesOf(exact)).toEqual([1]);
  });

  it('filters that match nothing answer HTTP 200 with responseCode 200', async () => {
    for (const query of ['index=99', 'type=NOPE', 'index=99&type=NOPE.']) {
      const reply = await get(`88.118.8/AbC?${query}`);
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual({ responseCode: 200, handle: '88.118.8/AbC', values: [] });
    }
  });

  it('an unknown handle is HTTP 404 with JSON {responseCode: 100, handle}', async () => {
    const reply = await get('88.118.8/Does-Not-Exist');
    expect(reply.status).toBe(404);
    expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
    expect(reply.body).toEqual(notFound('88.118.8/Does-Not-Exist'));

    const withFilter = await get('88.118.8/Does-Not-Exist?index=1');
    expect(withFilter.status).toBe(404);
    expect(withFilter.body).toEqual(notFound('88.118.8/Does-Not-Exist'));
  });

  it('an unknown handle under a prefix not homed here is also 404', async () => {
    const reply = await get('88.200.5/x');
    expect(reply.status).toBe(404);
    expect(reply.body).toEqual(notFound('88.200.5/x'));
  });

  it('refuses a malformed index filter with 400 responseCode 4', async () => {
    for (const query of ['index=abc', 'index=0', 'index=-1', 'publicOnly=maybe']) {
      const reply = await get(`88.118.8/AbC?${query}`);
      expect(reply.status).toBe(400);
      expect(reply.body).toEqual({ responseCode: 4, handle: '88.118.8/AbC', message: expect.any(String) });
    }
  });

  describe('permissions', () => {
    const publicValue = served(record[0]);
    const adminOnly = served({ index: 300, type: 'HS_SECKEY', data: { format: 'string', value: 'admin-only' } }, { permissions: '1100' });

    it('hides an admin-only ("1100") value from anonymous callers', async () => {
      const reply = await get('88.118.8/secret');
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual({ responseCode: 1, handle: '88.118.8/secret', values: [publicValue] });
      const asked = await get('88.118.8/secret?publicOnly=false');
      expect(asked.body.values).toEqual([publicValue]);
    });

    it("hides it from another enterprise's token", async () => {
      const reply = await get('88.118.8/secret', beta.token);
      expect(reply.status).toBe(200);
      expect(reply.body.values).toEqual([publicValue]);
      const byIndex = await get('88.118.8/secret?index=300', beta.token);
      expect(byIndex.status).toBe(200);
      expect(byIndex.body).toEqual({ responseCode: 200, handle: '88.118.8/secret', values: [] });
    });

    it('shows it to the owning enterprise and to the operator', async () => {
      for (const token of [acme.token, operator]) {
        const reply = await get('88.118.8/secret', token);
        expect(reply.status).toBe(200);
        expect(reply.body).toEqual({ responseCode: 1, handle: '88.118.8/secret', values: [publicValue, adminOnly] });
        const byType = await get('88.118.8/secret?type=HS_SECKEY', token);
        expect(byType.body.values).toEqual([adminOnly]);
      }
    });

    it('hides it again with publicOnly=true', async () => {
      for (const token of [acme.token, operator]) {
        const reply = await get('88.118.8/secret?publicOnly=true', token);
        expect(reply.status).toBe(200);
        expect(reply.body.values).toEqual([publicValue]);
        const bare = await get('88.118.8/secret?publicOnly', token);
        expect(bare.body.values).toEqual([publicValue]);
      }
    });

    it('never returns a value with permissions "0000", not even to its owner or the operator', async () => {
      for (const token of [undefined, beta.token, acme.token, operator]) {
        const all = await get('88.118.8/secret?publicOnly=false', token);
        expect(indexesOf(all)).not.toContain(301);
        const byIndex = await get('88.118.8/secret?index=301', token);
        expect(byIndex.status).toBe(200);
        expect(byIndex.body).toEqual({ responseCode: 200, handle: '88.118.8/secret', values: [] });
      }
      const stored = await storedRow(node, '88.118.8/secret');
      expect(stored!.values.map((v) => v.index)).toEqual([1, 300, 301]);
    });
  });
});

describe('Handle REST: DELETE /api/handles/{handle}', () => {
  let node: TestNode;
  let acme: EnterpriseFixture;
  let beta: EnterpriseFixture;

  beforeAll(async () => {
    node = await TestNode.start();
    acme = await node.approvedEnterprise('88.118.8', 'acme');
    beta = await node.approvedEnterprise('88.118.9', 'beta');
  });
  afterAll(async () => {
    await node?.stop();
  });

  const seed = async (handle: string) => {
    const reply = await node.request('PUT', `/api/handles/${handle}`, {
      token: acme.token,
      body: [url(1, 'https://acme.example.cn/1'), email(2, 'a@acme.example.cn'), { index: 3, type: 'DESC', data: 'three' }],
    });
    if (reply.status !== 200) throw new Error(`seeding ${handle} failed: ${reply.status} ${reply.text}`);
  };

  it('deletes a whole handle: 200, then GET is 404 and a second DELETE is 404 responseCode 100', async () => {
    await seed('88.118.8/doomed');
    const reply = await node.request('DELETE', '/api/handles/88.118.8/doomed', { token: acme.token });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ responseCode: 1, handle: '88.118.8/doomed' });
    expect(await storedRow(node, '88.118.8/doomed')).toBeUndefined();

    const got = await node.request('GET', '/api/handles/88.118.8/doomed');
    expect(got.status).toBe(404);
    expect(got.body).toEqual(notFound('88.118.8/doomed'));

    const again = await node.request('DELETE', '/api/handles/88.118.8/doomed', { token: acme.token });
    expect(again.status).toBe(404);
    expect(again.body).toEqual(notFound('88.118.8/doomed'));
  });

  it('deletes case-insensitively and echoes the spelling of the request', async () => {
    await seed('88.118.8/Mixed/Case');
    const reply = await node.request('DELETE', '/api/handles/88.118.8/MIXED/case', { token: acme.token });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ responseCode: 1, handle: '88.118.8/MIXED/case' });
    expect(await storedRow(node, '88.118.8/mixed/case')).toBeUndefined();
  });

  it('?index=N removes only that value and bumps the version', async () => {
    await seed('88.118.8/trim');
    const reply = await node.request('DELETE', '/api/handles/88.118.8/trim?index=2', { token: acme.token });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ responseCode: 1, handle: '88.118.8/trim' });
    const got = await node.request('GET', '/api/handles/88.118.8/trim');
    expect(got.body.values).toEqual([served(url(1, 'https://acme.example.cn/1')), served({ index: 3, type: 'DESC', data: { format: 'string', value: 'three' } })]);
    expect((await storedRow(node, '88.118.8/trim'))!.version).toBe(2);
  });

  it('?index= is repeatable', async () => {
    await seed('88.118.8/trim-two');
    const reply = await node.request('DELETE', '/api/handles/88.118.8/trim-two?index=1&index=3', { token: acme.token });
    expect(reply.status).toBe(200);
    expect(indexesOf(await node.request('GET', '/api/handles/88.118.8/trim-two'))).toEqual([2]);
  });

  it('?index= of a value that does not exist is 400 responseCode 200 and changes nothing', async () => {
    await seed('88.118.8/keep');
    const before = await databaseFingerprint(node.db.client);
    const reply = await node.request('DELETE', '/api/handles/88.118.8/keep?index=9', { token: acme.token });
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual({ responseCode: 200, handle: '88.118.8/keep', message: expect.any(String) });
    expect(await databaseFingerprint(node.db.client)).toEqual(before);
  });

  it('?index= that would remove every value is refused (400 responseCode 202) and changes nothing', async () => {
    await seed('88.118.8/whole');
    const before = await databaseFingerprint(node.db.client);
    const reply = await node.request('DELETE', '/api/handles/88.118.8/whole?index=1&index=2&index=3', { token: acme.token });
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual({ responseCode: 202, handle: '88.118.8/whole', message: expect.stringContaining('delete the handle instead') });
    expect(await databaseFingerprint(node.db.client)).toEqual(before);
  });

  it('a method the API does not support (PATCH) is 405 responseCode 4', async () => {
    await seed('88.118.8/patched');
    const before = await databaseFingerprint(node.db.client);
    const reply = await node.request('PATCH', '/api/handles/88.118.8/patched', { token: acme.token, body: [url(1, 'https://x.example.cn')] });
    expect(reply.status).toBe(405);
    expect(reply.body).toMatchObject({ responseCode: 4 });
    expect(await databaseFingerprint(node.db.client)).toEqual(before);
  });

  it('?index= on a handle that does not exist is 404 responseCode 100', async () => {
    const reply = await node.request('DELETE', '/api/handles/88.118.8/never?index=1', { token: acme.token });
    expect(reply.status).toBe(404);
    expect(reply.body).toEqual(notFound('88.118.8/never'));
  });

  it('refuses anonymous callers (401 responseCode 402) and other enterprises (403 responseCode 401)', async () => {
    await seed('88.118.8/guarded');
    const before = await databaseFingerprint(node.db.client);
    const anonymous = await node.request('DELETE', '/api/handles/88.118.8/guarded');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toEqual({ responseCode: 402, handle: '88.118.8/guarded', message: expect.any(String) });
    for (const path of ['88.118.8/guarded', '88.118.8/guarded?index=1']) {
      const other = await node.request('DELETE', `/api/handles/${path}`, { token: beta.token });
      expect(other.status).toBe(403);
      expect(other.body).toEqual({ responseCode: 401, handle: '88.118.8/guarded', message: expect.any(String) });
    }
    expect(await databaseFingerprint(node.db.client)).toEqual(before);
  });
});

describe('Handle REST: GET /api/handles?prefix= and GET /api/prefixes', () => {
  let node: TestNode;
  let acme: EnterpriseFixture;
  let beta: EnterpriseFixture;
  let operator: string;
  let pendingCreated = false;
  // Key order: the listing is sorted by the ASCII-lower-cased handle.
  const listed = ['88.118.30/a-1', '88.118.30/B-2', '88.118.30/c-3', '88.118.30/d/4', '88.118.30/E-5'];

  beforeAll(async () => {
    node = await TestNode.start();
    acme = await node.approvedEnterprise('88.118.30', 'acme');
    beta = await node.approvedEnterprise('88.118.300', 'beta');
    operator = await node.operatorToken();
    // A derived prefix of 88.118.30 is a prefix of its own, approved separately (simulated in SQL,
    // since applications here are for prefixes directly under the node's prefix).
    const derived = await node.approvedEnterprise('88.118.31', 'gamma');
    await node.db.client.query(`UPDATE enterprise_prefixes SET prefix_key = '88.118.30.1', prefix = '88.118.30.1' WHERE prefix_key = '88.118.31'`);
    // A pending application's prefix is reserved but not active.
    const pending = await node.request('POST', '/api/v1/enterprises/applications', { body: applicationBody('88.118.40', 'delta') });
    pendingCreated = pending.status === 201;

    const seeds: Array<[string, string]> = [
      ...[...listed].reverse().map((h) => [h, acme.token] as [string, string]),
      ['88.118.30.1/not-mine', derived.token],
      ['88.118.300/sibling', beta.token],
    ];
    for (const [handle, token] of seeds) {
      const reply = await node.request('PUT', `/api/handles/${handle}`, { token, body: [url(1, `https://example.cn/${handle}`)] });
      if (reply.status !== 200) throw new Error(`seeding ${handle} failed: ${reply.status} ${reply.text}`);
    }
  });
  afterAll(async () => {
    await node?.stop();
  });

  const list = (query: string, token?: string) => node.request('GET', `/api/handles?${query}`, { token });

  it('pages zero-based with totalCount', async () => {
    const first = await list('prefix=88.118.30&page=0&pageSize=2', acme.token);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ responseCode: 1, prefix: '88.118.30', totalCount: 5, page: 0, pageSize: 2, handles: listed.slice(0, 2) });
    const second = await list('prefix=88.118.30&page=1&pageSize=2', acme.token);
    expect(second.body).toEqual({ responseCode: 1, prefix: '88.118.30', totalCount: 5, page: 1, pageSize: 2, handles: listed.slice(2, 4) });
    const last = await list('prefix=88.118.30&page=2&pageSize=2', acme.token);
    expect(last.body.handles).toEqual(listed.slice(4));
    const beyond = await list('prefix=88.118.30&page=3&pageSize=2', acme.token);
    expect(beyond.status).toBe(200);
    expect(beyond.body.handles).toEqual([]);
    expect(beyond.body.totalCount).toBe(5);
  });

  it('pageSize=0 only counts', async () => {
    const reply = await list('prefix=88.118.30&pageSize=0', acme.token);
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ responseCode: 1, prefix: '88.118.30', totalCount: 5, page: 0, pageSize: 0, handles: [] });
  });

  it('a missing or negative pageSize lists everything', async () => {
    for (const query of ['prefix=88.118.30', 'prefix=88.118.30&pageSize=-1', 'prefix=88.118.30&page=0&pageSize=']) {
      const reply = await list(query, acme.token);
      expect(reply.status).toBe(200);
      expect(reply.body.totalCount).toBe(5);
      expect(reply.body.handles).toEqual(listed);
    }
  });

  it('lists only handles directly under the prefix, not under a derived or a longer sibling prefix', async () => {
    const reply = await list('prefix=88.118.30', operator);
    expect(reply.status).toBe(200);
    expect(reply.body.handles).toEqual(listed);
    expect(reply.body.handles).not.toContain('88.118.30.1/not-mine');
    expect(reply.body.handles).not.toContain('88.118.300/sibling');
    // ...and they do exist, under their own prefixes.
    expect((await list('prefix=88.118.30.1', operator)).body.handles).toEqual(['88.118.30.1/not-mine']);
    expect((await list('prefix=88.118.300', operator)).body.handles).toEqual(['88.118.300/sibling']);
  });

  it('the operator may list any prefix', async () => {
    const reply = await list('prefix=88.118.30&page=0&pageSize=3', operator);
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ responseCode: 1, prefix: '88.118.30', totalCount: 5, page: 0, pageSize: 3, handles: listed.slice(0, 3) });
  });

  it('needs a token (401 responseCode 402) of the owner or the operator (another enterprise: 403 responseCode 401)', async () => {
    const anonymous = await list('prefix=88.118.30&page=0&pageSize=2');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toEqual({ responseCode: 402, message: expect.any(String) });
    const other = await list('prefix=88.118.30&page=0&pageSize=2', beta.token);
    expect(other.status).toBe(403);
    expect(other.body).toEqual({ responseCode: 401, message: expect.any(String) });
  });

  it('refuses a missing or invalid prefix and bad paging parameters', async () => {
    const missing = await list('page=0', acme.token);
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual({ responseCode: 4, message: expect.stringContaining('prefix') });
    const invalid = await list('prefix=88..30', acme.token);
    expect(invalid.status).toBe(400);
    expect(invalid.body).toEqual({ responseCode: 102, message: expect.any(String) });
    for (const query of ['prefix=88.118.30&page=-1&pageSize=2', 'prefix=88.118.30&page=x', 'prefix=88.118.30&pageSize=abc']) {
      const reply = await list(query, acme.token);
      expect(reply.status).toBe(400);
      expect(reply.body).toEqual({ responseCode: 4, message: expect.any(String) });
    }
  });

  it('GET /api/prefixes lists the active prefixes homed here', async () => {
    expect(pendingCreated).toBe(true);
    const reply = await node.request('GET', '/api/prefixes');
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ responseCode: 1, prefixes: ['88.118.30', '88.118.30.1', '88.118.300'] });
    expect(reply.body.prefixes).not.toContain('88.118.40');
  });
});
