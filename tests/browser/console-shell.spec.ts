import { ConsoleBrowser, ConsoleNode, ENTERPRISE_PASSWORD, OPERATOR_PASSWORD } from './support/console-browser';

/**
 * The console's shell in a real browser against a real node: sign-in refuses a wrong password,
 * each role lands on its own area with its own menu, a page of another role's area sends the user
 * home, an expired session sends the user back to sign-in with a message, and the language toggle
 * switches the page to English and back.
 */
describe('console shell in a browser', () => {
  let node: ConsoleNode;
  let browser: ConsoleBrowser;

  beforeAll(async () => {
    node = await ConsoleNode.start('console_shell');
    await node.approvedEnterprise('88.118.61', 'shell-ent');
    browser = await ConsoleBrowser.launch('shell');
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await node?.stop();
  });

  it('signs each role in to its own area, refuses a wrong password, and switches language', async () => {
    const { page } = browser;
    await page.goto(`${node.base}/console/operator/welcome`);
    await page.waitForURL(/\/console\/sign-in\?next=/);
    await browser.expectText('使用本节点的账号登录');
    await browser.check('sign-in');

    await page.locator('[data-test=username]').fill('operator');
    await page.locator('[data-test=password]').fill('not-the-password');
    await page.locator('[data-test=sign-in]').click();
    await browser.expectText('用户名或密码不正确');

    await page.locator('[data-test=password]').fill(OPERATOR_PASSWORD);
    await page.locator('[data-test=sign-in]').click();
    await page.waitForURL(/\/console\/operator\//);
    await browser.expectText('operator · 运营人员');

    // Another role's page is not this user's: the router sends the operator to its own home.
    await page.goto(`${node.base}/console/enterprise/welcome`);
    await page.waitForURL(/\/console\/operator\//);

    await page.locator('[data-test=language]').click();
    await browser.expectText('Operator');
    expect(await page.evaluate('document.documentElement.lang')).toBe('en');
    await page.locator('[data-test=language]').click();
    expect(await page.evaluate('document.documentElement.lang')).toBe('zh-CN');

    // The token stops being valid (here: replaced by garbage, as an expired one would be refused).
    await page.evaluate("sessionStorage.setItem('idis-console-token', 'expired.token.value')");
    await page.reload();
    await page.waitForURL(/\/console\/sign-in/);
    await browser.expectText('登录已失效');

    await browser.signIn(node.base, 'shell-ent', ENTERPRISE_PASSWORD, /\/console\/enterprise\//);
    await browser.expectText('shell-ent · 企业用户');
    await page.locator('[data-test=sign-out]').click();
    await page.waitForURL(/\/console\/sign-in/);

    expect(browser.errors).toEqual([]);
  }, 120_000);
});
