import { createHmac } from 'node:crypto';
import { type EnterpriseFixture, JWT_SECRET, TestNode } from '../support/test-node';

/**
 * Bad input at the Handle.Net REST front door (DESIGN §6): every refusal has the Handle envelope
 * {responseCode, handle, message} with the status of reference/handle-gs1.md §B, and changes nothing
 * in the database (the fingerprint of every table is identical before and after).
 */

const GOOD_VALUES = [{ index: 1, type: 'URL', data: { format: 'string', value: 'https://acme.example.cn/p/1' } }];


function base64url(input: string | Buffer): string {
  return Buffer.from(input).toString('base64url');
}

/** A token with the given claims, HS256-signed with `secret`. */
function signToken(claims: Record<string, unknown>, secret: string): string {
  const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const payload = base64url(JSON.stringify(claims));
  const signature = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${signature}`;
}

function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>;
}

describe('Handle REST: bad input changes nothing', () => {
  let node: TestNode;
  let acme: EnterpriseFixture;
  let beta: EnterpriseFixture;

  beforeAll(async () => {
    node = await TestNode.start();
    acme = await node.approvedEnterprise('88.118.8', 'acme');
    beta = await node.approvedEnterprise('88.118.9', 'beta');
    for (const [handle, token] of [
      ['88.118.8/existing', acme.token],
      ['88.118.9/betas', beta.token],
    ]) {
      const reply = await node.request('PUT', `/api/handles/${handle}`, { token, body: GOOD_VALUES });
      if (reply.status !== 200) throw new Error(`seeding ${handle} failed: ${reply.status} ${reply.text}`);
    }
  });
  afterAll(async () => {
    await node?.stop();
  });

  const put = (path: string, body: unknown = GOOD_VALUES, token: string = acme.token) =>
    node.refused('PUT', `/api/handles/${path}`, { token, body });

  describe('identifier syntax: 400 responseCode 102', () => {
    const longPrefix = `88.${'1'.repeat(62)}`; // 65 bytes
    const cases: Array<[string, string, string]> = [
      ['a non-ASCII character in the prefix', '88.11é.8/x', '88.11é.8/x'],
      ['a percent-encoded space in the prefix', '88.118%208/x', '88.118 8/x'],
      ['an empty prefix segment', '88..8/x', '88..8/x'],
      ['a leading dot in the prefix', '.88.118.8/x', '.88.118.8/x'],
      ['a trailing dot in the prefix', '88.118.8./x', '88.118.8./x'],
      ['an empty prefix', '/x', '/x'],
      ['no slash at all', '88.118.8', '88.118.8'],
      ['an empty suffix without mintNewSuffix', '88.118.8/', '88.118.8/'],
      ['a BEL (%07) in the suffix', '88.118.8/a%07b', '88.118.8/a\u0007b'],
      ['a line feed (%0A) in the suffix', '88.118.8/a%0Ab', '88.118.8/a\nb'],
      ['a DEL (%7F) in the suffix', '88.118.8/a%7Fb', '88.118.8/a\u007fb'],
      ['a C1 control (%C2%85) in the suffix', '88.118.8/a%C2%85b', '88.118.8/a\u0085b'],
      ['a handle of 258 UTF-8 bytes (92 characters)', `88.118.8/${'标'.repeat(83)}`, `88.118.8/${'标'.repeat(83)}`],
      ['a prefix of 65 bytes', `${longPrefix}/x`, `${longPrefix}/x`],
    ];

    it.each(cases)('PUT with %s', async (_what, path, decoded) => {
      const reply = await put(path);
      expect(reply.status).toBe(400);
      expect(reply.body).toEqual({ responseCode: 102, handle: decoded, message: expect.any(String) });
    });

    it.each(cases)('DELETE with %s', async (_what, path, decoded) => {
      const reply = await node.refused('DELETE', `/api/handles/${path}`, { token: acme.token });
      expect(reply.status).toBe(400);
      expect(reply.body).toEqual({ responseCode: 102, handle: decoded, message: expect.any(String) });
    });

    it.each(cases)('GET with %s', async (_what, path, decoded) => {
      const reply = await node.refused('GET', `/api/handles/${path}`);
      expect(reply.status).toBe(400);
      expect(reply.body).toEqual({ responseCode: 102, handle: decoded, message: expect.any(String) });
    });

    it('names the problem in the message', async () => {
      expect((await put('88.118.8/a%07b')).body.message).toContain('U+0007');
      expect((await put(`88.118.8/${'标'.repeat(83)}`)).body.message).toContain('258 bytes');
      expect((await put(`88.${'1'.repeat(62)}/x`)).body.message).toContain('65 bytes');
      expect((await put('88..8/x')).body.message).toContain('empty');
    });

    it('an empty handle path is 400 responseCode 102', async () => {
      const reply = await node.refused('GET', '/api/handles/');
      expect(reply.status).toBe(400);
      expect(reply.body).toEqual({ responseCode: 102, message: expect.any(String) });
    });

    it('mintNewSuffix under an invalid prefix is 400 responseCode 102', async () => {
      const reply = await put('88..8/?mintNewSuffix=true');
      expect(reply.status).toBe(400);
      expect(reply.body).toEqual({ responseCode: 102, handle: '88..8/', message: expect.any(String) });
    });

    it('a path that is not valid percent-encoded UTF-8 gets the Handle envelope (400 responseCode 4)', async () => {
      for (const path of ['88.118.8/%E9x', '88.118.8/%zz', '88.118.8/%ED%A0%80']) {
        const reply = await put(path);
        expect(reply.status).toBe(400);
        expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
        expect(reply.body).toEqual({ responseCode: 4, handle: path, message: expect.any(String) });
      }
    });

    it('the limits are inclusive: a handle of exactly 255 bytes and a prefix of exactly 64 bytes are valid', async () => {
      const handle = `88.118.8/${'标'.repeat(82)}`;
      expect(Buffer.byteLength(handle)).toBe(255);
      const created = await node.request('PUT', `/api/handles/${handle}`, { token: acme.token, body: GOOD_VALUES });
      expect(created.status).toBe(200);
      expect(created.body).toEqual({ responseCode: 1, handle });
      expect((await node.request('GET', `/api/handles/${handle}`)).status).toBe(200);

      // A valid 64-byte prefix that this node does not serve: syntax passes, the prefix check refuses.
      const prefix64 = `88.${'1'.repeat(61)}`;
      const reply = await put(`${prefix64}/x`);
      expect(reply.status).toBe(400);
      expect(reply.body).toEqual({ responseCode: 301, handle: `${prefix64}/x`, message: expect.any(String) });
    });
  });

  describe('prefix ownership', () => {
    it("a prefix that belongs to another enterprise: 403 responseCode 401 (PUT, add value, DELETE)", async () => {
      for (const path of ['88.118.9/betas', '88.118.9/new', '88.118.9/betas?index=1', '88.118.9/?mintNewSuffix=true']) {
        const reply = await put(path);
        expect(reply.status).toBe(403);
        expect(reply.body).toEqual({ responseCode: 401, handle: path.split('?')[0], message: expect.stringContaining('88.118.9') });
      }
      for (const path of ['88.118.9/betas', '88.118.9/betas?index=1']) {
        const reply = await node.refused('DELETE', `/api/handles/${path}`, { token: acme.token });
        expect(reply.status).toBe(403);
        expect(reply.body).toEqual({ responseCode: 401, handle: '88.118.9/betas', message: expect.any(String) });
      }
    });

    it('a prefix not served by this node: 400 responseCode 301', async () => {
      for (const path of ['88.200.5/x', '88.118.99/x', '88.118/x']) {
        const reply = await put(path);
        expect(reply.status).toBe(400);
        expect(reply.body).toEqual({ responseCode: 301, handle: path, message: expect.any(String) });
      }
      const deleted = await node.refused('DELETE', '/api/handles/88.200.5/x', { token: acme.token });
      expect(deleted.status).toBe(400);
      expect(deleted.body).toEqual({ responseCode: 301, handle: '88.200.5/x', message: expect.any(String) });
    });

    it('the operator cannot write under a prefix not served by this node either', async () => {
      const reply = await put('88.200.5/x', GOOD_VALUES, await node.operatorToken());
      expect(reply.status).toBe(400);
      expect(reply.body).toEqual({ responseCode: 301, handle: '88.200.5/x', message: expect.any(String) });
    });
  });

  describe('values: 400 responseCode 202', () => {
    const value = (extra: Record<string, unknown>) => ({ index: 2, type: 'DESC', data: { format: 'string', value: 'ok' }, ...extra });
    const cases: Array<[string, unknown, string]> = [
      ['string data over 65536 bytes', [value({ data: { format: 'string', value: 'x'.repeat(65537) } })], '65537'],
      ['multibyte string data over 65536 bytes', [value({ data: '标'.repeat(21846) })], '65538'],
      ['base64 data decoding to over 65536 bytes', [value({ data: { format: 'base64', value: Buffer.alloc(65537).toString('base64') } })], '65537'],
      ['hex data over 65536 bytes', [value({ data: { format: 'hex', value: 'ab'.repeat(65537) } })], '65537'],
      ['an unknown field in a value', [value({ colour: 'red' })], 'colour'],
      ['an unknown field in data', [value({ data: { format: 'string', value: 'x', encoding: 'utf8' } })], 'encoding'],
      ['an unknown field next to values', { values: [value({})], owner: 'me' }, 'owner'],
      ['an unknown field in an admin value', [value({ type: 'HS_ADMIN', data: { format: 'admin', value: { handle: '0.NA/88.118.8', index: 200, permissions: '011111111111', extra: 1 } } })], 'extra'],
      ['duplicate indexes', [value({ index: 2 }), value({ index: 2, type: 'URL' })], 'duplicates'],
      ['an index given as a string', [value({ index: '2' })], 'index'],
      ['index 0', [value({ index: 0 })], 'reserved'],
      ['an index above 2^32-1', [value({ index: 4294967296 })], 'index'],
      ['a missing type', [{ index: 2, data: 'x' }], 'type'],
      ['a type ending in "."', [value({ type: 'URL.' })], 'URL.'],
      ['an unknown data format', [value({ data: { format: 'xml', value: '<a/>' } })], 'format'],
      ['invalid base64', [value({ data: { format: 'base64', value: 'not base64!' } })], 'base64'],
      ['invalid hex', [value({ data: { format: 'hex', value: 'xyz' } })], 'hex'],
      ['a negative ttl', [value({ ttl: -1 })], 'ttl'],
      ['a malformed permissions string', [value({ permissions: '11' })], 'permissions'],
      ['an invalid handle in a reference', [value({ references: [{ handle: '88..8/x', index: 1 }] })], 'references'],
      ['an empty record', [], 'at least one value'],
      ['a JSON string instead of values', 'https://acme.example.cn', 'record'],
      ['a JSON number instead of values', 42, 'record'],
    ];

    it.each(cases)('PUT with %s', async (_what, body, mentioned) => {
      const reply = await put('88.118.8/bad-values', body);
      expect(reply.status).toBe(400);
      expect(reply.body).toEqual({ responseCode: 202, handle: '88.118.8/bad-values', message: expect.stringContaining(mentioned) });
      expect((await node.request('GET', '/api/handles/88.118.8/bad-values')).status).toBe(404);
    });

    it('one bad value refuses the whole record (all or nothing), also when replacing an existing one', async () => {
      const reply = await put('88.118.8/existing', [GOOD_VALUES[0], value({ colour: 'red' })]);
      expect(reply.status).toBe(400);
      expect(reply.body).toEqual({ responseCode: 202, handle: '88.118.8/existing', message: expect.stringContaining('colour') });
      const added = await put('88.118.8/existing?index=2&index=3', [value({ index: 2 }), value({ index: 3, data: { format: 'hex', value: 'xyz' } })]);
      expect(added.status).toBe(400);
      expect(added.body).toEqual({ responseCode: 202, handle: '88.118.8/existing', message: expect.any(String) });
      const got = await node.request('GET', '/api/handles/88.118.8/existing');
      expect(got.body.values.map((v: { index: number }) => v.index)).toEqual([1]);
    });

    it('data of exactly 65536 bytes is accepted', async () => {
      const reply = await node.request('PUT', '/api/handles/88.118.8/max-data', {
        token: acme.token,
        body: [value({ data: { format: 'string', value: 'x'.repeat(65536) } })],
      });
      expect(reply.status).toBe(200);
      const got = await node.request('GET', '/api/handles/88.118.8/max-data');
      expect(got.body.values[0].data.value).toHaveLength(65536);
    });
  });

  describe('request framing', () => {
    it('malformed JSON: 400 responseCode 4', async () => {
      for (const rawBody of ['[{"index":1,', '{values: []}', "[{'index': 1}]", '[1,]']) {
        const reply = await node.refused('PUT', '/api/handles/88.118.8/existing', { token: acme.token, rawBody });
        expect(reply.status).toBe(400);
        expect(reply.body).toEqual({ responseCode: 4, handle: '88.118.8/existing', message: expect.any(String) });
      }
    });

    it('an empty body with Content-Type application/json: 400 responseCode 4', async () => {
      const reply = await node.refused('PUT', '/api/handles/88.118.8/new-one', {
        token: acme.token,
        rawBody: '',
        headers: { 'content-type': 'application/json' },
      });
      expect(reply.status).toBe(400);
      expect(reply.body).toEqual({ responseCode: 4, handle: '88.118.8/new-one', message: expect.any(String) });
    });

    it('a Content-Type other than application/json: 400 responseCode 4, even when the body is valid JSON', async () => {
      for (const contentType of ['text/plain', 'text/plain; charset=utf-8', 'application/xml', 'application/x-www-form-urlencoded', 'application/jsonx']) {
        const reply = await node.refused('PUT', '/api/handles/88.118.8/new-one', {
          token: acme.token,
          rawBody: JSON.stringify(GOOD_VALUES),
          headers: { 'content-type': contentType },
        });
        expect({ contentType, status: reply.status }).toEqual({ contentType, status: 400 });
        expect(reply.body).toEqual({ responseCode: 4, handle: '88.118.8/new-one', message: expect.any(String) });
      }
    });

    it('a PUT without a body and without a Content-Type: 400 responseCode 4', async () => {
      const reply = await node.refused('PUT', '/api/handles/88.118.8/new-one', { token: acme.token });
      expect(reply.status).toBe(400);
      expect(reply.body).toEqual({ responseCode: 4, handle: '88.118.8/new-one', message: expect.stringContaining('Content-Type') });
    });

    it('a malformed query parameter: 400 responseCode 4', async () => {
      for (const query of ['index=abc', 'index=0', 'overwrite=maybe', 'mintNewSuffix=yes', 'overwrite=true&overwrite=false']) {
        const reply = await put(`88.118.8/existing?${query}`);
        expect({ query, status: reply.status }).toEqual({ query, status: 400 });
        expect(reply.body).toEqual({ responseCode: 4, handle: '88.118.8/existing', message: expect.any(String) });
      }
    });
  });

  describe('authentication', () => {
    it('a write without a token: 401 responseCode 402', async () => {
      const reply = await node.refused('PUT', '/api/handles/88.118.8/new-one', { body: GOOD_VALUES });
      expect(reply.status).toBe(401);
      expect(reply.body).toEqual({ responseCode: 402, handle: '88.118.8/new-one', message: expect.any(String) });
      const deleted = await node.refused('DELETE', '/api/handles/88.118.8/existing');
      expect(deleted.status).toBe(401);
      expect(deleted.body).toEqual({ responseCode: 402, handle: '88.118.8/existing', message: expect.any(String) });
    });

    it('a garbage token: 401 responseCode 402, on writes and on reads', async () => {
      for (const method of ['PUT', 'DELETE', 'GET']) {
        const reply = await node.refused(method, '/api/handles/88.118.8/existing', {
          token: 'not-a-jwt',
          body: method === 'PUT' ? GOOD_VALUES : undefined,
        });
        expect({ method, status: reply.status }).toEqual({ method, status: 401 });
        expect(reply.body).toEqual({ responseCode: 402, handle: '88.118.8/existing', message: expect.stringContaining('not valid') });
      }
    });

    it('an expired token: 401 responseCode 402', async () => {
      const now = Math.floor(Date.now() / 1000);
      const expired = signToken({ ...claimsOf(acme.token), iat: now - 7200, exp: now - 3600 }, JWT_SECRET);
      const reply = await put('88.118.8/new-one', GOOD_VALUES, expired);
      expect(reply.status).toBe(401);
      expect(reply.body).toEqual({ responseCode: 402, handle: '88.118.8/new-one', message: expect.stringContaining('expired') });
      const listing = await node.refused('GET', '/api/handles?prefix=88.118.8', { token: expired });
      expect(listing.status).toBe(401);
      expect(listing.body).toEqual({ responseCode: 402, message: expect.any(String) });
    });

    it('a token signed with another secret, or claiming another algorithm: 401 responseCode 402', async () => {
      const now = Math.floor(Date.now() / 1000);
      const forged = signToken({ ...claimsOf(acme.token), role: 'operator', iat: now, exp: now + 3600 }, 'some-other-secret-that-is-long-enough');
      const header = base64url(JSON.stringify({ alg: 'none', typ: 'JWT' }));
      const unsigned = `${header}.${base64url(JSON.stringify({ ...claimsOf(acme.token), exp: now + 3600 }))}.`;
      for (const token of [forged, unsigned]) {
        const reply = await put('88.118.8/new-one', GOOD_VALUES, token);
        expect(reply.status).toBe(401);
        expect(reply.body).toEqual({ responseCode: 402, handle: '88.118.8/new-one', message: expect.any(String) });
      }
    });

    it('an Authorization header that is not a bearer token: 401 responseCode 402', async () => {
      const reply = await node.refused('PUT', '/api/handles/88.118.8/new-one', {
        body: GOOD_VALUES,
        headers: { authorization: `Basic ${Buffer.from('300%3A88.118.8/ADMIN:secret').toString('base64')}` },
      });
      expect(reply.status).toBe(401);
      expect(reply.body).toEqual({ responseCode: 402, handle: '88.118.8/new-one', message: expect.any(String) });
    });
  });
});

describe('Handle REST: body size limit', () => {
  let node: TestNode;
  let acme: EnterpriseFixture;

  beforeAll(async () => {
    node = await TestNode.start({ BODY_LIMIT_BYTES: '65536' });
    acme = await node.approvedEnterprise('88.118.8', 'acme');
  });
  afterAll(async () => {
    await node?.stop();
  });

  it('a body over BODY_LIMIT_BYTES is 413 with the Handle envelope and changes nothing', async () => {
    const body = [{ index: 1, type: 'DESC', data: { format: 'string', value: 'x'.repeat(100 * 1024) } }];
    const reply = await node.refused('PUT', '/api/handles/88.118.8/too-big', { token: acme.token, body });
    expect(reply.status).toBe(413);
    expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
    expect(reply.body).toEqual({ responseCode: 4, handle: '88.118.8/too-big', message: expect.any(String) });
    expect((await node.request('GET', '/api/handles/88.118.8/too-big')).status).toBe(404);
  });

  it('is refused before authentication: an anonymous oversized body is also 413', async () => {
    const body = [{ index: 1, type: 'DESC', data: 'x'.repeat(100 * 1024) }];
    const reply = await node.refused('PUT', '/api/handles/88.118.8/too-big', { body });
    expect(reply.status).toBe(413);
    expect(reply.body).toEqual({ responseCode: 4, handle: '88.118.8/too-big', message: expect.any(String) });
  });

  it('a body just under the limit is accepted', async () => {
    const body = [{ index: 1, type: 'DESC', data: 'x'.repeat(60 * 1024) }];
    const reply = await node.request('PUT', '/api/handles/88.118.8/fits', { token: acme.token, body });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ responseCode: 1, handle: '88.118.8/fits' });
  });
});
