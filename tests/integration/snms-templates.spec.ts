import { type EnterpriseFixture, expectSnmsRefusal, TestNode } from '../support/test-node';

/**
 * SNMS v5 data templates (/snms/api/v5/template, v3 alias): immutable versions, incremental items
 * that are disabled but never deleted, indexes from 2000, and the SNMS envelope on every refusal.
 */
describe('SNMS data templates', () => {
  let node: TestNode;
  let acme: EnterpriseFixture;
  let bolt: EnterpriseFixture;
  let operator: string;

  beforeAll(async () => {
    node = await TestNode.start();
    acme = await node.approvedEnterprise('88.118.8', 'acme');
    bolt = await node.approvedEnterprise('88.118.9', 'bolt');
    operator = await node.operatorToken();
  });
  afterAll(async () => {
    await node?.stop();
  });

  interface ItemInput {
    name: string;
    idType: string;
    idIndex?: number;
    required?: boolean;
    state?: 0 | 1;
    metadata: { type?: 'string'; minLength: number; maxLength: number };
  }

  function item(idType: string, extra: Partial<ItemInput> = {}): ItemInput {
    return { name: `名称-${idType}`, idType, required: false, metadata: { type: 'string', minLength: 0, maxLength: 255 }, ...extra };
  }

  function templateBody(version: string, items: ItemInput[], overrides: Record<string, unknown> = {}) {
    return {
      prefix: '88.118.8',
      version,
      industryCategory: 'C',
      industrySpecific: '38',
      industryTrade: '384',
      industrySubclass: '3841',
      type: 1,
      description: `模板 ${version}`,
      items,
      ...overrides,
    };
  }

  /** The items of a template as stored, by index. */
  async function storedItems(prefixKey: string, version: string) {
    const rows = await node.db.client.query(
      `SELECT i.id_index, i.name, i.id_type, i.required, i.state, i.value_type, i.min_length, i.max_length
         FROM template_items i JOIN data_templates t ON t.id = i.template_id
        WHERE t.prefix_key = $1 AND t.version = $2
        ORDER BY i.id_index`,
      [prefixKey, version],
    );
    return rows.rows;
  }

  async function templateCount(): Promise<number> {
    return Number((await node.db.client.query('SELECT count(*) AS n FROM data_templates')).rows[0].n);
  }



  describe('create', () => {
    it('assigns indexes from 2000 in order when items give none, and stores template and items', async () => {
      const reply = await node.request('POST', '/snms/api/v5/template', {
        token: acme.token,
        body: templateBody('auto-1', [
          item('name', { required: true, metadata: { type: 'string', minLength: 1, maxLength: 64 } }),
          item('url'),
          item('batch', { state: 0 }),
        ]),
      });
      expect(reply.status).toBe(200);
      expect(reply.body.status).toBe(1);
      expect(reply.body.message).toBe('success');
      expect(reply.body.data).toMatchObject({
        prefix: '88.118.8',
        version: 'auto-1',
        industryCategory: 'C',
        industrySpecific: '38',
        industryTrade: '384',
        industrySubclass: '3841',
        type: 1,
        description: '模板 auto-1',
        items: [
          { name: '名称-name', idType: 'name', idIndex: 2000, required: true, state: 1, metadata: { type: 'string', minLength: 1, maxLength: 64 } },
          { name: '名称-url', idType: 'url', idIndex: 2001, required: false, state: 1, metadata: { type: 'string', minLength: 0, maxLength: 255 } },
          { name: '名称-batch', idType: 'batch', idIndex: 2002, required: false, state: 0, metadata: { type: 'string', minLength: 0, maxLength: 255 } },
        ],
      });
      expect(reply.body.data.id).toMatch(/^[0-9a-f-]{36}$/);

      const template = await node.db.client.query(`SELECT * FROM data_templates WHERE prefix_key = '88.118.8' AND version = 'auto-1'`);
      expect(template.rows).toHaveLength(1);
      expect(template.rows[0]).toMatchObject({ id: reply.body.data.id, industry_category: 'C', industry_specific: '38', industry_trade: '384', industry_subclass: '3841', type: 1, description: '模板 auto-1' });
      expect(await storedItems('88.118.8', 'auto-1')).toEqual([
        { id_index: 2000, name: '名称-name', id_type: 'name', required: true, state: 1, value_type: 'string', min_length: 1, max_length: 64 },
        { id_index: 2001, name: '名称-url', id_type: 'url', required: false, state: 1, value_type: 'string', min_length: 0, max_length: 255 },
        { id_index: 2002, name: '名称-batch', id_type: 'batch', required: false, state: 0, value_type: 'string', min_length: 0, max_length: 255 },
      ]);
    });

    it('keeps explicit indexes (>= 2000) and numbers the other items around them', async () => {
      const reply = await node.request('POST', '/snms/api/v5/template', {
        token: acme.token,
        body: templateBody('explicit-1', [item('serial', { idIndex: 2005 }), item('model'), item('maker', { idIndex: 2000 }), item('color')]),
      });
      expect(reply.status).toBe(200);
      expect(reply.body.data.items.map((i: { idType: string; idIndex: number }) => [i.idType, i.idIndex])).toEqual([
        ['maker', 2000],
        ['model', 2001],
        ['color', 2002],
        ['serial', 2005],
      ]);
      expect((await storedItems('88.118.8', 'explicit-1')).map((r) => [r.id_type, r.id_index])).toEqual([
        ['maker', 2000],
        ['model', 2001],
        ['color', 2002],
        ['serial', 2005],
      ]);
    });

    it('lets the operator create a template under any active prefix', async () => {
      const reply = await node.request('POST', '/snms/api/v5/template', { token: operator, body: templateBody('by-operator', [item('name')], { prefix: '88.118.9' }) });
      expect(reply.status).toBe(200);
      expect(reply.body.data).toMatchObject({ prefix: '88.118.9', version: 'by-operator', items: [{ idType: 'name', idIndex: 2000 }] });
      expect(await storedItems('88.118.9', 'by-operator')).toHaveLength(1);
    });

    it('refuses an index below 2000 (1001 is the reserved TEMPLATE index)', async () => {
      for (const idIndex of [1001, 1999]) {
        const reply = await node.unchangedBy(() => node.request('POST', '/snms/api/v5/template', { token: acme.token, body: templateBody(`low-${idIndex}`, [item('name', { idIndex })]) }));
        expectSnmsRefusal(reply, 400, -2, /idIndex/);
      }
    });

    it('refuses a second POST of an existing version with 409 (versions are immutable)', async () => {
      await node.createTemplate(acme.token, '88.118.8', 'immutable-1', [{ idType: 'name' }]);
      const reply = await node.unchangedBy(() =>
        node.request('POST', '/snms/api/v5/template', { token: acme.token, body: templateBody('immutable-1', [item('name'), item('url')]) }),
      );
      expectSnmsRefusal(reply, 409, -2, /immutable-1.*already exists/);
      expect((await storedItems('88.118.8', 'immutable-1')).map((r) => r.id_type)).toEqual(['name']);
    });

    it('refuses duplicate idType and duplicate name with 400', async () => {
      const byType = await node.unchangedBy(() =>
        node.request('POST', '/snms/api/v5/template', { token: acme.token, body: templateBody('dup-type', [item('name'), { ...item('name'), name: 'other name' }]) }),
      );
      expectSnmsRefusal(byType, 400, -2, /idType "name" appears twice/);
      const byName = await node.unchangedBy(() =>
        node.request('POST', '/snms/api/v5/template', { token: acme.token, body: templateBody('dup-name', [item('a', { name: '同名' }), item('b', { name: '同名' })]) }),
      );
      expectSnmsRefusal(byName, 400, -2, /name "同名" appears twice/);
      const byIndex = await node.unchangedBy(() =>
        node.request('POST', '/snms/api/v5/template', { token: acme.token, body: templateBody('dup-index', [item('a', { idIndex: 2003 }), item('b', { idIndex: 2003 })]) }),
      );
      expectSnmsRefusal(byIndex, 400, -2, /2003/);
    });

    it('refuses minLength greater than maxLength with 400', async () => {
      const reply = await node.unchangedBy(() =>
        node.request('POST', '/snms/api/v5/template', {
          token: acme.token,
          body: templateBody('lengths', [item('name', { metadata: { type: 'string', minLength: 10, maxLength: 5 } })]),
        }),
      );
      expectSnmsRefusal(reply, 400, -2, /minLength is larger than maxLength/);
    });

    it('refuses industry codes that do not nest (GB/T 4754) with 400', async () => {
      const trade = await node.unchangedBy(() =>
        node.request('POST', '/snms/api/v5/template', { token: acme.token, body: templateBody('industry-1', [item('name')], { industryTrade: '391', industrySubclass: '3911' }) }),
      );
      expectSnmsRefusal(trade, 400, -2, /industry codes must nest/);
      const subclass = await node.unchangedBy(() =>
        node.request('POST', '/snms/api/v5/template', { token: acme.token, body: templateBody('industry-2', [item('name')], { industrySubclass: '3851' }) }),
      );
      expectSnmsRefusal(subclass, 400, -2, /industry codes must nest/);
      const section = await node.unchangedBy(() =>
        node.request('POST', '/snms/api/v5/template', { token: acme.token, body: templateBody('industry-4', [item('name')], { industryCategory: 'A' }) }),
      );
      expectSnmsRefusal(section, 400, -2, /industrySpecific 38 is not a division of section A \(expected 01 to 05\)/);
      const agriculture = await node.request('POST', '/snms/api/v5/template', {
        token: acme.token,
        body: templateBody('industry-ok', [item('name')], { industryCategory: 'A', industrySpecific: '01', industryTrade: '011', industrySubclass: '0111' }),
      });
      expect(agriculture.status).toBe(200);
      expect(agriculture.body.data).toMatchObject({ industryCategory: 'A', industrySpecific: '01', industryTrade: '011', industrySubclass: '0111' });
      const category = await node.unchangedBy(() =>
        node.request('POST', '/snms/api/v5/template', { token: acme.token, body: templateBody('industry-3', [item('name')], { industryCategory: 'CC' }) }),
      );
      expectSnmsRefusal(category, 400, -2, /industryCategory/);
    });

    it('refuses unknown fields at the top level, in an item and in its metadata with 400', async () => {
      const top = await node.unchangedBy(() => node.request('POST', '/snms/api/v5/template', { token: acme.token, body: { ...templateBody('unknown-1', [item('name')]), colour: 'red' } }));
      expectSnmsRefusal(top, 400, -2, /\/colour is not an allowed field/);
      const inItem = await node.unchangedBy(() =>
        node.request('POST', '/snms/api/v5/template', { token: acme.token, body: templateBody('unknown-2', [{ ...item('name'), unit: 'kg' } as ItemInput]) }),
      );
      expectSnmsRefusal(inItem, 400, -2, /\/items\/0\/unit is not an allowed field/);
      const inMetadata = await node.unchangedBy(() =>
        node.request('POST', '/snms/api/v5/template', {
          token: acme.token,
          body: templateBody('unknown-3', [item('name', { metadata: { type: 'string', minLength: 0, maxLength: 9, pattern: 'x' } as ItemInput['metadata'] })]),
        }),
      );
      expectSnmsRefusal(inMetadata, 400, -2, /metadata\/pattern is not an allowed field/);
    });

    it('refuses a missing required field, a wrong type and an empty item list with 400', async () => {
      const { version: _version, ...noVersion } = templateBody('x', [item('name')]);
      expectSnmsRefusal(await node.unchangedBy(() => node.request('POST', '/snms/api/v5/template', { token: acme.token, body: noVersion })), 400, -2, /\/version is required/);
      expectSnmsRefusal(
        await node.unchangedBy(() => node.request('POST', '/snms/api/v5/template', { token: acme.token, body: templateBody('type-3', [item('name')], { type: 3 }) })),
        400,
        -2,
        /\/type/,
      );
      expectSnmsRefusal(await node.unchangedBy(() => node.request('POST', '/snms/api/v5/template', { token: acme.token, body: templateBody('empty', []) })), 400, -2, /\/items/);
    });

    it('refuses text PostgreSQL cannot store (U+0000, unpaired surrogates) with 400 instead of failing', async () => {
      const cases: Array<[Record<string, unknown>, RegExp]> = [
        [templateBody('nul-description', [item('name')], { description: 'a\u0000b' }), /\/description/],
        [templateBody('surrogate-\ud800', [item('name')]), /\/version/],
        [templateBody('surrogate-name', [item('name', { name: 'bad \udfff' })]), /\/items\/0\/name/],
      ];
      for (const [body, message] of cases) {
        expectSnmsRefusal(await node.unchangedBy(() => node.request('POST', '/snms/api/v5/template', { token: acme.token, body })), 400, -2, message);
      }
      expectSnmsRefusal(await node.unchangedBy(() => node.request('GET', '/snms/api/v5/template?prefix=88.118.8&version=%00', { token: acme.token })), 400, -2, /control characters/);
      expectSnmsRefusal(await node.unchangedBy(() => node.request('DELETE', '/snms/api/v5/template', { token: acme.token, body: { prefix: '88.118.8', version: 'a\u0000' } })), 400, -2, /\/version/);
    });

    it('refuses a prefix that this node does not serve', async () => {
      const reply = await node.unchangedBy(() => node.request('POST', '/snms/api/v5/template', { token: operator, body: templateBody('nowhere', [item('name')], { prefix: '88.118.77' }) }));
      expectSnmsRefusal(reply, 404, -2, /88\.118\.77/);
    });
  });

  describe('read', () => {
    it('returns a template by prefix and version through v5 and the v3 alias', async () => {
      const created = await node.createTemplate(acme.token, '88.118.8', 'read-1', [{ idType: 'name', required: true, minLength: 2, maxLength: 30 }, { idType: 'url' }]);
      const v5 = await node.request('GET', '/snms/api/v5/template?prefix=88.118.8&version=read-1', { token: acme.token });
      expect(v5.status).toBe(200);
      expect(v5.body).toEqual({ status: 1, message: 'success', data: created });
      expect(v5.body.data.items).toEqual([
        { name: 'name-name', idType: 'name', idIndex: 2000, required: true, state: 1, metadata: { type: 'string', minLength: 2, maxLength: 30 } },
        { name: 'name-url', idType: 'url', idIndex: 2001, required: false, state: 1, metadata: { type: 'string', minLength: 0, maxLength: 255 } },
      ]);
      const v3 = await node.request('GET', '/snms/api/v3/template?prefix=88.118.8&version=read-1', { token: acme.token });
      expect(v3.status).toBe(200);
      expect(v3.body).toEqual(v5.body);
      const byOperator = await node.request('GET', '/snms/api/v5/template?prefix=88.118.8&version=read-1', { token: operator });
      expect(byOperator.status).toBe(200);
      expect(byOperator.body).toEqual(v5.body);
    });

    it('answers 404 status -2 for an unknown version and 400 for missing or repeated parameters', async () => {
      expectSnmsRefusal(await node.request('GET', '/snms/api/v5/template?prefix=88.118.8&version=nope', { token: acme.token }), 404, -2, /nope/);
      expectSnmsRefusal(await node.request('GET', '/snms/api/v5/template?prefix=88.118.8', { token: acme.token }), 400, -2, /prefix and version are required/);
      expectSnmsRefusal(await node.request('GET', '/snms/api/v5/template?version=read-1', { token: acme.token }), 400, -2, /prefix and version are required/);
      expectSnmsRefusal(await node.request('GET', '/snms/api/v5/template?prefix=88.118.8&version=a&version=b', { token: acme.token }), 400, -2, /only once/);
      expectSnmsRefusal(await node.request('GET', `/snms/api/v5/template?prefix=88.118.8&version=${'v'.repeat(129)}`, { token: acme.token }), 400, -2, /at most/);
    });

    it('POST and PUT work through the v3 alias too', async () => {
      const created = await node.request('POST', '/snms/api/v3/template', { token: acme.token, body: templateBody('v3-1', [item('name')]) });
      expect(created.status).toBe(200);
      expect(created.body.data.items).toEqual([expect.objectContaining({ idType: 'name', idIndex: 2000 })]);
      const updated = await node.request('PUT', '/snms/api/v3/template', { token: acme.token, body: templateBody('v3-1', [item('name'), item('url')]) });
      expect(updated.status).toBe(200);
      expect((await storedItems('88.118.8', 'v3-1')).map((r) => [r.id_type, r.id_index])).toEqual([
        ['name', 2000],
        ['url', 2001],
      ]);
    });
  });

  describe('update', () => {
    beforeAll(async () => {
      await node.createTemplate(acme.token, '88.118.8', 'put-1', [{ idType: 'name', required: true }, { idType: 'url' }, { idType: 'sku', idIndex: 2010 }]);
    });

    it('adds a new item and keeps the indexes of existing items, whatever their order in the body', async () => {
      const reply = await node.request('PUT', '/snms/api/v5/template', {
        token: acme.token,
        body: templateBody('put-1', [item('url', { name: 'name-url' }), item('color'), item('sku', { name: 'name-sku' }), item('name', { name: 'name-name', required: true })], {
          description: 'with color',
        }),
      });
      expect(reply.status).toBe(200);
      expect(reply.body.status).toBe(1);
      expect(reply.body.data.description).toBe('with color');
      expect(reply.body.data.items.map((i: { idType: string; idIndex: number }) => [i.idType, i.idIndex])).toEqual([
        ['name', 2000],
        ['url', 2001],
        ['color', 2002],
        ['sku', 2010],
      ]);
      expect((await storedItems('88.118.8', 'put-1')).map((r) => [r.id_type, r.id_index, r.name, r.required])).toEqual([
        ['name', 2000, 'name-name', true],
        ['url', 2001, 'name-url', false],
        ['color', 2002, '名称-color', false],
        ['sku', 2010, 'name-sku', false],
      ]);
      const stored = await node.db.client.query(`SELECT description FROM data_templates WHERE prefix_key = '88.118.8' AND version = 'put-1'`);
      expect(stored.rows[0].description).toBe('with color');
    });

    it('disables an item with state 0 (and keeps it)', async () => {
      const reply = await node.request('PUT', '/snms/api/v5/template', {
        token: acme.token,
        body: templateBody('put-1', [item('name', { name: 'name-name', required: true }), item('url', { name: 'name-url', state: 0 }), item('color'), item('sku', { name: 'name-sku' })]),
      });
      expect(reply.status).toBe(200);
      expect(reply.body.data.items.find((i: { idType: string }) => i.idType === 'url')).toMatchObject({ idIndex: 2001, state: 0 });
      expect((await storedItems('88.118.8', 'put-1')).map((r) => [r.id_type, r.state])).toEqual([
        ['name', 1],
        ['url', 0],
        ['color', 1],
        ['sku', 1],
      ]);
      const read = await node.request('GET', '/snms/api/v5/template?prefix=88.118.8&version=put-1', { token: acme.token });
      expect(read.body.data.items.map((i: { state: number }) => i.state)).toEqual([1, 0, 1, 1]);
    });

    it('keeps the state and required flag of an existing item when a PUT omits them, and re-enables with state 1', async () => {
      const bare = (idType: string) => ({ name: `name-${idType}`, idType, metadata: { minLength: 0, maxLength: 255 } });
      const reply = await node.request('PUT', '/snms/api/v5/template', { token: acme.token, body: templateBody('put-1', [bare('name'), bare('url'), bare('sku'), item('color')]) });
      expect(reply.status).toBe(200);
      expect((await storedItems('88.118.8', 'put-1')).map((r) => [r.id_type, r.state, r.required])).toEqual([
        ['name', 1, true],
        ['url', 0, false],
        ['color', 1, false],
        ['sku', 1, false],
      ]);
      const enabled = await node.request('PUT', '/snms/api/v5/template', {
        token: acme.token,
        body: templateBody('put-1', [bare('name'), { ...bare('url'), state: 1 }, bare('sku'), item('color')]),
      });
      expect(enabled.status).toBe(200);
      expect((await storedItems('88.118.8', 'put-1')).map((r) => r.state)).toEqual([1, 1, 1, 1]);
      const disabled = await node.request('PUT', '/snms/api/v5/template', {
        token: acme.token,
        body: templateBody('put-1', [bare('name'), { ...bare('url'), state: 0 }, bare('sku'), item('color')]),
      });
      expect(disabled.status).toBe(200);
      expect((await storedItems('88.118.8', 'put-1')).map((r) => r.state)).toEqual([1, 0, 1, 1]);
    });

    it('lets items swap names in one PUT (names stay unique)', async () => {
      await node.createTemplate(acme.token, '88.118.8', 'swap-1', [{ idType: 'a' }, { idType: 'b' }]);
      const reply = await node.request('PUT', '/snms/api/v5/template', {
        token: acme.token,
        body: templateBody('swap-1', [item('a', { name: 'name-b' }), item('b', { name: 'name-a' })]),
      });
      expect(reply.status).toBe(200);
      expect(reply.body.status).toBe(1);
      expect((await storedItems('88.118.8', 'swap-1')).map((r) => [r.id_type, r.id_index, r.name])).toEqual([
        ['a', 2000, 'name-b'],
        ['b', 2001, 'name-a'],
      ]);
    });

    it('refuses a PUT that omits an existing item (items are never deleted)', async () => {
      const reply = await node.unchangedBy(() =>
        node.request('PUT', '/snms/api/v5/template', {
          token: acme.token,
          body: templateBody('put-1', [item('name', { name: 'name-name', required: true }), item('color'), item('sku', { name: 'name-sku' })]),
        }),
      );
      expectSnmsRefusal(reply, 400, -2, /cannot be deleted.*url \(index 2001\)/);
    });

    it("refuses a PUT that changes an existing item's idIndex", async () => {
      const reply = await node.unchangedBy(() =>
        node.request('PUT', '/snms/api/v5/template', {
          token: acme.token,
          body: templateBody('put-1', [
            item('name', { name: 'name-name', required: true, idIndex: 2005 }),
            item('url', { name: 'name-url', state: 0 }),
            item('color'),
            item('sku', { name: 'name-sku' }),
          ]),
        }),
      );
      expectSnmsRefusal(reply, 400, -2, /index of item "name" is 2000 and cannot change/);
    });

    it("refuses a new item that takes an existing item's index", async () => {
      const reply = await node.unchangedBy(() =>
        node.request('PUT', '/snms/api/v5/template', {
          token: acme.token,
          body: templateBody('put-1', [
            item('name', { name: 'name-name', required: true }),
            item('url', { name: 'name-url', state: 0 }),
            item('color'),
            item('sku', { name: 'name-sku' }),
            item('weight', { idIndex: 2010 }),
          ]),
        }),
      );
      expectSnmsRefusal(reply, 400, -2, /index 2010 already belongs to another item/);
    });

    it('refuses duplicates, bad lengths, non-nesting industry codes and unknown fields on PUT too', async () => {
      const current = [item('name', { name: 'name-name', required: true }), item('url', { name: 'name-url', state: 0 }), item('color'), item('sku', { name: 'name-sku' })];
      const cases: Array<[unknown, RegExp]> = [
        [templateBody('put-1', [...current, item('color', { name: 'second color' })]), /idType "color" appears twice/],
        [templateBody('put-1', [...current, item('extra', { name: 'name-sku' })]), /name "name-sku" appears twice/],
        [templateBody('put-1', [...current, item('extra', { metadata: { type: 'string', minLength: 3, maxLength: 2 } })]), /minLength is larger than maxLength/],
        [templateBody('put-1', current, { industryTrade: '391', industrySubclass: '3911' }), /industry codes must nest/],
        [{ ...templateBody('put-1', current), extra: true }, /\/extra is not an allowed field/],
      ];
      for (const [body, message] of cases) {
        expectSnmsRefusal(await node.unchangedBy(() => node.request('PUT', '/snms/api/v5/template', { token: acme.token, body })), 400, -2, message);
      }
    });

    it('answers 404 for a PUT of a version that does not exist', async () => {
      const reply = await node.unchangedBy(() => node.request('PUT', '/snms/api/v5/template', { token: acme.token, body: templateBody('never-created', [item('name')]) }));
      expectSnmsRefusal(reply, 404, -2, /never-created/);
    });
  });

  describe('delete', () => {
    it('refuses to delete a template used by an identifier (409) and deletes an unused one (200)', async () => {
      await node.createTemplate(acme.token, '88.118.8', 'used-1', [{ idType: 'name' }]);
      await node.createTemplate(acme.token, '88.118.8', 'unused-1', [{ idType: 'name' }, { idType: 'url' }]);
      const registered = await node.request('POST', '/identityv2/data', {
        token: acme.token,
        body: { handle: '88.118.8/uses-template', templateVersion: 'used-1', value: [{ index: 2000, type: 'name', data: { format: 'string', value: 'x' } }] },
      });
      expect(registered.body).toEqual({ status: 1, message: 'success', data: true });

      const inUse = await node.unchangedBy(() => node.request('DELETE', '/snms/api/v5/template', { token: acme.token, body: { prefix: '88.118.8', version: 'used-1' } }));
      expectSnmsRefusal(inUse, 409, -2, /used-1.*used by registered identifiers/);

      const before = await templateCount();
      const deleted = await node.request('DELETE', '/snms/api/v5/template', { token: acme.token, body: { prefix: '88.118.8', version: 'unused-1' } });
      expect(deleted.status).toBe(200);
      expect(deleted.body).toEqual({ status: 1, message: 'success', data: true });
      expect(await templateCount()).toBe(before - 1);
      expect(await storedItems('88.118.8', 'unused-1')).toEqual([]);
      const orphans = await node.db.client.query('SELECT count(*) AS n FROM template_items i LEFT JOIN data_templates t ON t.id = i.template_id WHERE t.id IS NULL');
      expect(Number(orphans.rows[0].n)).toBe(0);

      const again = await node.unchangedBy(() => node.request('DELETE', '/snms/api/v5/template', { token: acme.token, body: { prefix: '88.118.8', version: 'unused-1' } }));
      expectSnmsRefusal(again, 404, -2, /unused-1/);
    });

    it('a deleted version can be created again', async () => {
      await node.createTemplate(acme.token, '88.118.8', 'recycled', [{ idType: 'name' }]);
      const deleted = await node.request('DELETE', '/snms/api/v5/template', { token: acme.token, body: { prefix: '88.118.8', version: 'recycled' } });
      expect(deleted.body.status).toBe(1);
      const recreated = await node.request('POST', '/snms/api/v5/template', { token: acme.token, body: templateBody('recycled', [item('title')]) });
      expect(recreated.status).toBe(200);
      expect((await storedItems('88.118.8', 'recycled')).map((r) => r.id_type)).toEqual(['title']);
    });

    it('refuses a delete body with unknown or missing fields', async () => {
      expectSnmsRefusal(
        await node.unchangedBy(() => node.request('DELETE', '/snms/api/v5/template', { token: acme.token, body: { prefix: '88.118.8', version: 'read-1', force: true } })),
        400,
        -2,
        /\/force is not an allowed field/,
      );
      expectSnmsRefusal(await node.unchangedBy(() => node.request('DELETE', '/snms/api/v5/template', { token: acme.token, body: { prefix: '88.118.8' } })), 400, -2, /\/version is required/);
    });
  });

  describe('access', () => {
    beforeAll(async () => {
      await node.createTemplate(acme.token, '88.118.8', 'private-1', [{ idType: 'name' }]);
    });

    it("refuses another enterprise's prefix with HTTP 403 status -3 on every method", async () => {
      expectSnmsRefusal(await node.unchangedBy(() => node.request('GET', '/snms/api/v5/template?prefix=88.118.8&version=private-1', { token: bolt.token })), 403, -3, /another enterprise/);
      expectSnmsRefusal(await node.unchangedBy(() => node.request('POST', '/snms/api/v5/template', { token: bolt.token, body: templateBody('bolt-into-acme', [item('name')]) })), 403, -3, /another enterprise/);
      expectSnmsRefusal(await node.unchangedBy(() => node.request('PUT', '/snms/api/v5/template', { token: bolt.token, body: templateBody('private-1', [item('name', { name: 'name-name' }), item('x')]) })), 403, -3);
      expectSnmsRefusal(await node.unchangedBy(() => node.request('DELETE', '/snms/api/v5/template', { token: bolt.token, body: { prefix: '88.118.8', version: 'private-1' } })), 403, -3);
      expect((await storedItems('88.118.8', 'private-1')).map((r) => r.id_type)).toEqual(['name']);
    });

    it('refuses requests without a token with HTTP 401 status -1, and a bad token too', async () => {
      expectSnmsRefusal(await node.unchangedBy(() => node.request('GET', '/snms/api/v5/template?prefix=88.118.8&version=private-1')), 401, -1);
      expectSnmsRefusal(await node.unchangedBy(() => node.request('POST', '/snms/api/v5/template', { body: templateBody('anon', [item('name')]) })), 401, -1);
      expectSnmsRefusal(await node.unchangedBy(() => node.request('PUT', '/snms/api/v5/template', { body: templateBody('private-1', [item('name', { name: 'name-name' })]) })), 401, -1);
      expectSnmsRefusal(await node.unchangedBy(() => node.request('DELETE', '/snms/api/v5/template', { body: { prefix: '88.118.8', version: 'private-1' } })), 401, -1);
      expectSnmsRefusal(await node.unchangedBy(() => node.request('DELETE', '/snms/api/v3/template', { body: { prefix: '88.118.8', version: 'private-1' } })), 401, -1);
      expectSnmsRefusal(await node.unchangedBy(() => node.request('POST', '/snms/api/v5/template', { token: 'not-a-token', body: templateBody('forged', [item('name')]) })), 401, -1);
    });

    it('refuses malformed JSON with HTTP 400 status -2', async () => {
      const reply = await node.unchangedBy(() => node.request('POST', '/snms/api/v5/template', { token: acme.token, rawBody: '{"prefix": "88.118.8", "version": ' }));
      expectSnmsRefusal(reply, 400, -2);
      const notObject = await node.unchangedBy(() => node.request('POST', '/snms/api/v5/template', { token: acme.token, body: [templateBody('in-array', [item('name')])] }));
      expectSnmsRefusal(notObject, 400, -2, /template is invalid/);
    });
  });
});
