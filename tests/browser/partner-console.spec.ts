import { aggregationEvent, at, epcisDocument, objectEvent, transformationEvent } from '../support/epcis-seed';
import { ConsoleBrowser, ConsoleNode } from './support/console-browser';

const MAKER = '88.118.70';
const SUPPLIER = '88.118.71';
const PRODUCT = `${MAKER}/PUMP-7`;
const PARTNER_PASSWORD = 'partner-pass-1';

/**
 * The partner's console and the product page in a real browser against a real node: an enterprise
 * captures EPCIS events through the API and grants partner A; partner A opens the product's trace
 * (timeline and genealogy graph) and its grants; partner B, without a grant, reads a clear refusal;
 * the product page a QR label leads to is readable on a phone and leads to sign-in and the trace.
 * Every page is screenshot and checked with axe-core.
 */
describe('partner console in a browser', () => {
  let node: ConsoleNode;

  beforeAll(async () => {
    node = await ConsoleNode.start('partner_console');
    const maker = await node.approvedEnterprise(MAKER, 'pc-maker', '黄石水泵有限公司');
    const supplier = await node.approvedEnterprise(SUPPLIER, 'pc-supplier', '大冶特钢');
    await node.partner('pc-partner-a');
    await node.partner('pc-partner-b');

    const template = await node.call('POST', '/snms/api/v5/template', maker.token, {
      prefix: MAKER,
      version: '1.0',
      industryCategory: 'C',
      industrySpecific: '34',
      industryTrade: '344',
      industrySubclass: '3441',
      type: 1,
      items: [
        { name: '产品名称', idType: 'name', required: true, metadata: { type: 'string', minLength: 1, maxLength: 100 } },
        { name: '型号', idType: 'model', metadata: { type: 'string', minLength: 0, maxLength: 100 } },
        { name: '生产日期', idType: 'madeOn', metadata: { type: 'string', minLength: 0, maxLength: 100 } },
      ],
    });
    expect(template.status).toBe(200);
    const value = (index: number, type: string, text: string) => ({ index, type, data: { format: 'string', value: text } });
    const record = await node.call('POST', '/identityv2/data', maker.token, {
      handle: PRODUCT,
      templateVersion: '1.0',
      value: [value(2000, 'name', '离心泵 <b>QJ</b>'), value(2001, 'model', 'QJ-200'), value(2002, 'madeOn', '2025-01-15')],
    });
    expect(record.body.status).toBe(1);

    const capture = async (token: string, events: Record<string, unknown>[]) => {
      const reply = await node.call('POST', '/epcis/capture', token, epcisDocument(events));
      expect({ status: reply.status, job: reply.body?.status }).toEqual({ status: 202, job: 'succeeded' });
    };
    await capture(supplier.token, [objectEvent({ time: at(0), epcs: [`hdl:${SUPPLIER}/STEEL-LOT7`], action: 'ADD', bizStep: 'commissioning', bizLocation: `hdl:${SUPPLIER}/mill` })]);
    await capture(maker.token, [
      objectEvent({ time: at(60), epcs: [`hdl:${SUPPLIER}/STEEL-LOT7`], bizStep: 'receiving', readPoint: `hdl:${MAKER}/gate-2`, bizLocation: `hdl:${MAKER}/plant` }),
      transformationEvent({ time: at(70), inputs: [`hdl:${SUPPLIER}/STEEL-LOT7`], outputs: [`hdl:${PRODUCT}`], bizStep: 'assembling', bizLocation: `hdl:${MAKER}/plant` }),
      aggregationEvent({ time: at(80), parent: `hdl:${MAKER}/PALLET-1`, children: [`hdl:${PRODUCT}`], bizStep: 'packing', bizLocation: `hdl:${MAKER}/plant` }),
      objectEvent({ time: at(90), epcs: [`hdl:${PRODUCT}`], bizStep: 'shipping', disposition: 'in_transit', readPoint: `hdl:${MAKER}/dock-1`, bizLocation: `hdl:${MAKER}/plant` }),
    ]);
    const granted = await node.call('POST', `/api/v1/enterprises/${maker.enterpriseId}/grants`, maker.token, { granteeUsername: 'pc-partner-a' });
    expect(granted.status).toBe(201);
  }, 180_000);

  afterAll(async () => {
    await node?.stop();
  });

  it('shows partner A the timeline and the genealogy of a granted product, and its grants, in both languages', async () => {
    const browser = await ConsoleBrowser.launch('partner');
    try {
      const { page } = browser;
      await browser.signIn(node.base, 'pc-partner-a', PARTNER_PASSWORD, /\/console\/partner\/trace$/);
      await browser.expectText('输入或粘贴产品标识');
      await browser.check('trace-home');

      // A wrong entry is named before anything is asked of the node.
      await page.locator('[data-test=handle]').fill('PUMP-7');
      await page.locator('[data-test=trace]').click();
      await browser.expectText('这不是一个标识');

      // Pasting the URL a QR label carries works as well as the handle.
      await page.locator('[data-test=handle]').fill(`${node.base}/${PRODUCT}?noredirect`);
      await page.locator('[data-test=trace]').click();
      await page.waitForURL(new RegExp(`/console/partner/trace/${PRODUCT.replace(/\./g, '\\.')}$`));
      await page.locator('[data-test=timeline] .el-timeline-item').nth(2).waitFor({ timeout: 15_000 });
      const steps = await page.locator('[data-test=timeline] .event-head strong').allTextContents();
      expect(steps).toEqual(['assembling', 'packing', 'shipping']);
      await browser.expectText('in_transit');
      await browser.expectText(`hdl:${MAKER}/dock-1`);
      await page.locator('[data-test=genealogy] [data-drawn=true]').waitFor({ timeout: 15_000 });
      expect(await page.locator('[data-test=genealogy] canvas').count()).toBeGreaterThan(0);
      const relations = await page.locator('[data-test=relations] tbody tr').allTextContents();
      expect(relations).toHaveLength(1);
      expect(relations[0]).toContain(`${SUPPLIER}/STEEL-LOT7`);
      expect(relations[0]).toContain('投入生产');
      // The pointer left on the button would judge its hover colour, not the page's.
      await page.mouse.move(1, 1);
      await browser.check('trace');

      // Forward: the pallet that contains it.
      await page.locator('[data-test=direction] label').nth(1).click();
      await page.locator('[data-test=trace]').click();
      await page.locator('[data-test=relations] tbody tr').filter({ hasText: `${MAKER}/PALLET-1` }).waitFor({ timeout: 15_000 });
      await page.locator('[data-test=genealogy] [data-drawn=true]').waitFor({ timeout: 15_000 });
      await page.mouse.move(1, 1);
      await browser.check('trace-forward');

      await page.locator('[data-test=language]').click();
      await browser.expectText('Timeline');
      await browser.expectText('Genealogy');
      expect(await page.evaluate('document.documentElement.lang')).toBe('en');
      await browser.check('trace-en');

      await page.locator('[data-test="menu-/partner/grants"]').click();
      await page.waitForURL(/\/console\/partner\/grants$/);
      await browser.expectText('黄石水泵有限公司');
      await browser.expectText(MAKER);
      expect(await page.getByText('大冶特钢').count()).toBe(0);
      await browser.check('grants-en');
      await page.locator('[data-test=language]').click();
      await browser.expectText('我的授权');
      await browser.check('grants');
      expect(browser.errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 180_000);

  it('tells partner B, who holds no grant, why the trace is refused', async () => {
    const browser = await ConsoleBrowser.launch('partner-b');
    try {
      await browser.signIn(node.base, 'pc-partner-b', PARTNER_PASSWORD, /\/console\/partner\/trace$/);
      await browser.page.goto(`${node.base}/console/partner/trace/${PRODUCT}`);
      await browser.page.locator('[data-test=refusal]').waitFor({ timeout: 15_000 });
      const text = await browser.page.locator('[data-test=refusal]').innerText();
      expect(text).toContain('尚未向您的账号授权');
      expect(text).not.toMatch(/[{}]|"code"|FORBIDDEN/);
      expect(await browser.page.locator('[data-test=timeline]').count()).toBe(0);
      await browser.check('refusal');
      await browser.page.locator('[data-test="menu-/partner/grants"]').click();
      await browser.expectText('还没有企业向您授权');
      await browser.check('grants-empty');
      // The only failed request is the refused trace itself.
      expect(browser.failedRequests).toEqual([`403 GET /api/v1/trace/${PRODUCT}`]);
      expect(browser.errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 120_000);

  it('shows the product page on a phone, and its link leads a partner through sign-in to the trace', async () => {
    const browser = await ConsoleBrowser.launch('product', { viewport: { width: 375, height: 812 }, isMobile: true });
    try {
      const { page } = browser;
      await page.goto(`${node.base}/${PRODUCT}?noredirect`);
      await browser.expectText('产品名称');
      await browser.expectText('离心泵 <b>QJ</b>');
      await browser.expectText('黄石水泵有限公司');
      expect(await page.evaluate('document.documentElement.lang')).toBe('zh-CN');
      // Nothing wider than the phone: no sideways scrolling.
      expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);
      await browser.check('product-page');

      await page.getByRole('link', { name: /查看追溯信息/ }).click();
      await page.waitForURL(/\/console\/sign-in\?next=/);
      await page.locator('[data-test=username]').fill('pc-partner-a');
      await page.locator('[data-test=password]').fill(PARTNER_PASSWORD);
      await page.locator('[data-test=sign-in]').click();
      await page.waitForURL(new RegExp(`/console/partner/trace/${PRODUCT.replace(/\./g, '\\.')}$`));
      await page.locator('[data-test=timeline] .el-timeline-item').first().waitFor({ timeout: 15_000 });
      await page.locator('[data-test=genealogy] [data-drawn=true]').waitFor({ timeout: 15_000 });
      await browser.check('trace-phone');

      await page.goto(`${node.base}/${MAKER}/NO-SUCH?noredirect`);
      await browser.expectText('未找到标识');
      await browser.check('product-not-found');
      expect(browser.errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 120_000);
});
