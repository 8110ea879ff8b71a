import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { request, type RequestOptions } from '../../support/http';
import { NodeProcess } from '../../support/node-process';
import { createTestDatabase, type TestDatabase } from '../../support/test-database';
import { applicationBody } from '../../support/test-node';

/**
 * What the secondary node's console specs share: a real node process (the built dist, as `npm
 * start` runs it) on its own PostgreSQL database, Debian's chromium driven by playwright-core with
 * the flags this machine needs, and `check`: a full-page screenshot (tests/browser/screenshots/, not
 * committed) and axe-core with no critical or serious violation. Each spec starts and stops its own.
 */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const BUILT_CONSOLE = resolve(__dirname, '../../../dist/console/index.html');
export const SCREENSHOTS = resolve(__dirname, '..', 'screenshots');
export const OPERATOR_PASSWORD = 'console-operator-pass-1';
export const ENTERPRISE_PASSWORD = 'enterprise-pass-1';
const JWT_SECRET = 'console-browser-jwt-secret-0123456789abcdef';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export class ConsoleNode {
  private constructor(
    readonly proc: NodeProcess,
    readonly db: TestDatabase,
    readonly base: string,
    readonly operator: string,
  ) {}

  /** A node on a fresh database, MQTT ingestion off unless `env` turns it on; the operator signed in. */
  static async start(label: string, env: Record<string, string> = {}): Promise<ConsoleNode> {
    if (!existsSync(BUILT_CONSOLE)) throw new Error(`${BUILT_CONSOLE} is missing: npm run build (or npm run build:console) first`);
    const db = await createTestDatabase(label);
    const proc = NodeProcess.spawn({ DATABASE_URL: db.url, OPERATOR_PASSWORD, JWT_SECRET, PORT: '0', HOST: '127.0.0.1', INGESTION_ENABLED: 'false', ...env });
    try {
      const base = await proc.ready();
      const login = await request(base, 'POST', '/api/v1/auth/token', { body: { username: 'operator', password: OPERATOR_PASSWORD } });
      if (login.status !== 200) throw new Error(`operator sign-in: ${login.status} ${login.text}`);
      return new ConsoleNode(proc, db, base, login.body.accessToken as string);
    } catch (error) {
      await proc.stop();
      await db.drop();
      throw error;
    }
  }

  call<T = any>(method: string, path: string, token?: string, body?: unknown, options: RequestOptions = {}) {
    return request<T>(this.base, method, path, { ...options, token, body });
  }

  /** Applies for `prefix` with a new account, approves it as the operator, and signs the enterprise in. */
  async approvedEnterprise(prefix: string, username: string, orgName = `${username} Co.`): Promise<{ token: string; enterpriseId: string }> {
    const application = await this.call('POST', '/api/v1/enterprises/applications', undefined, { ...applicationBody(prefix, username, ENTERPRISE_PASSWORD), orgName });
    if (application.status !== 201) throw new Error(`application ${prefix}: ${application.status} ${application.text}`);
    const approved = await this.call('POST', `/api/v1/enterprises/applications/${application.body.id}/approve`, this.operator);
    if (approved.status !== 200) throw new Error(`approve ${prefix}: ${approved.status} ${approved.text}`);
    const token = await this.token(username, ENTERPRISE_PASSWORD);
    const me = await this.call('GET', '/api/v1/auth/me', token);
    return { token, enterpriseId: me.body.enterpriseId as string };
  }

  /** A partner account created by the operator, signed in. */
  async partner(username: string, password = 'partner-pass-1'): Promise<string> {
    const created = await this.call('POST', '/api/v1/partners', this.operator, { username, password, orgName: `${username} Ltd.` });
    if (created.status !== 201) throw new Error(`partner ${username}: ${created.status} ${created.text}`);
    return this.token(username, password);
  }

  async token(username: string, password: string): Promise<string> {
    const login = await this.call('POST', '/api/v1/auth/token', undefined, { username, password });
    if (login.status !== 200) throw new Error(`sign-in ${username}: ${login.status} ${login.text}`);
    return login.body.accessToken as string;
  }

  async stop(): Promise<void> {
    await this.proc.stop();
    await this.db.drop();
  }
}

/** What check() reads in the page (the specs compile without the DOM library). */
interface PageWithAnimations {
  document: { getAnimations(): Array<{ playState: string }>; querySelector(selector: string): unknown };
}

/**
 * Waits for running CSS transitions (a dialog fading in is judged by its final colours, not
 * half-way) and for the toasts of the step before to close: a toast starts fading out on its own
 * timer, so one still on the page could be judged half-transparent while axe runs (CI saw that, as
 * a contrast failure on a toast's <p>).
 */
export async function settled(page: Page): Promise<void> {
  await page.waitForFunction(() => (globalThis as unknown as PageWithAnimations).document.querySelector('.el-message') === null, undefined, { timeout: 15_000 });
  // A function, not a string: a string predicate that has to poll is eval'd in the page, which its CSP refuses.
  await page.waitForFunction(() => (globalThis as unknown as PageWithAnimations).document.getAnimations().every((animation) => animation.playState !== 'running'), undefined, { timeout: 15_000 }).catch(() => undefined);
}

/** One browser with its own profile; everything the page logs as an error, and every reply ≥ 400. */
export class ConsoleBrowser {
  readonly errors: string[] = [];
  readonly failedRequests: string[] = [];

  private constructor(
    readonly context: BrowserContext,
    readonly page: Page,
    private readonly profile: string,
    private readonly prefix: string,
  ) {}

  /** `prefix` names the screenshots (`<prefix>-<name>.png`). */
  static async launch(prefix: string, options: { locale?: string; viewport?: { width: number; height: number }; isMobile?: boolean } = {}): Promise<ConsoleBrowser> {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (or set CHROMIUM_PATH)`);
    mkdirSync(SCREENSHOTS, { recursive: true });
    const profile = mkdtempSync(join(tmpdir(), `console-${prefix}-chromium-`));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: options.viewport ?? { width: 1400, height: 900 },
      isMobile: options.isMobile,
      locale: options.locale ?? 'zh-CN',
      // Charts then draw without their grow-in animation, and dialogs open without fading in.
      reducedMotion: 'reduce',
      acceptDownloads: true,
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const browser = new ConsoleBrowser(context, page, profile, prefix);
    page.on('pageerror', (error) => browser.errors.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) browser.errors.push(`console: ${message.text()}`);
    });
    page.on('response', (response) => {
      if (response.status() >= 400) browser.failedRequests.push(`${response.status()} ${response.request().method()} ${new URL(response.url()).pathname}`);
    });
    return browser;
  }

  /** Signs in through the form and waits for the role's landing page. */
  async signIn(base: string, username: string, password: string, landing: RegExp): Promise<void> {
    await this.page.goto(`${base}/console/sign-in`);
    await this.page.locator('[data-test=username]').fill(username);
    await this.page.locator('[data-test=password]').fill(password);
    await this.page.locator('[data-test=sign-in]').click();
    await this.page.waitForURL(landing, { timeout: 20_000 });
  }

  /** A full-page screenshot, then axe-core: no critical or serious violation, once the page has settled (settled()). */
  async check(name: string): Promise<void> {
    await settled(this.page);
    await this.page.screenshot({ path: join(SCREENSHOTS, `${this.prefix}-${name}.png`), fullPage: true, animations: 'disabled' });
    const results = await new AxeBuilder({ page: this.page }).analyze();
    const serious = results.violations
      .filter((v) => v.impact === 'critical' || v.impact === 'serious')
      .map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 5).join(' | ')}`);
    expect({ page: name, serious }).toEqual({ page: name, serious: [] });
  }

  async expectText(text: string | RegExp, timeout = 15_000): Promise<void> {
    await this.page.getByText(text, { exact: false }).first().waitFor({ timeout });
  }

  async close(): Promise<void> {
    await this.context.close();
    rmSync(this.profile, { recursive: true, force: true });
  }
}
