import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { type Credentials, ENROLMENT_TOKEN, enterprise, TopLevelClient } from '../integration/top-level-harness';
import { request } from '../support/http';
import { settled } from './support/console-browser';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { TopLevelProcess } from '../support/top-level-process';

/**
 * The top-level node's operator page in a real browser (Debian's chromium driven by
 * playwright-core) against a real top-level process on real PostgreSQL: sign in, see the nodes and
 * filings, approve a filing, read the volumes chart, switch to English; every page checked by
 * axe-core. Screenshots go to tests/browser/screenshots/ (not committed).
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const BUILT_CONSOLE = resolve(__dirname, '../../dist/top-level-console/index.html');
const SCREENSHOTS = join(__dirname, 'screenshots');
const ADMIN = 'operator-token-0123456789-browser';
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

describe('top-level console in a browser', () => {
  let db: TestDatabase;
  let proc: TopLevelProcess;
  let http: string;
  let client: TopLevelClient;
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  const browserErrors: string[] = [];
  /** Every reply of 400 or more the page received, as "status path". */
  const failedRequests: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (or set CHROMIUM_PATH)`);
    if (!existsSync(BUILT_CONSOLE)) throw new Error(`${BUILT_CONSOLE} is missing: npm run build (or npm run build:top-level-console) first`);
    mkdirSync(SCREENSHOTS, { recursive: true });
    db = await createTestDatabase('toplevel_browser');
    proc = TopLevelProcess.spawn({
      DATABASE_URL: db.url,
      ENROLMENT_TOKEN,
      TOP_LEVEL_GRPC_PORT: '0',
      TOP_LEVEL_HTTP_PORT: '0',
      HOST: '127.0.0.1',
      TOP_LEVEL_ADMIN_TOKEN: ADMIN,
      FILING_REVIEW: 'manual',
    });
    const ready = await proc.ready();
    http = ready.httpUrl;
    client = new TopLevelClient(ready.grpcAddress);
    await seed(client, db);

    profile = mkdtempSync(join(tmpdir(), 'top-level-console-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1400, height: 900 },
      locale: 'zh-CN',
      // The chart then draws without its grow-in animation, so a screenshot shows the bars.
      reducedMotion: 'reduce',
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (error) => browserErrors.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      // A refused request is logged by the browser too; those are checked below, one by one.
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) browserErrors.push(`console: ${message.text()}`);
    });
    page.on('response', (response) => {
      if (response.status() >= 400) failedRequests.push(`${response.status()} ${new URL(response.url()).pathname}`);
    });
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    client?.close();
    await proc?.stop();
    await db?.drop();
  });

  it('signs the operator in, shows nodes and filings, approves a filing, charts the volumes, switches to English, with no serious accessibility problem', async () => {
    // Not signed in: any page leads to sign-in, which refuses a wrong token.
    await page.goto(`${http}/console/`);
    await page.waitForURL(/\/console\/sign-in/);
    await expectText(page, '运营人员登录');
    await check(page, 'sign-in');
    // The field is found by its visible label, as a screen reader names it.
    await page.getByLabel('运营令牌').fill('not-the-operator-token');
    await page.locator('[data-test=sign-in]').click();
    await expectText(page, '令牌不正确');

    await page.getByLabel('运营令牌').fill(ADMIN);
    await page.locator('[data-test=sign-in]').click();
    await page.waitForURL(/\/console\/nodes$/);

    // Nodes: one online, one whose heartbeat is late (the stale marker), one never heard from.
    const nodes = page.locator('[data-test=nodes-table]');
    await nodes.locator('tr', { hasText: 'node-huangshi' }).locator('[data-status=online]').waitFor();
    await expectRowText(page, 'node-huangshi', '在线');
    await expectRowText(page, 'node-wuhan', '心跳滞后');
    await expectRowText(page, 'node-xiangyang', '从未收到');
    await check(page, 'nodes');

    // Filings: the pending one is approved from the page, and the node's queue gets the outcome.
    await page.getByRole('link', { name: '前缀备案' }).click();
    await page.waitForURL(/\/console\/filings$/);
    await expectRowText(page, '88.118.8', '黄石五金工具有限公司');
    await expectRowText(page, '88.118.8', '待审核');
    await check(page, 'filings');
    await page.locator('[data-test="approve-88.118.8"]').click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('通过备案 88.118.8').waitFor();
    await dialog.getByLabel('审核意见（可选）').fill('材料齐全');
    await check(page, 'filings-approve-dialog');
    await dialog.locator('[data-test=confirm-review]').click();
    await expectText(page, '已通过 88.118.8');
    await page.locator('[data-test=filings-table] tr', { hasText: '88.118.8' }).locator('[data-state=approved]').waitFor();
    await expectRowText(page, '88.118.8', '材料齐全');
    expect(await page.locator('[data-test="approve-88.118.8"]').count()).toBe(0);
    const stored = await request(http, 'GET', '/api/v1/filings/88.118.8', { token: ADMIN });
    expect(stored.body).toMatchObject({ status: 'approved', reviewReason: '材料齐全' });
    await check(page, 'filings-approved');

    // Volumes: the chart draws, and its table holds each node's days.
    await page.getByRole('link', { name: '上报统计' }).click();
    await page.waitForURL(/\/console\/volumes$/);
    await page.locator('[data-test=volumes-chart] [data-drawn=true] canvas').first().waitFor();
    const table = page.locator('[data-test=volumes-table]');
    await table.locator('tr', { hasText: 'node-huangshi' }).first().waitFor();
    expect(await table.locator('tbody tr').count()).toBe(5);
    await expectRowText(page, 'node-huangshi', '1,850');
    await check(page, 'volumes');

    // English, and it stays English on a deep link opened afresh (history fallback, session kept).
    await page.locator('[data-test=language]').click();
    await page.getByRole('link', { name: 'Prefix filings' }).waitFor();
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    await expectText(page, 'Daily volumes reported by each node');
    await page.locator('[data-test=volumes-chart] [data-drawn=true] canvas').first().waitFor();
    await check(page, 'volumes-en');
    await page.goto(`${http}/console/filings`);
    await expectText(page, 'Enterprise prefix filings');
    await expectRowText(page, '88.118.8', 'approved');
    await expectRowText(page, '88.118.9', 'pending');
    await check(page, 'filings-en');
    await page.goto(`${http}/console/nodes`);
    await expectRowText(page, 'node-wuhan', 'stale');
    await check(page, 'nodes-en');

    // A token the node no longer accepts (here: another one put in its place) sends the operator back to sign-in, saying why.
    await page.evaluate(`sessionStorage.setItem('idis-top-level-operator', 'replaced-token-0123456789')`);
    await page.goto(`${http}/console/filings`);
    await page.waitForURL(/\/console\/sign-in\?next=/);
    await expectText(page, 'Your session ended');
    await check(page, 'sign-in-expired-en');

    // No script error, no CSP violation; the only refusals: the sign-in page asking whether the node
    // is open (it is not: 401), the wrong token (403), the replaced token (403), and sign-in asking again.
    expect(browserErrors).toEqual([]);
    expect(failedRequests).toEqual(['401 /api/v1/settings', '403 /api/v1/settings', '403 /api/v1/settings', '401 /api/v1/settings']);
  }, 180_000);

  /** A full-page screenshot, then axe-core: no critical or serious violation, once the page has settled. */
  async function check(on: Page, name: string): Promise<void> {
    await settled(on);
    await on.screenshot({ path: join(SCREENSHOTS, `top-level-${name}.png`), fullPage: true, animations: 'disabled' });
    const results = await new AxeBuilder({ page: on }).analyze();
    const serious = results.violations
      .filter((v) => v.impact === 'critical' || v.impact === 'serious')
      .map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 5).join(' | ')}`);
    expect({ page: name, serious }).toEqual({ page: name, serious: [] });
  }
});

async function expectText(page: Page, text: string): Promise<void> {
  await page.getByText(text, { exact: false }).first().waitFor({ timeout: 15_000 });
}

/** Waits until a table row that names `key` also shows `text`. */
async function expectRowText(page: Page, key: string, text: string): Promise<void> {
  await page.locator('tr', { hasText: key }).filter({ hasText: text }).first().waitFor({ timeout: 15_000 });
}

/** Three nodes (online, late, never heard from), two filings under manual review, three days of reports. */
async function seed(client: TopLevelClient, db: TestDatabase): Promise<void> {
  const huangshi = await client.enrol('node-huangshi', '88.118');
  const wuhan = await client.enrol('node-wuhan', '88.200');
  await client.enrol('node-xiangyang', '88.300');
  await client.signed(huangshi, 'Reporting', 'Heartbeat', { sequence: 1, sentAtMs: Date.now(), status: 'ok', endpoints: [], outboxDepth: 0 });
  await client.signed(wuhan, 'Reporting', 'Heartbeat', { sequence: 1, sentAtMs: Date.now(), status: 'degraded', endpoints: [], outboxDepth: 3 });
  await db.client.query(`UPDATE nodes SET last_heartbeat_at = now() - interval '150 seconds' WHERE node_id = 'node-wuhan'`);
  await client.signed(huangshi, 'PrefixFiling', 'Create', { clientTransactionId: 'b-1', prefix: '88.118.8', enterprise: enterprise('黄石五金工具有限公司') });
  await client.signed(huangshi, 'PrefixFiling', 'Create', { clientTransactionId: 'b-2', prefix: '88.118.9', enterprise: enterprise('Huangshi Valves Co.') });
  const today = Math.floor(Date.now() / DAY_MS) * DAY_MS;
  const report = (node: Credentials, sequence: number, start: number, prefix: string, resolutions: number) =>
    client.signed(node, 'Reporting', 'ReportStatistics', {
      sequence,
      periodStartMs: start,
      periodEndMs: start + HOUR_MS,
      volumes: [{ prefix, registrations: Math.round(resolutions / 10), resolutions, notFound: 3, errors: 1 }],
    });
  await report(huangshi, 1, today - 2 * DAY_MS, '88.118.8', 1200);
  await report(huangshi, 2, today - DAY_MS, '88.118.8', 1850);
  await report(huangshi, 3, today, '88.118.8', 640);
  await report(wuhan, 1, today - 2 * DAY_MS, '88.200.1', 900);
  await report(wuhan, 2, today - DAY_MS, '88.200.1', 400);
}
