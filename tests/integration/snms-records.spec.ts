import { applicationBody, type EnterpriseFixture, expectSnmsRefusal, TestNode } from '../support/test-node';

/**
 * SNMS single-record API (/identityv2/data, /identityv2/data/detail): records shaped by a data
 * template, index 1001 TEMPLATE, the SNMS envelope, ownership and read permissions.
 */
describe('SNMS identifier records', () => {
  let node: TestNode;
  let acme: EnterpriseFixture;
  let bolt: EnterpriseFixture;
  let operator: string;

  const PREFIX = '88.118.8';

  beforeAll(async () => {
    node = await TestNode.start();
    acme = await node.approvedEnterprise(PREFIX, 'acme');
    bolt = await node.approvedEnterprise('88.118.9', 'bolt');
    operator = await node.operatorToken();
    // 2000 name (required, 2..20), 2001 url, 2002 legacy (disabled), 2003 code (3..5)
    const template = await node.request('POST', '/snms/api/v5/template', {
      token: acme.token,
      body: {
        prefix: PREFIX,
        version: '1.0',
        industryCategory: 'C',
        industrySpecific: '38',
        industryTrade: '384',
        industrySubclass: '3841',
        type: 1,
        items: [
          { name: '产品名称', idType: 'name', required: true, metadata: { type: 'string', minLength: 2, maxLength: 20 } },
          { name: '网址', idType: 'url', metadata: { type: 'string', minLength: 0, maxLength: 255 } },
          { name: '旧属性', idType: 'legacy', state: 0, metadata: { type: 'string', minLength: 0, maxLength: 255 } },
          { name: '编码', idType: 'code', metadata: { type: 'string', minLength: 3, maxLength: 5 } },
        ],
      },
    });
    expect(template.status).toBe(200);
    expect(template.body.data.items.map((i: { idIndex: number }) => i.idIndex)).toEqual([2000, 2001, 2002, 2003]);
    await node.createTemplate(acme.token, PREFIX, '2.0', [{ idType: 'title' }]);
    await node.createTemplate(bolt.token, '88.118.9', '1.0', [{ idType: 'name', required: true }]);
  });
  afterAll(async () => {
    await node?.stop();
  });

  interface SnmsValue {
    index: number;
    type: string;
    auth?: string;
    data: { format: string; value: string };
  }

  function value(index: number, type: string, text: string): SnmsValue {
    return { index, type, data: { format: 'string', value: text } };
  }

  function record(handle: string, values = [value(2000, 'name', 'Wrench')], templateVersion = '1.0') {
    return { handle, templateVersion, value: values };
  }

  async function storedRow(handleKey: string) {
    const rows = await node.db.client.query('SELECT handle, prefix_key, "values", template_version, version FROM identifiers WHERE handle_key = $1', [handleKey]);
    return rows.rows[0];
  }



  const ISO_SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

  describe('create, update, delete one record', () => {
    it('POST stores index 1001 TEMPLATE = version plus the item values, sorted by index', async () => {
      const reply = await node.request('POST', '/identityv2/data', {
        token: acme.token,
        body: record('88.118.8/Pump-001', [value(2003, 'code', 'P01'), value(2000, 'name', '水泵'), { ...value(2001, 'url', 'https://acme.example/p/1'), auth: '' }]),
      });
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual({ status: 1, message: 'success', data: true });

      const row = await storedRow('88.118.8/pump-001');
      expect(row).toMatchObject({ handle: '88.118.8/Pump-001', prefix_key: '88.118.8', template_version: '1.0', version: 1 });
      expect(row.values).toEqual([
        { index: 1001, type: 'TEMPLATE', data: { format: 'string', value: '1.0' }, ttl: 86400, timestamp: expect.stringMatching(ISO_SECONDS) },
        { index: 2000, type: 'name', data: { format: 'string', value: '水泵' }, ttl: 86400, timestamp: expect.stringMatching(ISO_SECONDS) },
        { index: 2001, type: 'url', data: { format: 'string', value: 'https://acme.example/p/1' }, ttl: 86400, timestamp: expect.stringMatching(ISO_SECONDS) },
        { index: 2003, type: 'code', data: { format: 'string', value: 'P01' }, ttl: 86400, timestamp: expect.stringMatching(ISO_SECONDS) },
      ]);
    });

    it('a second POST of the same identifier (any case) is refused with 409 status -2 "already exists"', async () => {
      const before = await storedRow('88.118.8/pump-001');
      for (const handle of ['88.118.8/Pump-001', '88.118.8/PUMP-001']) {
        const reply = await node.unchangedBy(() => node.request('POST', '/identityv2/data', { token: acme.token, body: record(handle, [value(2000, 'name', 'Other')]) }));
        expectSnmsRefusal(reply, 409, -2, /标识已存在.*already exists/);
      }
      expect(await storedRow('88.118.8/pump-001')).toEqual(before);
    });

    it('PUT replaces the values and bumps version', async () => {
      const reply = await node.request('PUT', '/identityv2/data', {
        token: acme.token,
        body: record('88.118.8/pump-001', [value(2000, 'name', '新水泵')]),
      });
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual({ status: 1, message: 'success', data: true });
      const row = await storedRow('88.118.8/pump-001');
      expect(row).toMatchObject({ handle: '88.118.8/Pump-001', template_version: '1.0', version: 2 });
      expect(row.values.map((v: { index: number; data: { value: string } }) => [v.index, v.data.value])).toEqual([
        [1001, '1.0'],
        [2000, '新水泵'],
      ]);

      const moved = await node.request('PUT', '/identityv2/data', { token: acme.token, body: record('88.118.8/pump-001', [value(2000, 'title', 'T')], '2.0') });
      expect(moved.body).toEqual({ status: 1, message: 'success', data: true });
      const again = await storedRow('88.118.8/pump-001');
      expect(again).toMatchObject({ template_version: '2.0', version: 3 });
      expect(again.values.map((v: { index: number; type: string; data: { value: string } }) => [v.index, v.type, v.data.value])).toEqual([
        [1001, 'TEMPLATE', '2.0'],
        [2000, 'title', 'T'],
      ]);
    });

    it('PUT of a missing identifier is 404 status -2 "没有找到标识" and creates nothing', async () => {
      const reply = await node.unchangedBy(() => node.request('PUT', '/identityv2/data', { token: acme.token, body: record('88.118.8/never-registered') }));
      expectSnmsRefusal(reply, 404, -2, /没有找到标识/);
      expect(await storedRow('88.118.8/never-registered')).toBeUndefined();
    });

    it('DELETE {handle} answers data true, then 404 "没有找到标识"', async () => {
      const created = await node.request('POST', '/identityv2/data', { token: acme.token, body: record('88.118.8/to-delete') });
      expect(created.body.status).toBe(1);
      const deleted = await node.request('DELETE', '/identityv2/data', { token: acme.token, body: { handle: '88.118.8/TO-DELETE' } });
      expect(deleted.status).toBe(200);
      expect(deleted.body).toEqual({ status: 1, message: 'success', data: true });
      expect(await storedRow('88.118.8/to-delete')).toBeUndefined();

      const again = await node.unchangedBy(() => node.request('DELETE', '/identityv2/data', { token: acme.token, body: { handle: '88.118.8/to-delete' } }));
      expectSnmsRefusal(again, 404, -2, /没有找到标识/);
      const detail = await node.request('GET', '/identityv2/data/detail?handle=88.118.8/to-delete');
      expectSnmsRefusal(detail, 404, -2, /没有找到标识/);
    });

    it('DELETE refuses a body with a missing handle, an unknown field or an invalid handle', async () => {
      expectSnmsRefusal(await node.unchangedBy(() => node.request('DELETE', '/identityv2/data', { token: acme.token, body: {} })), 400, -2, /\/handle is required/);
      expectSnmsRefusal(
        await node.unchangedBy(() => node.request('DELETE', '/identityv2/data', { token: acme.token, body: { handle: '88.118.8/pump-001', cascade: true } })),
        400,
        -2,
        /\/cascade is not an allowed field/,
      );
      expectSnmsRefusal(await node.unchangedBy(() => node.request('DELETE', '/identityv2/data', { token: acme.token, body: { handle: 'no-slash' } })), 400, -2);
      expect(await storedRow('88.118.8/pump-001')).toBeDefined();
    });
  });

  describe('detail', () => {
    beforeAll(async () => {
      const created = await node.request('POST', '/identityv2/data', {
        token: acme.token,
        body: record('88.118.8/Detail-1', [value(2000, 'name', '扳手'), value(2001, 'url', 'https://acme.example/d/1')]),
      });
      expect(created.body.status).toBe(1);
    });

    it('returns {prefix, handle, templateVersion, value[]} anonymously, echoing the handle as asked', async () => {
      const reply = await node.request('GET', '/identityv2/data/detail?handle=88.118.8/detail-1');
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual({
        status: 1,
        message: 'success',
        data: {
          prefix: '88.118.8',
          handle: '88.118.8/detail-1',
          templateVersion: '1.0',
          value: [
            { index: 1001, type: 'TEMPLATE', auth: '1110', data: { format: 'string', value: '1.0' } },
            { index: 2000, type: 'name', auth: '1110', data: { format: 'string', value: '扳手' } },
            { index: 2001, type: 'url', auth: '1110', data: { format: 'string', value: 'https://acme.example/d/1' } },
          ],
        },
      });
      const encoded = await node.request('GET', `/identityv2/data/detail?handle=${encodeURIComponent('88.118.8/Detail-1')}`, { token: bolt.token });
      expect(encoded.status).toBe(200);
      expect(encoded.body.data.handle).toBe('88.118.8/Detail-1');
      expect(encoded.body.data.value).toHaveLength(3);
    });

    it('answers 404 status -2 for a missing identifier and 400 for a missing, repeated or invalid handle parameter', async () => {
      expectSnmsRefusal(await node.request('GET', '/identityv2/data/detail?handle=88.118.8/nothing-here'), 404, -2, /没有找到标识/);
      expectSnmsRefusal(await node.request('GET', '/identityv2/data/detail'), 400, -2, /缺少必要的请求参数: handle/);
      expectSnmsRefusal(await node.request('GET', '/identityv2/data/detail?handle='), 400, -2, /缺少必要的请求参数: handle/);
      expectSnmsRefusal(await node.request('GET', '/identityv2/data/detail?handle=88.118.8/a&handle=88.118.8/b'), 400, -2, /only once/);
      expectSnmsRefusal(await node.request('GET', '/identityv2/data/detail?handle=no-slash'), 400, -2, /has no "\/" between prefix and suffix/);
      expectSnmsRefusal(await node.request('GET', `/identityv2/data/detail?handle=88.118.8/${'x'.repeat(300)}`), 400, -2);
    });

    it('shows values without public read only to the owner and the operator', async () => {
      const created = await node.request('POST', '/identityv2/data', {
        token: acme.token,
        body: record('88.118.8/secret-1', [value(2000, 'name', 'Public name'), value(2001, 'url', 'https://public.example')]),
      });
      expect(created.body.status).toBe(1);
      const restricted = await node.request('PUT', '/api/handles/88.118.8/secret-1?index=2001', {
        token: acme.token,
        body: { values: [{ index: 2001, type: 'url', data: { format: 'string', value: 'https://internal.example' }, permissions: '1100' }] },
      });
      expect(restricted.status).toBe(200);
      const stored = await storedRow('88.118.8/secret-1');
      expect(stored.values.find((v: { index: number }) => v.index === 2001)).toMatchObject({ permissions: '1100', data: { value: 'https://internal.example' } });

      const publicIndexes = [1001, 2000];
      const allIndexes = [1001, 2000, 2001];
      const indexesSeenBy = async (token?: string) => {
        const reply = await node.request('GET', '/identityv2/data/detail?handle=88.118.8/secret-1', { token });
        expect(reply.status).toBe(200);
        expect(reply.body.status).toBe(1);
        return reply.body.data.value.map((v: { index: number }) => v.index);
      };
      expect(await indexesSeenBy()).toEqual(publicIndexes);
      expect(await indexesSeenBy(bolt.token)).toEqual(publicIndexes);
      expect(await indexesSeenBy(acme.token)).toEqual(allIndexes);
      expect(await indexesSeenBy(operator)).toEqual(allIndexes);
      const owner = await node.request('GET', '/identityv2/data/detail?handle=88.118.8/secret-1', { token: acme.token });
      expect(owner.body.data.value[2]).toEqual({ index: 2001, type: 'url', auth: '1100', data: { format: 'string', value: 'https://internal.example' } });
    });

    it('refuses an invalid token even on the anonymous detail route (401 status -1)', async () => {
      expectSnmsRefusal(await node.request('GET', '/identityv2/data/detail?handle=88.118.8/detail-1', { token: 'forged.token.value' }), 401, -1);
    });
  });

  describe('template checks on values (nothing stored on refusal)', () => {
    const cases: Array<[string, unknown, number, RegExp]> = [
      ['index 1001 in the body', record('88.118.8/bad-1', [value(2000, 'name', 'Ok name'), value(1001, 'TEMPLATE', '1.0')]), 400, /index 1001 is reserved/],
      ['an index not in the template', record('88.118.8/bad-2', [value(2000, 'name', 'Ok name'), value(2999, 'name', 'x')]), 400, /索引2999在模板中不存在/],
      ['a disabled item', record('88.118.8/bad-3', [value(2000, 'name', 'Ok name'), value(2002, 'legacy', 'old')]), 400, /"legacy" \(index 2002\) is disabled/],
      ['a type that is not the item idType', record('88.118.8/bad-4', [value(2000, 'url', 'Ok name')]), 400, /index 2000 has type "name" in the template, not "url"/],
      ['a value shorter than minLength', record('88.118.8/bad-5', [value(2000, 'name', 'A')]), 400, /"name" must be 2 to 20 characters long, got 1/],
      ['a value longer than maxLength', record('88.118.8/bad-6', [value(2000, 'name', 'Ok name'), value(2003, 'code', '123456')]), 400, /"code" must be 3 to 5 characters long, got 6/],
      ['a value over 255 characters', record('88.118.8/bad-7', [value(2000, 'name', 'Ok name'), value(2001, 'url', 'u'.repeat(256))]), 400, /\/value\/1\/data\/value/],
      ['a required item missing', record('88.118.8/bad-8', [value(2001, 'url', 'https://x.example')]), 400, /required template items missing: name \(index 2000\)/],
      ['format other than "string"', record('88.118.8/bad-9', [{ index: 2000, type: 'name', data: { format: 'base64', value: 'T2sgbmFtZQ==' } }]), 400, /\/value\/0\/data\/format/],
      ['an unknown template version', record('88.118.8/bad-10', [value(2000, 'name', 'Ok name')], '9.9'), 400, /数据模板不存在.*9\.9/],
      ['the same index twice', record('88.118.8/bad-11', [value(2000, 'name', 'Ok name'), value(2000, 'name', 'Again')]), 400, /index 2000 appears twice/],
      ['an unknown field', { ...record('88.118.8/bad-12'), owner: 'me' }, 400, /\/owner is not an allowed field/],
      ['an unknown field in a value', record('88.118.8/bad-13', [{ ...value(2000, 'name', 'Ok name'), ttl: 5 } as SnmsValue]), 400, /\/value\/0\/ttl is not an allowed field/],
      ['a missing templateVersion', { handle: '88.118.8/bad-14', value: [value(2000, 'name', 'Ok name')] }, 400, /\/templateVersion is required/],
      ['a value that is not a string', record('88.118.8/bad-15', [{ index: 2000, type: 'name', data: { format: 'string', value: 42 } } as unknown as SnmsValue]), 400, /\/value\/0\/data\/value/],
      ['a value containing U+0000', record('88.118.8/bad-17', [value(2000, 'name', 'Ok\u0000name')]), 400, /\/value\/0\/data\/value contains the NUL character U\+0000/],
      ['a value with an unpaired surrogate', record('88.118.8/bad-18', [value(2000, 'name', 'Ok\ud800name')]), 400, /\/value\/0\/data\/value contains an unpaired UTF-16 surrogate U\+D800/],
      ['a templateVersion containing U+0000', record('88.118.8/bad-19', [value(2000, 'name', 'Ok name')], '1.0\u0000'), 400, /\/templateVersion contains the NUL character/],
      ['an invalid handle', record('88.118.8'), 400, /has no "\/" between prefix and suffix/],
      ['an empty suffix', record('88.118.8/'), 400, /suffix of "88.118.8\/" is empty/],
      ['a handle over 255 characters', record(`88.118.8/${'h'.repeat(250)}`), 400, /\/handle/],
      ['a body that is an array', [record('88.118.8/bad-16')], 400, /must be object/],
    ];

    it.each(cases)('POST refuses %s', async (_label, body, httpStatus, message) => {
      const reply = await node.unchangedBy(() => node.request('POST', '/identityv2/data', { token: acme.token, body }));
      expectSnmsRefusal(reply, httpStatus, -2, message);
    });

    it.each(cases.filter(([label]) => label !== 'an invalid handle' && label !== 'an empty suffix'))('PUT of an existing record refuses %s and keeps the record', async (_label, body, httpStatus, message) => {
      const handle = (body as { handle?: string }).handle;
      if (handle && handle.length < 100) {
        const created = await node.request('POST', '/identityv2/data', { token: acme.token, body: record(handle) });
        expect(created.body).toEqual({ status: 1, message: 'success', data: true });
      }
      const reply = await node.unchangedBy(() => node.request('PUT', '/identityv2/data', { token: acme.token, body }));
      expectSnmsRefusal(reply, httpStatus, -2, message);
    });
  });

  describe('access', () => {
    it('writes need a token: none is 401 status -1 and nothing changes', async () => {
      expectSnmsRefusal(await node.unchangedBy(() => node.request('POST', '/identityv2/data', { body: record('88.118.8/anon-1') })), 401, -1);
      expectSnmsRefusal(await node.unchangedBy(() => node.request('PUT', '/identityv2/data', { body: record('88.118.8/pump-001') })), 401, -1);
      expectSnmsRefusal(await node.unchangedBy(() => node.request('DELETE', '/identityv2/data', { body: { handle: '88.118.8/pump-001' } })), 401, -1);
      expectSnmsRefusal(await node.unchangedBy(() => node.request('POST', '/identityv2/data', { body: record('88.118.8/anon-2'), headers: { authorization: 'Basic YWNtZTpwdw==' } })), 401, -1);
      expectSnmsRefusal(await node.unchangedBy(() => node.request('POST', '/identityv2/data', { token: `${acme.token}x`, body: record('88.118.8/tampered') })), 401, -1);
    });

    it("refuses another enterprise's prefix with 403 status -3 for POST, PUT and DELETE", async () => {
      expectSnmsRefusal(await node.unchangedBy(() => node.request('POST', '/identityv2/data', { token: bolt.token, body: record('88.118.8/by-bolt') })), 403, -3, /another enterprise/);
      expectSnmsRefusal(await node.unchangedBy(() => node.request('PUT', '/identityv2/data', { token: bolt.token, body: record('88.118.8/pump-001', [value(2000, 'title', 'T')], '2.0') })), 403, -3);
      expectSnmsRefusal(await node.unchangedBy(() => node.request('DELETE', '/identityv2/data', { token: bolt.token, body: { handle: '88.118.8/pump-001' } })), 403, -3);
      expectSnmsRefusal(await node.unchangedBy(() => node.request('DELETE', '/identityv2/data', { token: acme.token, body: { handle: '88.118.9/anything' } })), 403, -3);
    });

    it('refuses a prefix this node does not serve with 404 status -2', async () => {
      expectSnmsRefusal(await node.unchangedBy(() => node.request('POST', '/identityv2/data', { token: operator, body: record('88.118.55/x') })), 404, -2, /88\.118\.55/);
    });

    it('lets the operator write under any active prefix, but not under one still in review', async () => {
      const created = await node.request('POST', '/identityv2/data', { token: operator, body: record('88.118.9/by-operator', [value(2000, 'name', 'Op')]) });
      expect(created.body).toEqual({ status: 1, message: 'success', data: true });
      expect(await storedRow('88.118.9/by-operator')).toMatchObject({ prefix_key: '88.118.9', template_version: '1.0', version: 1 });
      const updated = await node.request('PUT', '/identityv2/data', { token: operator, body: record('88.118.9/by-operator', [value(2000, 'name', 'Op 2')]) });
      expect(updated.body.status).toBe(1);
      expect(await storedRow('88.118.9/by-operator')).toMatchObject({ version: 2 });
      const deleted = await node.request('DELETE', '/identityv2/data', { token: operator, body: { handle: '88.118.9/by-operator' } });
      expect(deleted.body).toEqual({ status: 1, message: 'success', data: true });
      expect(await storedRow('88.118.9/by-operator')).toBeUndefined();

      const pending = await node.request('POST', '/api/v1/enterprises/applications', { body: applicationBody('88.118.77', 'pending') });
      expect(pending.status).toBe(201);
      expect(await node.db.client.query(`SELECT status FROM enterprise_prefixes WHERE prefix_key = '88.118.77'`)).toMatchObject({ rows: [{ status: 'pending_review' }] });
      const inReview = await node.unchangedBy(() => node.request('POST', '/identityv2/data', { token: operator, body: record('88.118.77/x') }));
      expectSnmsRefusal(inReview, 403, -3, /not active/);
    });
  });

  describe('malformed requests', () => {
    it('refuses malformed JSON with HTTP 400 status -2 on every write', async () => {
      for (const [method, path] of [
        ['POST', '/identityv2/data'],
        ['PUT', '/identityv2/data'],
        ['DELETE', '/identityv2/data'],
      ]) {
        const reply = await node.unchangedBy(() => node.request(method, path, { token: acme.token, rawBody: '{"handle": "88.118.8/x", "value": [' }));
        expectSnmsRefusal(reply, 400, -2, /not valid JSON/);
      }
    });

    it('refuses an empty body and a non-JSON content type', async () => {
      expectSnmsRefusal(await node.unchangedBy(() => node.request('POST', '/identityv2/data', { token: acme.token, rawBody: '' })), 400, -2, /empty/i);
      const xml = await node.unchangedBy(() =>
        node.request('POST', '/identityv2/data', { token: acme.token, rawBody: '<record/>', headers: { 'content-type': 'application/xml' } }),
      );
      expectSnmsRefusal(xml, 415, -2, /Unsupported Media Type/);
      // Fastify reads text/plain as a string: it is then refused as a body that is not a record.
      const text = await node.unchangedBy(() =>
        node.request('POST', '/identityv2/data', { token: acme.token, rawBody: JSON.stringify(record('88.118.8/as-text')), headers: { 'content-type': 'text/plain' } }),
      );
      expectSnmsRefusal(text, 400, -2, /must be object/);
    });
  });
});
