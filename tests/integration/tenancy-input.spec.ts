import { request as httpRequest } from 'node:http';
import { applicationBody, type EnterpriseFixture, type HttpReply, TestNode } from '../support/test-node';
import { countRows, epcisDocument, objectEvent } from './ingestion-harness';

/** PostgreSQL's own error texts, which must never reach a reply or a job. */
const PG_TEXT = /invalid byte sequence|unsupported Unicode escape|0x00|violates|SQLSTATE|syntax error|relation "/i;

const URL_VALUE = { index: 1, type: 'URL', data: { format: 'string', value: 'https://acme.example.cn/p/1' } };

/** A request whose path goes out byte for byte (fetch would collapse "." and ".." segments first). */
function rawRequest(baseUrl: string, method: string, path: string, token: string, body?: unknown): Promise<HttpReply> {
  const url = new URL(baseUrl);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, method, path, headers: { authorization: `Bearer ${token}`, ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            parsed = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: new Headers(res.headers as Record<string, string>), body: parsed, text });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

describe('bad input at every front door (issue 11): NUL, look-alike prefixes, dot segments, HS_ADMIN indexes', () => {
  let node: TestNode;
  let acme: EnterpriseFixture;
  let operator: string;

  beforeAll(async () => {
    node = await TestNode.start();
    acme = await node.approvedEnterprise('88.118.8', 'acme');
    operator = await node.operatorToken();
    await node.createTemplate(acme.token, '88.118.8', '1.0', [{ idType: 'name', required: true }]);
    const seeded = await node.request('PUT', '/api/handles/88.118.8/existing', { token: acme.token, body: [URL_VALUE] });
    expect(seeded.status).toBe(200);
  });

  afterAll(async () => {
    await node?.stop();
  });

  describe('a NUL character (U+0000) is a 400 at the edge, in the envelope of its front door, and changes nothing', () => {
    it('Handle REST: value data, the handle in the path (PUT, GET, DELETE)', async () => {
      const put = await node.refused('PUT', '/api/handles/88.118.8/nul-value', { token: acme.token, body: [{ ...URL_VALUE, data: { format: 'string', value: 'a\u0000b' } }] });
      expect(put.status).toBe(400);
      expect(put.body).toEqual({ responseCode: 4, handle: '88.118.8/nul-value', message: expect.stringMatching(/\/0\/data\/value contains the NUL character U\+0000/) });
      for (const [method, path] of [
        ['PUT', '/api/handles/88.118.8/a%00b'],
        ['GET', '/api/handles/88.118.8/a%00b'],
        ['DELETE', '/api/handles/88.118.8/a%00b'],
        ['GET', '/api/handles?prefix=88.118.8%00'],
        ['GET', '/api/handles/88.118.8/existing?type=URL%00'],
      ] as const) {
        const reply = await node.refused(method, path, { token: acme.token, body: method === 'PUT' ? [URL_VALUE] : undefined });
        expect({ method, path, status: reply.status, responseCode: reply.body?.responseCode }).toEqual({ method, path, status: 400, responseCode: 4 });
        expect(reply.text).not.toMatch(PG_TEXT);
      }
    });

    it('proxy, EPCIS, trace, applications search, statistics: problem details, never a 500', async () => {
      const paths = [
        '/88.118.8/a%00b',
        '/epcis/events/%00',
        '/epcis/events?EQ_bizStep=%00',
        '/epcis/epcs/hdl:88.118.8%2Fa%00/events',
        '/api/v1/trace/88.118.8/a%00',
        '/api/v1/enterprises/applications?q=%00',
        '/api/v1/enterprises/applications/%00',
        '/api/v1/stats/resolutions?prefix=88.118.8%00',
      ];
      for (const path of paths) {
        const reply = await node.refused('GET', path, { token: operator });
        expect({ path, status: reply.status }).toEqual({ path, status: 400 });
        expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(reply.body).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
        expect(reply.text).not.toMatch(PG_TEXT);
      }
    });

    it('SNMS: bodies and query parameters get {status: -2} with 400', async () => {
      const cases: Array<[string, string, unknown]> = [
        ['POST', '/identityv2/data', { handle: '88.118.8/nul-snms', templateVersion: '1.0', value: [{ index: 2000, type: 'name', data: { format: 'string', value: 'x\u0000y' } }] }],
        ['PUT', '/identityv2/data', { handle: '88.118.8/existing', templateVersion: '1.0\u0000', value: [] }],
        ['GET', '/identityv2/data/detail?handle=88.118.8/a%00', undefined],
        ['DELETE', '/identityv2/data?handle=88.118.8/a%00', undefined],
      ];
      for (const [method, path, body] of cases) {
        const reply = await node.refused(method, path, { token: acme.token, body });
        expect({ path, status: reply.status, snms: reply.body?.status, data: reply.body?.data }).toEqual({ path, status: 400, snms: -2, data: null });
        expect(reply.body.message).toMatch(/NUL character U\+0000/);
        expect(reply.text).not.toMatch(PG_TEXT);
      }
    });

    it('an EPCIS capture document: 400 naming the place, no event, no job quoting the database', async () => {
      const event = objectEvent({ epcs: ['hdl:88.118.8/NUL-CAP'], extra: { 'example:note': 'nul \u0000 here' } });
      const reply = await node.refused('POST', '/epcis/capture', { token: acme.token, body: epcisDocument([event]) });
      expect(reply.status).toBe(400);
      expect(reply.body.errors).toEqual([{ path: '/epcisBody/eventList/0/example:note', message: expect.stringMatching(/NUL character/) }]);
      expect(reply.text).not.toMatch(PG_TEXT);
      expect(await countRows(node, `SELECT 1 FROM epcis_capture_jobs WHERE problems::text ~* 'byte sequence|unicode escape'`)).toBe(0);
    });

    it('the native API: a NUL in a JSON key is refused too', async () => {
      const reply = await node.refused('POST', '/api/v1/enterprises/applications', { body: { ...applicationBody('88.118.90', 'nul-key'), 'x\u0000': 1 } });
      expect(reply.status).toBe(400);
      expect(reply.body.code).toBe('VALIDATION_FAILED');
    });
  });

  describe('look-alike prefixes are refused when applied for', () => {
    it.each(['88.118.08', '88.118.007', '88.118.0a'])('refuses %s with 400 naming the leading zero', async (requestedPrefix) => {
      const reply = await node.refused('POST', '/api/v1/enterprises/applications', { body: applicationBody(requestedPrefix, `lookalike-${requestedPrefix.length}`) });
      expect(reply.status).toBe(400);
      expect(reply.body.code).toBe('VALIDATION_FAILED');
      expect(reply.body.errors).toEqual([{ path: '/requestedPrefix', message: expect.stringMatching(/leading zero/) }]);
    });

    it('still accepts a prefix segment that is "0" alone and other ordinary codes', async () => {
      for (const [prefix, username] of [['88.118.0', 'zero-ent'], ['88.118.80', 'eighty-ent']]) {
        const reply = await node.request('POST', '/api/v1/enterprises/applications', { body: applicationBody(prefix, username) });
        expect({ prefix, status: reply.status }).toEqual({ prefix, status: 201 });
      }
    });
  });

  describe('"." and ".." suffix segments are refused on every write front door', () => {
    const ambiguous = ['88.118.8/a/../b', '88.118.8/a/./b', '88.118.8/..', '88.118.8/.', '88.118.8/a/..', '88.118.8/./x'];

    it.each(ambiguous)('Handle REST PUT %s: 400 responseCode 102, nothing written', async (handle) => {
      const reply = await node.unchangedBy(() => rawRequest(node.baseUrl, 'PUT', `/api/handles/${handle}`, acme.token, [URL_VALUE]));
      expect(reply.status).toBe(400);
      expect(reply.body).toMatchObject({ responseCode: 102, message: expect.stringMatching(/path segment/) });
    });

    it('Handle REST: percent-encoded dots and mintNewSuffix are refused too', async () => {
      for (const path of ['/api/handles/88.118.8/a/%2E%2E/b', '/api/handles/88.118.8/%2e/?mintNewSuffix=true', '/api/handles/88.118.8/../?mintNewSuffix=true']) {
        const reply = await node.unchangedBy(() => rawRequest(node.baseUrl, 'PUT', path, acme.token, [URL_VALUE]));
        expect({ path, status: reply.status, responseCode: reply.body?.responseCode }).toEqual({ path, status: 400, responseCode: 102 });
      }
      // Dots inside a segment are ordinary characters.
      expect((await rawRequest(node.baseUrl, 'PUT', '/api/handles/88.118.8/v1.2/..hidden/a.', acme.token, [URL_VALUE])).status).toBe(200);
    });

    it('SNMS create, update and batch: refused per item, the good items stored', async () => {
      const record = (handle: string) => ({ handle, templateVersion: '1.0', value: [{ index: 2000, type: 'name', data: { format: 'string', value: 'Wrench' } }] });
      const one = await node.refused('POST', '/identityv2/data', { token: acme.token, body: record('88.118.8/a/../b') });
      expect({ status: one.status, snms: one.body.status }).toEqual({ status: 400, snms: -2 });
      expect(one.body.message).toMatch(/path segment/);
      const update = await node.refused('PUT', '/identityv2/data', { token: acme.token, body: record('88.118.8/./existing') });
      expect({ status: update.status, snms: update.body.status }).toEqual({ status: 400, snms: -2 });
      const batch = await node.request('POST', '/identityv2/data/batchCreate', { token: acme.token, body: [record('88.118.8/x/..'), record('88.118.8/fine-dots.1')] });
      expect(batch.status).toBe(200);
      expect(batch.body.data[0]).toMatchObject({ handle: '88.118.8/x/..', code: -2, msg: expect.stringMatching(/path segment/) });
      expect(batch.body.data[1]).toMatchObject({ handle: '88.118.8/fine-dots.1', code: 1 });
      expect(await countRows(node, `SELECT 1 FROM identifiers WHERE handle LIKE '88.118.8/x/%'`)).toBe(0);
    });
  });

  describe('HS_ADMIN indexes given as numeric strings (pyhandle)', () => {
    const admin = (index: unknown, adminIndex: unknown) => ({ index, type: 'HS_ADMIN', data: { format: 'admin', value: { handle: '0.NA/88.118.8', index: adminIndex, permissions: '011111111111' } } });

    it('accepts "100" and "200" and serves them as numbers', async () => {
      const reply = await node.request('PUT', '/api/handles/88.118.8/pyhandle-style', { token: acme.token, body: { values: [URL_VALUE, admin('100', '200')] } });
      expect(reply.status).toBe(200);
      const got = await node.request('GET', '/api/handles/88.118.8/pyhandle-style?type=HS_ADMIN', { token: acme.token });
      expect(got.body.values).toEqual([expect.objectContaining({ index: 100, type: 'HS_ADMIN', data: { format: 'admin', value: { handle: '0.NA/88.118.8', index: 200, permissions: '011111111111' } } })]);
    });

    it.each([
      ['a non-numeric index', admin('abc', 200)],
      ['a non-numeric admin index', admin(100, 'two hundred')],
      ['an index above 2^32-1', admin('4294967296', 200)],
      ['a negative admin index', admin(100, '-1')],
      ['index 0', admin('0', 200)],
      ['a leading zero', admin('0100', 200)],
      ['a padded number', admin(' 100', 200)],
      ['an exponent', admin('1e2', 200)],
    ])('refuses %s with 400 responseCode 202', async (_what, value) => {
      const reply = await node.refused('PUT', '/api/handles/88.118.8/bad-admin', { token: acme.token, body: [URL_VALUE, value] });
      expect(reply.status).toBe(400);
      expect(reply.body).toMatchObject({ responseCode: 202, message: expect.stringMatching(/index/) });
    });
  });
});
