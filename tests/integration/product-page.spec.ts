import { type EnterpriseFixture, TestNode } from '../support/test-node';

/**
 * The proxy's ?noredirect page in a browser (what a phone shows after scanning a label): the public
 * values under the item names of the template version the identifier was registered with, the
 * enterprise, a link to the console's traceability page; escaped, no script, a phone viewport.
 * The redirect and the JSON reply stay as they were.
 */
describe('product page (GET /{prefix}/{suffix}?noredirect, HTML)', () => {
  let node: TestNode;
  let maker: EnterpriseFixture;
  const PREFIX = '88.118.40';
  const HTML = { accept: 'text/html,application/xhtml+xml' };

  beforeAll(async () => {
    node = await TestNode.start();
    maker = await node.approvedEnterprise(PREFIX, 'page-maker');
    const industry = { industryCategory: 'C', industrySpecific: '38', industryTrade: '384', industrySubclass: '3841', type: 1 };
    const template = await node.request('POST', '/snms/api/v5/template', {
      token: maker.token,
      body: {
        prefix: PREFIX,
        version: '1.0',
        ...industry,
        items: [
          { name: '产品名称', idType: 'name', required: true, metadata: { type: 'string', minLength: 1, maxLength: 100 } },
          { name: '型号 <i>model</i>', idType: 'model', metadata: { type: 'string', minLength: 0, maxLength: 100 } },
          { name: '出厂成本', idType: 'cost', metadata: { type: 'string', minLength: 0, maxLength: 100 } },
          { name: '说明书', idType: 'manual', metadata: { type: 'string', minLength: 0, maxLength: 255 } },
        ],
      },
    });
    expect(template.status).toBe(200);
    // A later version renames the first item: the record keeps the names of the version it was registered with.
    const v2 = await node.request('POST', '/snms/api/v5/template', {
      token: maker.token,
      body: { ...industry, prefix: PREFIX, version: '2.0', items: [{ name: '新名称', idType: 'name', required: true, metadata: { type: 'string', minLength: 1, maxLength: 100 } }] },
    });
    expect(v2.status).toBe(200);
    const value = (index: number, type: string, text: string) => ({ index, type, data: { format: 'string', value: text } });
    const created = await node.request('POST', '/identityv2/data', {
      token: maker.token,
      body: {
        handle: `${PREFIX}/PUMP-001`,
        templateVersion: '1.0',
        value: [value(2000, 'name', '离心泵 <script>alert("x")</script>'), value(2001, 'model', 'QJ-200 & "Pro"'), value(2002, 'cost', 'SECRET-COST-4210'), value(2003, 'manual', 'https://maker.example.cn/m/1')],
      },
    });
    expect(created.body.status).toBe(1);
    // The cost is the enterprise's own: admin read and write only, no public read.
    const restricted = await node.request('PUT', `/api/handles/${PREFIX}/PUMP-001?index=2002`, {
      token: maker.token,
      body: { values: [{ index: 2002, type: 'cost', data: { format: 'string', value: 'SECRET-COST-4210' }, permissions: '1100' }] },
    });
    expect(restricted.status).toBe(200);
  });

  afterAll(async () => {
    await node?.stop();
  });

  const page = (path: string, token?: string) => node.request('GET', path, { headers: HTML, token });

  it('names each public value by its template item and shows the enterprise, in Chinese with English, for a phone', async () => {
    const reply = await page(`/${PREFIX}/PUMP-001?noredirect`);
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toMatch(/^text\/html; charset=utf-8/);
    expect(reply.text).toContain('<html lang="zh-CN">');
    expect(reply.text).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(reply.text).toMatch(/<span class="name">产品名称<\/span> <span class="type">name<\/span><\/dt><dd>离心泵/);
    expect(reply.text).toContain('<span class="name">说明书</span>');
    expect(reply.text).toContain('<a href="https://maker.example.cn/m/1">');
    expect(reply.text).not.toContain('新名称');
    expect(reply.text).toContain('生产企业 <span lang="en">Enterprise</span></span> <strong>Org of page-maker</strong>');
    expect(reply.text).toContain('数据模板 <span lang="en">template</span> 1.0');
    expect(reply.text).toContain('<span lang="en">Product information</span>');
  });

  it('never shows a value without public read, and shows it to its owner', async () => {
    const anonymous = await page(`/${PREFIX}/PUMP-001?noredirect`);
    expect(anonymous.text).not.toContain('SECRET-COST-4210');
    expect(anonymous.text).not.toContain('出厂成本');
    const owner = await page(`/${PREFIX}/PUMP-001?noredirect`, maker.token);
    expect(owner.text).toContain('出厂成本');
    expect(owner.text).toContain('SECRET-COST-4210');
    // A caller asking for public values only gets the anonymous page.
    expect((await page(`/${PREFIX}/PUMP-001?noredirect&publicOnly=true`, maker.token)).text).not.toContain('SECRET-COST-4210');
  });

  it('escapes values and item names (no markup of theirs reaches the page)', async () => {
    const reply = await page(`/${PREFIX}/PUMP-001?noredirect`);
    expect(reply.text).toContain('离心泵 &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(reply.text).toContain('型号 &lt;i&gt;model&lt;/i&gt;');
    expect(reply.text).toContain('QJ-200 &amp; &quot;Pro&quot;');
    expect(reply.text).not.toMatch(/<script|<i>/i);
  });

  it('links to the console page of the product traceability', async () => {
    const reply = await page(`/${PREFIX}/PUMP-001?noredirect`);
    expect(reply.text).toContain(`<a class="button" href="/console/partner/trace/${PREFIX}/PUMP-001">查看追溯信息 / <span lang="en">View traceability</span></a>`);
  });

  it('renders under the node security headers: its inline style allowed, no script in it and none allowed inline', async () => {
    const reply = await page(`/${PREFIX}/PUMP-001?noredirect`);
    expect(reply.text).toContain('<style>');
    expect(reply.text).not.toContain('<script');
    const csp = reply.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/style-src 'self' 'unsafe-inline'/);
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(reply.headers.get('x-content-type-options')).toBe('nosniff');
    // Its validator is its own (names and the enterprise are on it), and it answers If-None-Match.
    const etag = reply.headers.get('etag') as string;
    expect(etag).toMatch(/^"p-/);
    expect((await node.request('GET', `/${PREFIX}/PUMP-001?noredirect`, { headers: { ...HTML, 'if-none-match': etag } })).status).toBe(304);
  });

  it('answers an unknown handle with a 404 page in both languages', async () => {
    const reply = await page(`/${PREFIX}/NO-SUCH?noredirect`);
    expect(reply.status).toBe(404);
    expect(reply.headers.get('content-type')).toMatch(/^text\/html/);
    expect(reply.text).toContain('未找到标识');
    expect(reply.text).toContain('<span lang="en">Handle not found</span>');
    expect(reply.text).toContain('name="viewport"');
    const prefix = await page('/88.118.49/X?noredirect');
    expect(prefix.status).toBe(404);
    expect(prefix.text).toContain('未找到前缀');
  });

  it('keeps the redirect and the JSON reply as they were', async () => {
    const put = await node.request('PUT', `/api/handles/${PREFIX}/linked-1`, { token: maker.token, body: [{ index: 1, type: 'URL', data: 'https://maker.example.cn/p/linked-1' }] });
    expect(put.status).toBeLessThan(300);
    const redirect = await node.request('GET', `/${PREFIX}/linked-1`, { headers: HTML });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toBe('https://maker.example.cn/p/linked-1');
    expect(redirect.headers.get('etag')).not.toMatch(/^"p-/);
    const json = await node.request('GET', `/${PREFIX}/PUMP-001?noredirect`, { headers: { accept: 'application/json' } });
    expect(json.headers.get('content-type')).toMatch(/^application\/json/);
    expect(json.body.responseCode).toBe(1);
    expect(json.body.values.map((v: { index: number }) => v.index)).toEqual([1001, 2000, 2001, 2003]);
    expect(json.text).not.toContain('产品名称');
  });

  it('shows a record without a template by its value types', async () => {
    const put = await node.request('PUT', `/api/handles/${PREFIX}/plain-1`, { token: maker.token, body: [{ index: 1, type: 'EMAIL', data: 'service@maker.example.cn' }] });
    expect(put.status).toBeLessThan(300);
    const reply = await page(`/${PREFIX}/plain-1?noredirect`);
    expect(reply.status).toBe(200);
    expect(reply.text).toContain('<dt><span class="name">EMAIL</span></dt><dd>service@maker.example.cn</dd>');
    expect(reply.text).not.toContain('数据模板');
  });
});
