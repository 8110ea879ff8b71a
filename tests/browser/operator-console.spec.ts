import { readFileSync } from 'node:fs';
import type { Download, Page } from 'playwright-core';
import { applicationBody } from '../support/test-node';
import { ConsoleBrowser, ConsoleNode, ENTERPRISE_PASSWORD, OPERATOR_PASSWORD } from './support/console-browser';

/**
 * The operator's console in a real browser against a real node: after a known number of
 * resolutions the overview's cards and charts say what the stats API says (and follow new
 * resolutions without a page reload), an application is approved and another rejected with a
 * reason, the enterprises, node, ingestion and report pages render with their data, CSV exports
 * hold the rows, the outbox retry works, and the language toggle switches every label. Every page
 * is screenshotted and checked by axe-core.
 */
const PREFIX = '88.118.71';
const APPROVE = '88.118.72';
const REJECT = '88.118.73';
const SUFFIXES = ['op-1', 'op-2', 'op-3'];
/** Resolutions before the browser opens: 5 of each identifier, and 2 of a missing one. */
const FOUND = 15;
const MISSING = 2;
const RESOLVED = FOUND + MISSING;

describe('operator console in a browser', () => {
  let node: ConsoleNode;
  let browser: ConsoleBrowser;
  let page: Page;
  let enterpriseId: string;
  const applicationIds: Record<string, string> = {};

  beforeAll(async () => {
    node = await ConsoleNode.start('console_operator', { STATS_FLUSH_INTERVAL_MS: '500' });
    const acme = await node.approvedEnterprise(PREFIX, 'op-acme', '武汉测试装备有限公司');
    enterpriseId = acme.enterpriseId;
    for (const suffix of SUFFIXES) {
      const put = await node.call('PUT', `/api/handles/${PREFIX}/${suffix}`, acme.token, [{ index: 1, type: 'URL', data: `https://acme.example.cn/${suffix}` }]);
      expect(put.status).toBe(200);
    }
    for (let round = 0; round < 5; round += 1) {
      for (const suffix of SUFFIXES) expect((await node.call('GET', `/api/handles/${PREFIX}/${suffix}`)).status).toBe(200);
    }
    for (let i = 0; i < MISSING; i += 1) expect((await node.call('GET', `/api/handles/${PREFIX}/no-such-item`)).status).toBe(404);
    for (const [prefix, username] of [[APPROVE, 'op-to-approve'], [REJECT, 'op-to-reject']]) {
      const applied = await node.call('POST', '/api/v1/enterprises/applications', undefined, { ...applicationBody(prefix, username, ENTERPRISE_PASSWORD), orgName: `${username} 有限公司` });
      expect(applied.status).toBe(201);
      applicationIds[prefix] = applied.body.id;
    }
    // A filing the top level refused three times (this node is unlinked, so its worker leaves it as written).
    await node.db.client.query(
      `INSERT INTO upstream_outbox (kind, payload, client_transaction_id, status, attempts, last_error, next_attempt_at) VALUES ('filing-create', $1, 'ctx-failed-1', 'failed', 3, 'UNAVAILABLE: top level down', '2030-01-01T00:00:00Z')`,
      [JSON.stringify({ prefix: '88.118.79', enterprise: { orgName: 'x', creditCode: '91110108000000000X', contactName: 'Z', contactPhone: '+86 1', contactEmail: 'x@example.cn' } })],
    );
    // A refused MQTT message, as the consumer records one (ingestion itself is off in this node).
    await node.db.client.query(
      `INSERT INTO epcis_rejects (enterprise_prefix, source, topic, reason, problems, payload) VALUES ($1, 'mqtt', $2, 'invalid_payload', $3, '{"type":"ObjectEvent","bad":true}')`,
      [PREFIX, `epcis/${PREFIX}/events`, JSON.stringify([{ path: '/eventTime', message: 'is required' }])],
    );
    browser = await ConsoleBrowser.launch('operator');
    page = browser.page;
  }, 180_000);

  // Each page leaves no script error behind (a CSP refusal, an exception in a chart).
  afterEach(() => {
    expect(browser.errors).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await node?.stop();
  });

  const stats = async (path: string) => {
    const reply = await node.call('GET', path, node.operator);
    expect(reply.status).toBe(200);
    return reply.body;
  };
  const card = (key: string) => page.locator(`[data-test=card-${key}] [data-test=card-value]`);
  const cardRaw = async (key: string) => card(key).getAttribute('data-raw');

  /** No message key shows as such (an untranslated label reads "operator.…"). */
  async function expectTranslated(): Promise<void> {
    const text = await page.locator('body').innerText();
    expect(text.match(/\b(operator|app|roles)\.[a-zA-Z]+/g) ?? []).toEqual([]);
  }

  async function downloaded(click: () => Promise<void>): Promise<{ name: string; bytes: Buffer }> {
    const [download] = (await Promise.all([page.waitForEvent('download', { timeout: 20_000 }), click()])) as [Download, void];
    const path = await download.path();
    return { name: download.suggestedFilename(), bytes: readFileSync(path) };
  }

  it('signs the operator in to the overview, whose cards and charts equal the stats API and follow new resolutions without a reload', async () => {
    await browser.signIn(node.base, 'operator', OPERATOR_PASSWORD, /\/console\/operator\/overview$/);
    await page.locator('[data-test=card-resolutionsToday] [data-test=card-value]').waitFor();
    await page.locator('[data-test=trend-chart] canvas').waitFor({ timeout: 20_000 });
    await page.locator('[data-test=top-chart] [data-drawn=true]').waitFor({ timeout: 20_000 });
    await page.locator('[data-test=doors-chart] [data-drawn=true]').waitFor({ timeout: 20_000 });

    const overview = await stats('/api/v1/stats/overview');
    expect(overview.resolutions).toMatchObject({ today: RESOLVED, cumulative: RESOLVED });
    expect(overview.registrations).toMatchObject({ today: SUFFIXES.length, cumulative: SUFFIXES.length });
    expect(await cardRaw('resolutionsToday')).toBe(String(overview.resolutions.today));
    expect(await card('resolutionsToday').innerText()).toBe(String(RESOLVED));
    expect(await cardRaw('resolutionsCumulative')).toBe(String(overview.resolutions.cumulative));
    expect(await cardRaw('registrationsToday')).toBe(String(overview.registrations.today));
    expect(await cardRaw('registrationsCumulative')).toBe(String(overview.registrations.cumulative));
    expect(await cardRaw('notFoundShare')).toBe(String(overview.outcomeSharesToday.notFound));
    expect(await cardRaw('cacheHitRatio')).toBe(String(overview.cacheHitRatioToday));
    expect(await card('enterprises').innerText()).toBe(`${overview.enterprises.connected} / 100`);
    expect(overview.enterprises.connected).toBe(1);
    expect(await card('p99').innerText()).toMatch(/^\d+(\.\d+)? ms$/);

    // Charts: the 24 h trend sums every resolution, the top prefix and the Handle REST door hold them all.
    const day = await stats('/api/v1/stats/resolutions?step=1h');
    expect(day.totals.total).toBe(RESOLVED);
    expect(await page.locator('[data-test=trend-chart]').getAttribute('aria-label')).toContain(`共解析 ${RESOLVED} 次，注册 ${SUFFIXES.length} 个`);
    const top = await stats('/api/v1/stats/top-prefixes?limit=10');
    expect(top.items).toEqual([expect.objectContaining({ rank: 1, prefix: PREFIX, resolutions: RESOLVED })]);
    expect(await page.locator('[data-test=top-chart]').getAttribute('aria-label')).toContain(`${PREFIX} ${RESOLVED}`);
    expect(await page.locator('[data-test=doors-chart]').getAttribute('aria-label')).toContain(`Handle REST ${RESOLVED}`);
    await expectTranslated();
    await browser.check('overview');

    // New resolutions show within a refresh or two, on the same page (no navigation, no reload).
    await page.evaluate(() => ((globalThis as Record<string, unknown>).__sameDocument = true));
    for (let i = 0; i < 4; i += 1) expect((await node.call('GET', `/api/handles/${PREFIX}/op-1`)).status).toBe(200);
    await page.locator(`[data-test=card-resolutionsToday] [data-test=card-value][data-raw="${RESOLVED + 4}"]`).waitFor({ timeout: 15_000 });
    expect(await page.evaluate(() => (globalThis as Record<string, unknown>).__sameDocument)).toBe(true);
    expect((await stats('/api/v1/stats/overview')).resolutions.today).toBe(RESOLVED + 4);

    for (const range of ['7d', '30d']) {
      await page.locator(`[data-test=range-${range}]`).click();
      await page.locator('[data-test=trend-chart] [data-drawn=true]').waitFor({ timeout: 20_000 });
      expect(await page.locator('[data-test=trend-chart]').getAttribute('aria-label')).toContain(`共解析 ${RESOLVED + 4} 次`);
    }
    await browser.check('overview-30d');
  }, 120_000);

  it('approves one application and rejects another with a reason', async () => {
    await page.locator('[data-test="menu-/operator/applications"]').click();
    await page.waitForURL(/\/operator\/applications$/);
    await page.locator(`[data-test="approve-${APPROVE}"]`).waitFor();
    await expectTranslated();
    await browser.check('applications');

    await page.locator(`[data-test="approve-${APPROVE}"]`).click();
    await page.locator('.el-message-box').getByRole('button', { name: '通过' }).click();
    await page.locator('.el-message').getByText('op-to-approve 有限公司：已通过').waitFor();
    await page.locator(`[data-test="approve-${APPROVE}"]`).waitFor({ state: 'detached' });
    const approved = await node.call('GET', `/api/v1/enterprises/applications/${applicationIds[APPROVE]}`, node.operator);
    expect(approved.body).toMatchObject({ status: 'active', reviewedBy: 'operator' });

    await page.locator(`[data-test="reject-${REJECT}"]`).click();
    const dialog = page.locator('.el-dialog');
    await dialog.waitFor();
    await page.locator('[data-test=reason-submit]').click();
    await browser.expectText('请填写原因。');
    await browser.check('reject-dialog');
    const reason = '营业执照副本不清晰，请重新上传。\nLicence copy unreadable.';
    await page.locator('[data-test=reason]').fill(reason);
    await page.locator('[data-test=reason-submit]').click();
    await page.locator('.el-message').getByText('op-to-reject 有限公司：已驳回。').waitFor();
    const rejected = await node.call('GET', `/api/v1/enterprises/applications/${applicationIds[REJECT]}`, node.operator);
    expect(rejected.body).toMatchObject({ status: 'rejected', reviewReason: reason });

    // The rejected ones, and their CSV: the filter the table shows is the filter the file holds.
    await page.locator('[data-test=status]').click();
    await page.getByRole('option', { name: '已驳回' }).click();
    await page.locator('[data-test=applications-table]').getByText('op-to-reject 有限公司').waitFor();
    await page.locator('[data-test=review-reason]').first().waitFor();
    expect(await page.locator('[data-test=review-reason]').first().innerText()).toContain('营业执照副本不清晰');
    const csv = await downloaded(() => page.locator('[data-test=export-csv]').click());
    expect(csv.name).toBe('applications.csv');
    const lines = csv.bytes.toString('utf8').replace(/^\uFEFF/, '').trim().split(/\r?\n/);
    expect(lines[0]).toMatch(/^id,status,orgName,/);
    expect(csv.bytes.toString('utf8')).toContain('op-to-reject 有限公司');
    expect(csv.bytes.toString('utf8')).not.toContain('op-to-approve');
    expect(lines.filter((line) => line.includes(',rejected,'))).toHaveLength(1);
  }, 90_000);

  it('lists the enterprises (with CSV) and shows one with its prefixes, identifiers and volumes', async () => {
    await page.locator('[data-test="menu-/operator/enterprises"]').click();
    await page.locator('[data-test="enterprise-武汉测试装备有限公司"]').waitFor();
    await page.locator('[data-test=enterprises-table]').getByText('op-to-approve 有限公司').waitFor();
    await expectTranslated();
    await browser.check('enterprises');
    const csv = await downloaded(() => page.locator('[data-test=export-csv]').click());
    const text = csv.bytes.toString('utf8');
    expect(text.split(/\r?\n/)[0].replace(/^\uFEFF/, '')).toBe('id,organisation,creditCode,status,prefixes,identifiers,contactName,contactPhone,contactEmail,createdAt');
    expect(text).toContain(`${enterpriseId},武汉测试装备有限公司`);
    expect(text).toContain('op-to-approve 有限公司');

    await page.locator('[data-test="enterprise-武汉测试装备有限公司"]').click();
    await page.waitForURL(new RegExp(`/operator/enterprises/${enterpriseId}$`));
    await page.locator('[data-test=card-identifiers] .card-value').getByText(String(SUFFIXES.length), { exact: true }).waitFor();
    const detail = (await node.call('GET', `/api/v1/enterprises/${enterpriseId}`, node.operator)).body;
    expect(detail.volumes.resolutions30d).toBe(RESOLVED + 4);
    expect(await page.locator('[data-test=card-resolutions30d] .card-value').innerText()).toBe(String(RESOLVED + 4));
    await page.locator('[data-test=prefixes-table]').getByText(PREFIX).waitFor();
    await expectTranslated();
    await browser.check('enterprise-detail');
  }, 60_000);

  it('shows the node unlinked, its failed outbox item with its error, and retries it', async () => {
    await page.locator('[data-test="menu-/operator/node"]').click();
    await page.locator('[data-test=card-link]').getByText('未配置').waitFor();
    await page.locator('[data-test=outbox-table]').getByText('UNAVAILABLE: top level down').waitFor();
    await expectTranslated();
    await browser.check('node');
    const [failed] = (await node.call('GET', '/api/v1/upstream/outbox?state=failed', node.operator)).body.items;
    await page.locator(`[data-test=retry-${failed.id}]`).click();
    await page.locator('.el-message').getByText('已重新排队。').waitFor();
    const after = await node.call('GET', '/api/v1/upstream/outbox', node.operator);
    expect(after.body.items.find((item: { id: string }) => item.id === failed.id)).toMatchObject({ status: 'pending', attempts: 0 });
    // the table shows failed items only: the retried one has left it
    await page.locator('[data-test=outbox-table]').getByText('UNAVAILABLE: top level down').waitFor({ state: 'detached' });
  }, 60_000);

  it('shows ingestion totals and the rejects table', async () => {
    await page.locator('[data-test="menu-/operator/ingestion"]').click();
    await page.locator('[data-test=card-stored] .card-value').waitFor();
    const status = (await node.call('GET', '/api/v1/ingestion/status', node.operator)).body;
    expect(await page.locator('[data-test=card-stored] .card-value').innerText()).toBe(String(status.storedTotal));
    await page.locator('[data-test=ingestion-enabled]').getByText('未开启').waitFor();
    await page.locator('[data-test=rejects-table]').getByText('/eventTime: is required').waitFor();
    expect(await page.locator('[data-test=rejects-table]').innerText()).toContain('内容无效');
    const csv = await downloaded(() => page.locator('[data-test=export-csv]').click());
    expect(csv.name).toBe('ingestion-rejects.csv');
    expect(csv.bytes.toString('utf8')).toContain('invalid_payload');
    await expectTranslated();
    await browser.check('ingestion');
  }, 60_000);

  it('shows the monthly report and downloads it as CSV and XLSX', async () => {
    await page.locator('[data-test="menu-/operator/reports"]').click();
    await page.locator('[data-test=report-table]').getByText('武汉测试装备有限公司').waitFor();
    // the month's totals under a server-paged table
    await page.getByText('共 2 条').waitFor();
    expect(await page.locator('[data-test=report-table] .el-table__footer').innerText()).toContain(String(RESOLVED + 4));
    await expectTranslated();
    await browser.check('reports');
    const csv = await downloaded(() => page.locator('[data-test=download-csv]').click());
    expect(csv.name).toMatch(/^idis-monthly-report-\d{4}-\d{2}\.csv$/);
    const row = csv.bytes.toString('utf8').split(/\r?\n/).find((line) => line.startsWith('武汉测试装备有限公司'));
    expect(row).toBeDefined();
    expect(row).toContain(PREFIX);
    expect(row!.split(',')).toContain(String(RESOLVED + 4));
    const xlsx = await downloaded(() => page.locator('[data-test=download-xlsx]').click());
    expect(xlsx.name).toMatch(/\.xlsx$/);
    expect(xlsx.bytes.subarray(0, 2).toString('latin1')).toBe('PK');
  }, 60_000);

  it('switches to English and back', async () => {
    await page.locator('[data-test="menu-/operator/overview"]').click();
    await page.locator('[data-test=language]').click();
    await browser.expectText("Today's resolutions");
    await browser.expectText('Monthly report');
    await page.locator('[data-test=trend-chart] [data-drawn=true]').waitFor({ timeout: 20_000 });
    await expectTranslated();
    await browser.check('overview-en');
    await page.locator('[data-test="menu-/operator/applications"]').click();
    await browser.expectText('Enterprises apply for a prefix');
    expect(await page.locator('[data-test=q]').getAttribute('placeholder')).toBe('Organisation, prefix or credit code');
    await expectTranslated();
    await browser.check('applications-en');
    await page.locator('[data-test=language]').click();
    await browser.expectText('接入申请');
    expect(browser.errors).toEqual([]);
  }, 60_000);
});
