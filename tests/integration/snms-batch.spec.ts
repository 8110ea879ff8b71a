import { databaseFingerprint } from '../support/test-database';
import { type EnterpriseFixture, expectSnmsRefusal, TestNode } from '../support/test-node';

/**
 * SNMS batch API: batchCreate / batchUpdate / batchDelete of up to 2,000 items, one result per
 * item in order, good items stored and bad ones reported (overall status 1), a batch over the
 * limit refused whole.
 */
describe('SNMS batches', () => {
  let node: TestNode;
  let acme: EnterpriseFixture;
  let bolt: EnterpriseFixture;
  let operator: string;

  beforeAll(async () => {
    node = await TestNode.start();
    acme = await node.approvedEnterprise('88.118.8', 'acme');
    bolt = await node.approvedEnterprise('88.118.9', 'bolt');
    operator = await node.operatorToken();
    await node.createTemplate(acme.token, '88.118.8', '1.0', [{ idType: 'name', required: true, minLength: 1, maxLength: 64 }, { idType: 'url' }]);
    await node.createTemplate(bolt.token, '88.118.9', '1.0', [{ idType: 'name', required: true }]);
  });
  afterAll(async () => {
    await node?.stop();
  });

  interface SnmsRecord {
    handle: string;
    templateVersion: string;
    value: Array<{ index: number; type: string; data: { format: string; value: string } }>;
  }

  function record(handle: string, name = `product ${handle}`, extra: SnmsRecord['value'] = []): SnmsRecord {
    return { handle, templateVersion: '1.0', value: [{ index: 2000, type: 'name', data: { format: 'string', value: name } }, ...extra] };
  }

  async function countUnder(prefixKey: string): Promise<number> {
    const rows = await node.db.client.query('SELECT count(*) AS n FROM identifiers WHERE prefix_key = $1', [prefixKey]);
    return Number(rows.rows[0].n);
  }

  async function storedRow(handleKey: string) {
    const rows = await node.db.client.query('SELECT handle, "values", template_version, version FROM identifiers WHERE handle_key = $1', [handleKey]);
    return rows.rows[0];
  }



  const SUCCESS = (handle: string) => ({ handle, code: 1, msg: 'success' });

  describe('batchCreate', () => {
    // Positions of the bad items in the 2,000-item batch, and what each must be told.
    const INVALID_HANDLE = 17;
    const UNKNOWN_ITEM = 345;
    const OTHERS_PREFIX = 999;
    const DUPLICATE = 1500; // same identifier as item 10
    const CASE_DUPLICATE = 1999; // item 20 with the suffix in another case
    const SCHEMA_ERROR = 1234; // value without data.format
    const bad = new Set([INVALID_HANDLE, UNKNOWN_ITEM, OTHERS_PREFIX, DUPLICATE, CASE_DUPLICATE, SCHEMA_ERROR]);

    function bigBatch(): unknown[] {
      const items: unknown[] = [];
      for (let i = 0; i < 2000; i += 1) items.push(record(`88.118.8/B${i}`, `name ${i}`, i % 3 === 0 ? [{ index: 2001, type: 'url', data: { format: 'string', value: `https://acme.example/${i}` } }] : []));
      items[INVALID_HANDLE] = record('not-a-handle');
      items[UNKNOWN_ITEM] = record('88.118.8/B345', 'name 345', [{ index: 2999, type: 'weight', data: { format: 'string', value: '5kg' } }]);
      items[OTHERS_PREFIX] = { ...record('88.118.9/from-acme'), templateVersion: '1.0' };
      items[DUPLICATE] = record('88.118.8/B10', 'the duplicate');
      items[CASE_DUPLICATE] = record('88.118.8/b20', 'the case duplicate');
      items[SCHEMA_ERROR] = { handle: '88.118.8/B1234', templateVersion: '1.0', value: [{ index: 2000, type: 'name', data: { value: 'no format' } }] };
      return items;
    }

    function handleOf(item: unknown): string {
      return (item as { handle: string }).handle;
    }

    it('stores the good items of a 2,000-item batch and reports every item, in order', async () => {
      const items = bigBatch();
      const reply = await node.request('POST', '/identityv2/data/batchCreate', { token: acme.token, body: items });
      expect(reply.status).toBe(200);
      expect(reply.body.status).toBe(1);
      expect(reply.body.message).toBe('success');
      const data = reply.body.data as Array<{ handle: string; code: number; msg: string }>;
      expect(data).toHaveLength(2000);
      expect(data.map((r) => r.handle)).toEqual(items.map(handleOf));
      items.forEach((item, i) => {
        if (!bad.has(i)) expect(data[i]).toEqual(SUCCESS(handleOf(item)));
      });
      expect(data[INVALID_HANDLE]).toMatchObject({ handle: 'not-a-handle', code: -2, msg: expect.stringMatching(/has no "\/" between prefix and suffix/) });
      expect(data[UNKNOWN_ITEM]).toMatchObject({ handle: '88.118.8/B345', code: -2, msg: expect.stringMatching(/索引2999在模板中不存在/) });
      expect(data[OTHERS_PREFIX]).toMatchObject({ handle: '88.118.9/from-acme', code: -3, msg: expect.stringMatching(/another enterprise/) });
      expect(data[DUPLICATE]).toMatchObject({ handle: '88.118.8/B10', code: -2, msg: expect.stringMatching(/duplicates item 10 of this batch/) });
      expect(data[CASE_DUPLICATE]).toMatchObject({ handle: '88.118.8/b20', code: -2, msg: expect.stringMatching(/duplicates item 20 of this batch/) });
      expect(data[SCHEMA_ERROR]).toMatchObject({ handle: '88.118.8/B1234', code: -2, msg: expect.stringMatching(/\/value\/0\/data\/format is required/) });

      expect(await countUnder('88.118.8')).toBe(2000 - bad.size);
      expect(await countUnder('88.118.9')).toBe(0);
      expect(await storedRow('88.118.8/b345')).toBeUndefined();
      expect(await storedRow('88.118.8/b1234')).toBeUndefined();
      const first = await storedRow('88.118.8/b10');
      expect(first).toMatchObject({ handle: '88.118.8/B10', template_version: '1.0', version: 1 });
      expect(first.values.find((v: { index: number }) => v.index === 2000).data.value).toBe('name 10');
      expect((await storedRow('88.118.8/b20')).handle).toBe('88.118.8/B20');
      const withUrl = await storedRow('88.118.8/b3');
      expect(withUrl.values.map((v: { index: number; data: { value: string } }) => [v.index, v.data.value])).toEqual([
        [1001, '1.0'],
        [2000, 'name 3'],
        [2001, 'https://acme.example/3'],
      ]);
    });

    it('a retry of the same batch reports every stored item as already existing and stores nothing new', async () => {
      const items = bigBatch();
      const before = await databaseFingerprint(node.db.client);
      const reply = await node.request('POST', '/identityv2/data/batchCreate', { token: acme.token, body: items });
      expect(reply.status).toBe(200);
      expect(reply.body.status).toBe(1);
      const data = reply.body.data as Array<{ handle: string; code: number; msg: string }>;
      expect(data).toHaveLength(2000);
      expect(data.map((r) => r.handle)).toEqual(items.map(handleOf));
      items.forEach((item, i) => {
        if (!bad.has(i)) expect(data[i]).toMatchObject({ handle: handleOf(item), code: -2, msg: expect.stringContaining('标识已存在') });
      });
      expect(data.filter((r) => r.code === 1)).toEqual([]);
      expect(data[OTHERS_PREFIX].code).toBe(-3);
      expect(data[UNKNOWN_ITEM].msg).toMatch(/索引2999在模板中不存在/);
      expect(await databaseFingerprint(node.db.client)).toEqual(before);
    });

    it('refuses a batch of 2,001 items whole with HTTP 400, storing nothing', async () => {
      const items = Array.from({ length: 2001 }, (_, i) => record(`88.118.8/over-${i}`));
      const reply = await node.unchangedBy(() => node.request('POST', '/identityv2/data/batchCreate', { token: acme.token, body: items }));
      expectSnmsRefusal(reply, 400, -2, /批量操作最大支持2000条.*got 2001/);
      expect(await storedRow('88.118.8/over-0')).toBeUndefined();
    });

    it('refuses an empty batch and a body that is not an array with HTTP 400', async () => {
      expectSnmsRefusal(await node.unchangedBy(() => node.request('POST', '/identityv2/data/batchCreate', { token: acme.token, body: [] })), 400, -2, /empty/);
      expectSnmsRefusal(await node.unchangedBy(() => node.request('POST', '/identityv2/data/batchCreate', { token: acme.token, body: record('88.118.8/single') })), 400, -2, /JSON array/);
      expectSnmsRefusal(
        await node.unchangedBy(() => node.request('POST', '/identityv2/data/batchCreate', { token: acme.token, body: { handles: [record('88.118.8/wrapped')] } })),
        400,
        -2,
        /JSON array/,
      );
      expectSnmsRefusal(await node.unchangedBy(() => node.request('POST', '/identityv2/data/batchCreate', { token: acme.token, body: 'text' })), 400, -2, /JSON array/);
      expectSnmsRefusal(await node.unchangedBy(() => node.request('POST', '/identityv2/data/batchCreate', { token: acme.token, rawBody: '[{"handle": "88.118.8/x",' })), 400, -2, /not valid JSON/);
    });

    it('reports non-object items per item without refusing the batch', async () => {
      const reply = await node.request('POST', '/identityv2/data/batchCreate', { token: acme.token, body: [42, null, record('88.118.8/mixed-ok'), 'x'] });
      expect(reply.status).toBe(200);
      expect(reply.body.status).toBe(1);
      expect(reply.body.data).toHaveLength(4);
      expect(reply.body.data.map((r: { code: number }) => r.code)).toEqual([-2, -2, 1, -2]);
      expect(reply.body.data[2]).toEqual(SUCCESS('88.118.8/mixed-ok'));
      expect(reply.body.data[0]).toMatchObject({ handle: '', msg: expect.stringMatching(/must be object/) });
      expect(await storedRow('88.118.8/mixed-ok')).toBeDefined();
    });

    it('needs a token (401 status -1) and lets the operator write under several prefixes in one batch', async () => {
      expectSnmsRefusal(await node.unchangedBy(() => node.request('POST', '/identityv2/data/batchCreate', { body: [record('88.118.8/anon')] })), 401, -1);
      const reply = await node.request('POST', '/identityv2/data/batchCreate', {
        token: operator,
        body: [record('88.118.8/op-1'), record('88.118.9/op-2'), record('88.118.66/op-3')],
      });
      expect(reply.status).toBe(200);
      expect(reply.body.data[0]).toEqual(SUCCESS('88.118.8/op-1'));
      expect(reply.body.data[1]).toEqual(SUCCESS('88.118.9/op-2'));
      expect(reply.body.data[2]).toMatchObject({ handle: '88.118.66/op-3', code: -2, msg: expect.stringMatching(/not served by this node/) });
      expect(await countUnder('88.118.9')).toBe(1);
    });

    it('reports text PostgreSQL cannot store (U+0000, unpaired surrogates) per item and stores the rest', async () => {
      const reply = await node.request('POST', '/identityv2/data/batchCreate', {
        token: acme.token,
        body: [record('88.118.8/nul-1', 'a\u0000b'), record('88.118.8/nul-2', 'fine'), record('88.118.8/nul-3', '\udc00'), { ...record('88.118.8/nul-4'), templateVersion: '1.0\u0000' }],
      });
      expect(reply.status).toBe(200);
      expect(reply.body.status).toBe(1);
      expect(reply.body.data[0]).toMatchObject({ handle: '88.118.8/nul-1', code: -2, msg: expect.stringMatching(/NUL character U\+0000/) });
      expect(reply.body.data[1]).toEqual(SUCCESS('88.118.8/nul-2'));
      expect(reply.body.data[2]).toMatchObject({ handle: '88.118.8/nul-3', code: -2, msg: expect.stringMatching(/unpaired UTF-16 surrogate U\+DC00/) });
      expect(reply.body.data[3]).toMatchObject({ handle: '88.118.8/nul-4', code: -2, msg: expect.stringMatching(/\/templateVersion contains the NUL character/) });
      const stored = await node.db.client.query(`SELECT handle FROM identifiers WHERE handle LIKE '88.118.8/nul-%' ORDER BY handle`);
      expect(stored.rows.map((r) => r.handle)).toEqual(['88.118.8/nul-2']);
    });

    it('reports an unknown template version per item', async () => {
      const reply = await node.request('POST', '/identityv2/data/batchCreate', {
        token: acme.token,
        body: [{ ...record('88.118.8/tv-1'), templateVersion: '7.7' }, record('88.118.8/tv-2')],
      });
      expect(reply.body.status).toBe(1);
      expect(reply.body.data[0]).toMatchObject({ handle: '88.118.8/tv-1', code: -2, msg: expect.stringMatching(/数据模板不存在.*7\.7/) });
      expect(reply.body.data[1]).toEqual(SUCCESS('88.118.8/tv-2'));
      expect(await storedRow('88.118.8/tv-1')).toBeUndefined();
    });
  });

  describe('batchUpdate', () => {
    beforeAll(async () => {
      const created = await node.request('POST', '/identityv2/data/batchCreate', {
        token: acme.token,
        body: [record('88.118.8/U1', 'u1'), record('88.118.8/U2', 'u2'), record('88.118.8/U3', 'u3')],
      });
      expect(created.body.data.map((r: { code: number }) => r.code)).toEqual([1, 1, 1]);
      const bolts = await node.request('POST', '/identityv2/data/batchCreate', { token: bolt.token, body: [record('88.118.9/V1', 'v1')] });
      expect(bolts.body.data[0].code).toBe(1);
    });

    it('updates existing items and reports missing, foreign and invalid ones per item', async () => {
      const reply = await node.request('PUT', '/identityv2/data/batchUpdate', {
        token: acme.token,
        body: [
          record('88.118.8/u1', 'u1 new', [{ index: 2001, type: 'url', data: { format: 'string', value: 'https://acme.example/u1' } }]),
          record('88.118.8/missing-1', 'nobody'),
          record('88.118.9/V1', 'stolen'),
          record('88.118.8/U2', 'u2 new', [{ index: 2001, type: 'wrong', data: { format: 'string', value: 'x' } }]),
          record('88.118.8/U3', 'u3 new'),
        ],
      });
      expect(reply.status).toBe(200);
      expect(reply.body.status).toBe(1);
      const data = reply.body.data;
      expect(data.map((r: { handle: string }) => r.handle)).toEqual(['88.118.8/u1', '88.118.8/missing-1', '88.118.9/V1', '88.118.8/U2', '88.118.8/U3']);
      expect(data[0]).toEqual(SUCCESS('88.118.8/u1'));
      expect(data[1]).toMatchObject({ code: -2, msg: expect.stringContaining('标识不存在') });
      expect(data[2]).toMatchObject({ code: -3, msg: expect.stringMatching(/another enterprise/) });
      expect(data[3]).toMatchObject({ code: -2, msg: expect.stringMatching(/has type "url" in the template, not "wrong"/) });
      expect(data[4]).toEqual(SUCCESS('88.118.8/U3'));

      const u1 = await storedRow('88.118.8/u1');
      expect(u1).toMatchObject({ handle: '88.118.8/U1', version: 2 });
      expect(u1.values.map((v: { index: number; data: { value: string } }) => [v.index, v.data.value])).toEqual([
        [1001, '1.0'],
        [2000, 'u1 new'],
        [2001, 'https://acme.example/u1'],
      ]);
      const u2 = await storedRow('88.118.8/u2');
      expect(u2.version).toBe(1);
      expect(u2.values[1].data.value).toBe('u2');
      expect((await storedRow('88.118.8/u3')).version).toBe(2);
      expect(await storedRow('88.118.8/missing-1')).toBeUndefined();
      const v1 = await storedRow('88.118.9/v1');
      expect(v1.version).toBe(1);
      expect(v1.values[1].data.value).toBe('v1');
    });

    it('refuses 2,001 items, an empty batch and a non-array body with 400, changing nothing', async () => {
      const items = Array.from({ length: 2001 }, () => record('88.118.8/U1', 'too many'));
      expectSnmsRefusal(await node.unchangedBy(() => node.request('PUT', '/identityv2/data/batchUpdate', { token: acme.token, body: items })), 400, -2, /2000/);
      expectSnmsRefusal(await node.unchangedBy(() => node.request('PUT', '/identityv2/data/batchUpdate', { token: acme.token, body: [] })), 400, -2, /empty/);
      expectSnmsRefusal(await node.unchangedBy(() => node.request('PUT', '/identityv2/data/batchUpdate', { token: acme.token, body: record('88.118.8/U1', 'x') })), 400, -2, /JSON array/);
      expectSnmsRefusal(await node.unchangedBy(() => node.request('PUT', '/identityv2/data/batchUpdate', { body: [record('88.118.8/U1', 'x')] })), 401, -1);
    });
  });

  describe('batchDelete', () => {
    beforeAll(async () => {
      const items = Array.from({ length: 10 }, (_, i) => record(`88.118.8/D${i}`));
      const created = await node.request('POST', '/identityv2/data/batchCreate', { token: acme.token, body: items });
      expect(created.body.data.every((r: { code: number }) => r.code === 1)).toBe(true);
      const bolts = await node.request('POST', '/identityv2/data/batchCreate', { token: bolt.token, body: [record('88.118.9/keep-me', 'bolt')] });
      expect(bolts.body.data[0].code).toBe(1);
    });

    it('takes a bare array of handles and answers {handle, code, msg} per item: 1 deleted, -2 missing, -3 foreign', async () => {
      const reply = await node.request('DELETE', '/identityv2/data/batchDelete', {
        token: acme.token,
        body: ['88.118.8/D0', '88.118.8/nope', '88.118.9/keep-me', 'not-a-handle', '88.118.8/d1', '88.118.8/D1', 7],
      });
      expect(reply.status).toBe(200);
      expect(reply.body.status).toBe(1);
      expect(reply.body.message).toBe('success');
      const data = reply.body.data;
      expect(data).toHaveLength(7);
      expect(data[0]).toEqual(SUCCESS('88.118.8/D0'));
      expect(data[1]).toMatchObject({ handle: '88.118.8/nope', code: -2, msg: expect.stringContaining('标识不存在') });
      expect(data[2]).toMatchObject({ handle: '88.118.9/keep-me', code: -3, msg: expect.stringMatching(/another enterprise/) });
      expect(data[3]).toMatchObject({ handle: 'not-a-handle', code: -2 });
      expect(data[4]).toEqual(SUCCESS('88.118.8/d1'));
      expect(data[5]).toMatchObject({ handle: '88.118.8/D1', code: -2 });
      expect(data[6]).toMatchObject({ handle: '', code: -2, msg: expect.stringMatching(/handle string/) });
      for (const row of data) expect(Object.keys(row)).toEqual(expect.arrayContaining(['handle', 'code', 'msg']));

      expect(await storedRow('88.118.8/d0')).toBeUndefined();
      expect(await storedRow('88.118.8/d1')).toBeUndefined();
      expect(await storedRow('88.118.8/d2')).toBeDefined();
      expect(await storedRow('88.118.9/keep-me')).toBeDefined();
    });

    it('takes {handles: [...]} too', async () => {
      const reply = await node.request('DELETE', '/identityv2/data/batchDelete', { token: acme.token, body: { handles: ['88.118.8/D2', '88.118.8/D3'] } });
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual({ status: 1, message: 'success', data: [SUCCESS('88.118.8/D2'), SUCCESS('88.118.8/D3')] });
      expect(await storedRow('88.118.8/d2')).toBeUndefined();
      expect(await storedRow('88.118.8/d3')).toBeUndefined();
    });

    it('refuses 2,001 handles whole with 400 and deletes nothing', async () => {
      const handles = [...Array.from({ length: 10 }, (_, i) => `88.118.8/D${i}`), ...Array.from({ length: 1991 }, (_, i) => `88.118.8/other-${i}`)];
      expect(handles).toHaveLength(2001);
      const before = await countUnder('88.118.8');
      expectSnmsRefusal(await node.unchangedBy(() => node.request('DELETE', '/identityv2/data/batchDelete', { token: acme.token, body: handles })), 400, -2, /2000/);
      expectSnmsRefusal(await node.unchangedBy(() => node.request('DELETE', '/identityv2/data/batchDelete', { token: acme.token, body: { handles } })), 400, -2, /2000/);
      expect(await countUnder('88.118.8')).toBe(before);
      expect(await storedRow('88.118.8/d4')).toBeDefined();
    });

    it('refuses an empty list, a non-array body and a wrapper with extra fields with 400', async () => {
      expectSnmsRefusal(await node.unchangedBy(() => node.request('DELETE', '/identityv2/data/batchDelete', { token: acme.token, body: [] })), 400, -2, /empty/);
      expectSnmsRefusal(await node.unchangedBy(() => node.request('DELETE', '/identityv2/data/batchDelete', { token: acme.token, body: { handles: [] } })), 400, -2, /empty/);
      expectSnmsRefusal(await node.unchangedBy(() => node.request('DELETE', '/identityv2/data/batchDelete', { token: acme.token, body: { handle: '88.118.8/D4' } })), 400, -2, /JSON array/);
      expectSnmsRefusal(
        await node.unchangedBy(() => node.request('DELETE', '/identityv2/data/batchDelete', { token: acme.token, body: { handles: ['88.118.8/D4'], force: true } })),
        400,
        -2,
        /JSON array/,
      );
      expectSnmsRefusal(await node.unchangedBy(() => node.request('DELETE', '/identityv2/data/batchDelete', { token: acme.token, rawBody: '["88.118.8/D4"' })), 400, -2, /not valid JSON/);
    });

    it('needs a token (401 status -1); the operator may delete under any prefix', async () => {
      expectSnmsRefusal(await node.unchangedBy(() => node.request('DELETE', '/identityv2/data/batchDelete', { body: ['88.118.8/D4'] })), 401, -1);
      const reply = await node.request('DELETE', '/identityv2/data/batchDelete', { token: operator, body: ['88.118.8/D4', '88.118.9/keep-me'] });
      expect(reply.body).toEqual({ status: 1, message: 'success', data: [SUCCESS('88.118.8/D4'), SUCCESS('88.118.9/keep-me')] });
      expect(await storedRow('88.118.8/d4')).toBeUndefined();
      expect(await storedRow('88.118.9/keep-me')).toBeUndefined();
    });
  });
});
