import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Workbook } from 'exceljs';
import jsQR from 'jsqr';
import Papa from 'papaparse';
import type { Download } from 'playwright-core';
import { epcisDocument, objectEvent } from '../integration/ingestion-harness';
import { ConsoleBrowser, ConsoleNode, ENTERPRISE_PASSWORD } from './support/console-browser';

// pngjs comes with qrcode (it writes the PNGs); it has no types of its own.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { PNG } = require('pngjs') as { PNG: { sync: { read(buffer: Buffer): { width: number; height: number; data: Buffer } } } };

const PUBLIC_URL = 'https://id.example.cn';
const ACME = '88.118.71';
const BOLT = '88.118.72';
const ROWS = 5000;

const template = (prefix: string) => ({
  prefix,
  version: 'v1',
  industryCategory: 'C',
  industrySpecific: '13',
  industryTrade: '131',
  industrySubclass: '1311',
  type: 1,
  items: [
    { name: '产品名称', idType: 'name', required: true, metadata: { minLength: 1, maxLength: 20 } },
    { name: '颜色', idType: 'colour', required: false, metadata: { minLength: 0, maxLength: 10 } },
  ],
});

/**
 * A CSV of 5,000 rows with 20 bad ones, known by row number (the header is row 1): 5 with the
 * required name empty, 5 with a colour over its 10 characters, 5 repeating an earlier suffix (in
 * another ASCII case), 5 with a suffix the node refuses (a control character, a ".." segment).
 */
function uploadFile(): { csv: string; bad: Set<number> } {
  const bad = new Set<number>();
  const rows: string[][] = [];
  for (let i = 0; i < ROWS; i++) {
    const row = i + 2;
    let suffix = `SKU-${String(i).padStart(5, '0')}`;
    let name = `Cup ${i}`;
    let colour = i % 2 === 0 ? 'red' : '';
    const kind = i % 1000;
    if (kind === 10) name = '';
    else if (kind === 20) colour = 'x'.repeat(11);
    // the suffix of the good row 25 rows before, in lower case
    else if (kind === 30) suffix = `sku-${String(i - 25).padStart(5, '0')}`;
    else if (kind === 40) suffix = i < 3000 ? `BAD\u0007${i}` : `x/../${i}`;
    if ([10, 20, 30, 40].includes(kind)) bad.add(row);
    rows.push([suffix, name, colour]);
  }
  return { csv: Papa.unparse({ fields: ['suffix', 'name', 'colour'], data: rows }), bad };
}

/** A CSV of `count` good rows under `stem` (none of them a suffix or value the later tests search for). */
function importFile(stem: string, count: number): string {
  const rows = Array.from({ length: count }, (_, i) => [`${stem}-${String(i).padStart(6, '0')}`, `Imported ${i}`, i % 3 === 0 ? 'blue' : '']);
  return Papa.unparse({ fields: ['suffix', 'name', 'colour'], data: rows });
}

function pdfPages(pdf: Buffer): number {
  return pdf.toString('latin1').match(/\/Type\s*\/Page\b/g)?.length ?? 0;
}

/**
 * The enterprise's console in a real browser against a real node: bulk upload of 5,000 rows with
 * bad ones (exact per-row results, downloaded as CSV), a harmless re-upload, a resumed upload
 * after a failed batch, a QR code that decodes to the proxy URL, a label sheet PDF with the pages
 * of its grid, the template form with a validation error and the node's refusal, templates,
 * grants, statistics, events, tenant isolation against a second enterprise, the language toggle;
 * every page checked with axe-core and photographed.
 */
describe('enterprise console in a browser', () => {
  let node: ConsoleNode;
  let browser: ConsoleBrowser;
  let acme: { token: string; enterpriseId: string };
  let bolt: { token: string; enterpriseId: string };
  let work: string;

  beforeAll(async () => {
    node = await ConsoleNode.start('console_enterprise', { PUBLIC_URL });
    acme = await node.approvedEnterprise(ACME, 'acme-ent');
    bolt = await node.approvedEnterprise(BOLT, 'bolt-ent');
    for (const [prefix, token] of [[ACME, acme.token], [BOLT, bolt.token]]) {
      const created = await node.call('POST', '/snms/api/v5/template', token, template(prefix));
      if (created.status !== 200) throw new Error(`template ${prefix}: ${created.status} ${created.text}`);
    }
    const boltOwn = await node.call('POST', '/identityv2/data', bolt.token, { handle: `${BOLT}/BOLT-SECRET`, templateVersion: 'v1', value: [{ index: 2000, type: 'name', data: { format: 'string', value: 'Bolt' } }] });
    if (boltOwn.status !== 200) throw new Error(`bolt identifier: ${boltOwn.status} ${boltOwn.text}`);
    await node.partner('acme-partner');
    const events = [
      objectEvent({ epcs: [`hdl:${ACME}/SKU-00001`], action: 'ADD', bizStep: 'commissioning' }),
      objectEvent({ epcs: [`hdl:${ACME}/SKU-00001`], bizStep: 'shipping' }),
      objectEvent({ epcs: [`hdl:${ACME}/SKU-00002`], bizStep: 'receiving' }),
    ];
    const captured = await node.call('POST', '/epcis/capture', acme.token, epcisDocument(events));
    if (captured.status !== 202 || captured.body.stored !== 3) throw new Error(`capture: ${captured.status} ${captured.text}`);
    work = mkdtempSync(join(tmpdir(), 'enterprise-console-'));
    browser = await ConsoleBrowser.launch('enterprise');
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await node?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /**
   * browser.check with the pointer and the focus moved off the button just clicked: its hover and
   * focus colours are transient states, not what the page shows.
   */
  /** The options of the select just clicked, once its dropdown is shown (it opens with a transition). */
  async function openOptions(): Promise<string[]> {
    const options = browser.page.locator('.el-select-dropdown__item:visible');
    await options.first().waitFor({ state: 'visible', timeout: 15_000 });
    return options.allInnerTexts();
  }

  async function check(name: string): Promise<void> {
    await browser.page.mouse.move(1, 1);
    await browser.page.evaluate('document.activeElement instanceof HTMLElement && document.activeElement.blur()');
    await browser.check(name);
  }

  async function saved(download: Promise<Download>): Promise<Buffer> {
    const file = await download;
    const path = join(work, file.suggestedFilename());
    await file.saveAs(path);
    return readFileSync(path);
  }

  /** Starts (with `path` chosen) or resumes an upload and waits until it ends as `end`; the counts shown. */
  async function uploadAndWait(path: string, button: 'upload-start' | 'upload-resume' = 'upload-start', end: 'done' | 'interrupted' = 'done'): Promise<{ ok: string; exists: string; failed: string }> {
    const { page } = browser;
    if (button === 'upload-start') await page.locator('[data-test=upload-file]').setInputFiles(path);
    await page.locator(`[data-test=${button}]`).click();
    await page.locator(`[data-test=upload-report][data-status=${end}]`).waitFor({ timeout: 120_000 });
    const count = (name: string) => page.locator(`[data-test=count-${name}]`).innerText();
    return { ok: await count('ok'), exists: await count('exists'), failed: await count('failed') };
  }

  it('uploads 5,000 rows with per-row results, downloads them, and re-uploads harmlessly', async () => {
    const { page } = browser;
    await browser.signIn(node.base, 'acme-ent', ENTERPRISE_PASSWORD, /\/console\/enterprise\/identifiers$/);
    await browser.expectText('共 0 条');
    await check('identifiers-empty');

    const { csv, bad } = uploadFile();
    const path = join(work, 'codes.csv');
    writeFileSync(path, csv);
    await page.locator('[data-test="menu-/enterprise/upload"]').click();
    await page.waitForURL(/\/enterprise\/upload$/);
    await browser.expectText('suffix,name,colour');
    expect(await uploadAndWait(path)).toEqual({ ok: '4,980', exists: '0', failed: '20' });
    await check('upload-results');

    const results = Papa.parse<string[]>((await saved(Promise.all([page.waitForEvent('download'), page.locator('[data-test=download-results]').click()]).then(([d]) => d))).toString('utf8').replace(/^\uFEFF/, ''), { skipEmptyLines: true }).data;
    expect(results[0]).toEqual(['行号', '标识', '结果', '说明']);
    expect(results).toHaveLength(ROWS + 1);
    const failedRows = results.filter((r) => r[2] === '失败').map((r) => Number(r[0]));
    expect(failedRows).toEqual([...bad].sort((a, b) => a - b));
    expect(results.find((r) => r[0] === '32')?.[3]).toBe('后缀与第 7 行重复');
    expect(results.find((r) => r[0] === '42')?.[3]).toBe('后缀含控制字符或无效字符');
    expect(results.find((r) => r[0] === '3042')?.[3]).toBe('后缀不能含 “.” 或 “..” 路径段');
    expect(results.find((r) => r[0] === '12')?.[3]).toBe('name：必填');
    expect(results.find((r) => r[0] === '22')?.[3]).toBe('colour：最多 10 个字符（当前 11）');
    expect(results.filter((r) => r[2] === '成功')).toHaveLength(4980);
    const listed = await node.call('GET', '/api/v1/identifiers?pageSize=1', acme.token);
    expect(listed.body.total).toBe(4980);

    // The same file again: nothing is registered twice, every good row is "already registered".
    await page.reload();
    await page.locator('[data-test=upload-file]').setInputFiles(path);
    await browser.expectText('该文件已于');
    expect(await uploadAndWait(path)).toEqual({ ok: '0', exists: '4,980', failed: '20' });
    expect((await node.call('GET', '/api/v1/identifiers?pageSize=1', acme.token)).body.total).toBe(4980);
  }, 300_000);

  it('resumes an upload after a failed batch from its first unsent batch', async () => {
    const { page } = browser;
    const rows = Array.from({ length: 4500 }, (_, i) => [`R-${i}`, `Resumed ${i}`, '']);
    const path = join(work, 'resume.csv');
    writeFileSync(path, Papa.unparse({ fields: ['suffix', 'name', 'colour'], data: rows }));
    let calls = 0;
    await page.route('**/identityv2/data/batchCreate', (route) => (++calls === 2 ? route.abort('connectionreset') : route.continue()));
    await page.reload();
    const first = await uploadAndWait(path, 'upload-start', 'interrupted');
    expect(first.ok).toBe('2,000');
    await browser.expectText('上传中断');
    await page.unroute('**/identityv2/data/batchCreate');
    await check('upload-interrupted');

    // A new page (the tab was closed, say): the file's progress is still in localStorage.
    await page.reload();
    await page.locator('[data-test=upload-file]').setInputFiles(path);
    await browser.expectText('上次上传中断（已完成 1 批');
    expect(await uploadAndWait(path, 'upload-resume')).toEqual({ ok: '4,500', exists: '0', failed: '0' });
    await browser.expectText('已发送 2 批，恢复 1 批');
    expect((await node.call('GET', '/api/v1/identifiers?pageSize=1&suffix=R-', acme.token)).body.total).toBe(4500);
  }, 300_000);

  it('uploads an XLSX file the same way', async () => {
    const { page } = browser;
    const workbook = new Workbook();
    const sheet = workbook.addWorksheet('codes');
    sheet.addRow(['suffix', '产品名称', 'colour']);
    for (let i = 0; i < 300; i++) sheet.addRow([`X-${i}`, i === 7 ? '' : `Sheet ${i}`, i % 3 === 0 ? 'green' : '']);
    const path = join(work, 'codes.xlsx');
    await workbook.xlsx.writeFile(path);
    await page.reload();
    expect(await uploadAndWait(path)).toEqual({ ok: '299', exists: '0', failed: '1' });
    await browser.expectText('name：必填');
    expect(await page.locator('[data-test=results-table] tbody tr td').first().innerText()).toBe('9');
    expect((await node.call('GET', '/api/v1/identifiers?pageSize=1&suffix=X-', acme.token)).body.total).toBe(299);
  }, 120_000);

  /** Identifiers stored under `prefix` whose suffix starts with `stem`, as the database holds them. */
  async function storedUnder(prefix: string, stem: string, db = node.db): Promise<number> {
    const counted = await db.client.query<{ n: number }>('SELECT count(*)::int AS n FROM identifiers WHERE handle_key LIKE $1', [`${prefix}/${stem.toLowerCase()}-%`]);
    return counted.rows[0].n;
  }

  /** Chooses whole-file import, picks `path` (a fresh page unless `fresh` is false) and waits for the import to end as `end`. */
  async function importAndWait(path: string, end: 'done' | 'refused' | 'failed', fresh = true): Promise<void> {
    const { page } = browser;
    if (fresh) {
      await page.reload();
      await page.locator('[data-test=mode-import]').click();
      await page.locator('[data-test=upload-file]').setInputFiles(path);
    }
    await page.locator('[data-test=import-start]').click();
    const report = page.locator('[data-test=import-report]:is([data-status=done], [data-status=refused], [data-status=failed], [data-status=unreadable])');
    await report.waitFor({ timeout: 120_000 });
    // The report's text with its status: a wrong ending shows what the page said.
    expect(`${await report.getAttribute('data-status')}: ${end === (await report.getAttribute('data-status')) ? '' : await report.innerText()}`).toBe(`${end}: `);
  }

  const importCount = async (name: string) => browser.page.locator(`[data-test=import-${name}]`).innerText();

  it('imports a large CSV file whole (every row stored), reports a re-import as already registered, and refuses a file with a bad row storing nothing', async () => {
    const { page } = browser;
    await page.locator('[data-test="menu-/enterprise/upload"]').click();
    await page.waitForURL(/\/enterprise\/upload$/);
    await browser.expectText('suffix,name,colour');
    // Only the enterprise's own prefix is offered.
    await page.locator('[data-test=prefix-select]').click();
    expect(await openOptions()).toEqual([ACME]);
    await page.keyboard.press('Escape');

    const csv = importFile('IMP', 25_000);
    const path = join(work, 'import.csv');
    writeFileSync(path, csv);
    // 25,000 rows: the page suggests whole-file import, and switches to it on request.
    await page.locator('[data-test=upload-file]').setInputFiles(path);
    await page.locator('[data-test=import-suggested]').waitFor();
    expect(await page.locator('[data-test=import-suggested]').innerText()).toMatch(/约 2[45],\d{3} 行/);
    await page.locator('[data-test=use-import]').click();
    await browser.expectText('建议用于超过 20,000 行或 4.0 MB 的 CSV 文件');
    await importAndWait(path, 'done', false);
    expect({ rows: await importCount('rows'), stored: await importCount('stored'), existing: await importCount('existing') }).toEqual({ rows: '25,000', stored: '25,000', existing: '0' });
    expect(await importCount('sha256')).toBe(createHash('sha256').update(csv).digest('hex'));
    await browser.expectText(`整个文件已导入 ${ACME}（模板 v1）`);
    expect(await storedUnder(ACME, 'IMP')).toBe(25_000);
    const one = await node.call('GET', `/api/v1/identifiers?suffix=IMP-024999`, acme.token);
    expect(one.body.items.map((i: { handle: string }) => i.handle)).toEqual([`${ACME}/IMP-024999`]);
    await check('import-done');

    // The same file again: nothing new, every row already registered.
    await importAndWait(path, 'done');
    expect({ rows: await importCount('rows'), stored: await importCount('stored'), existing: await importCount('existing') }).toEqual({ rows: '25,000', stored: '0', existing: '25,000' });
    expect(await storedUnder(ACME, 'IMP')).toBe(25_000);

    // 3,000 rows with 3 bad ones (rows 12, 1502 and 3001, the header being row 1): refused whole.
    const rows = Papa.parse<string[]>(importFile('BADIMP', 3000), { skipEmptyLines: true }).data;
    rows[11][1] = '';
    rows[1501][2] = 'x'.repeat(11);
    rows[3000][0] = 'BADIMP-000005';
    const badPath = join(work, 'bad-import.csv');
    writeFileSync(badPath, Papa.unparse(rows));
    await importAndWait(badPath, 'refused');
    await browser.expectText('节点拒绝了该文件，未存储任何标识');
    expect(await page.locator('[data-test=import-bad-rows]').innerText()).toBe('共 3,000 行中有 3 行不合格，列出前 3 行。');
    await page.locator('[data-test=import-problems] tbody tr').first().waitFor();
    const named = await page.locator('[data-test=import-problems] tbody tr').allInnerTexts();
    expect(named.map((row) => row.split('\t')[0].trim())).toEqual(['12', '1502', '3001']);
    expect(named[2]).toContain('duplicates row 7');
    expect(await storedUnder(ACME, 'BADIMP')).toBe(0);
    await check('import-refused');
  }, 300_000);

  it('imports an XLSX sheet converted to CSV in the browser, naming a bad row by its sheet row', async () => {
    const { page } = browser;
    const sheetFile = async (name: string, bad: boolean) => {
      const workbook = new Workbook();
      const sheet = workbook.addWorksheet('codes');
      sheet.addRow(['suffix', '产品名称', 'colour']);
      for (let i = 0; i < 400; i++) {
        // Two blank rows after the 100th data row: the sheet's row numbers are no longer the CSV's.
        if (i === 100) sheet.addRow([]);
        if (i === 100) sheet.addRow(['', '', '']);
        sheet.addRow([`XIMP-${i}`, bad && i === 250 ? '' : `Cell, "q" ${i}`, i % 2 ? 'green' : '']);
      }
      const path = join(work, name);
      await workbook.xlsx.writeFile(path);
      return path;
    };
    // Data row 250 (from 0) is sheet row 254: the header, 250 rows and two blank ones before it; the CSV sent numbers it 252.
    await importAndWait(await sheetFile('bad-import.xlsx', true), 'refused');
    expect(await page.locator('[data-test=import-bad-rows]').innerText()).toBe('共 400 行中有 1 行不合格，列出前 1 行。');
    await page.locator('[data-test=import-problems] tbody tr').first().waitFor();
    const named = await page.locator('[data-test=import-problems] tbody tr').allInnerTexts();
    expect(named.map((row) => row.split('\t')[0].trim())).toEqual(['254']);
    await browser.expectText('工作表行号');
    expect(await storedUnder(ACME, 'XIMP')).toBe(0);

    await importAndWait(await sheetFile('import.xlsx', false), 'done');
    expect({ rows: await importCount('rows'), stored: await importCount('stored') }).toEqual({ rows: '400', stored: '400' });
    await browser.expectText('XLSX 工作表已转为 CSV 发送');
    expect(await storedUnder(ACME, 'XIMP')).toBe(400);
    // The cells as Excel shows them, a comma and quotes included, went through the CSV intact.
    const stored = await node.call('GET', `/api/v1/identifiers?suffix=XIMP-7&pageSize=100`, acme.token);
    const seventh = stored.body.items.find((i: { handle: string }) => i.handle === `${ACME}/XIMP-7`);
    expect(seventh.values.filter((v: { type: string }) => v.type === 'name' || v.type === 'colour').map((v: { type: string; data: { value: string } }) => [v.type, v.data.value])).toEqual([['name', 'Cell, "q" 7'], ['colour', 'green']]);
  }, 120_000);

  it('shows an identifier with a QR code that decodes to its proxy URL, and prints labels of a selection', async () => {
    const { page } = browser;
    await page.locator('[data-test="menu-/enterprise/identifiers"]').click();
    await page.locator('[data-test=search-suffix]').fill('SKU-0000');
    await page.locator('[data-test=search]').click();
    await browser.expectText('共 10 条');
    await page.locator('[data-test=identifier-link]', { hasText: `${ACME}/SKU-00001` }).click();
    await page.waitForURL(/\/enterprise\/identifiers\/detail\?handle=/);
    await page.locator('[data-test=qr-image]').waitFor();
    await check('identifier');
    const png = PNG.sync.read(await saved(Promise.all([page.waitForEvent('download'), page.locator('[data-test=qr-png]').click()]).then(([d]) => d)));
    expect(jsQR(new Uint8ClampedArray(png.data), png.width, png.height)?.data).toBe(`${PUBLIC_URL}/${ACME}/SKU-00001`);
    const svg = await saved(Promise.all([page.waitForEvent('download'), page.locator('[data-test=qr-svg]').click()]).then(([d]) => d));
    expect(svg.toString('utf8')).toContain('<svg');

    // A search by value, then a label sheet of the page's 20 rows on a 3 × 2 grid: 4 pages.
    await page.goBack();
    await page.locator('[data-test=search-suffix]').fill('');
    // "Cup 12", "Cup 120"–"Cup 129", "Cup 1200"–"Cup 1299" (none of them a bad row)
    expect((await node.call('GET', `/api/v1/identifiers?value=${encodeURIComponent('Cup 12')}&pageSize=1`, acme.token)).body.total).toBe(111);
    await page.locator('[data-test=search-value]').fill('Cup 12');
    await page.locator('[data-test=search]').click();
    await browser.expectText('共 111 条');
    await page.locator('[data-test=identifiers-table] thead .el-checkbox').click();
    await page.locator('[data-test=labels-selection]').click();
    await page.locator('[data-test=label-rows] input').fill('3');
    await page.locator('[data-test=label-columns] input').fill('2');
    await page.locator('[data-test=label-columns] input').blur();
    await browser.expectText('共 4 页');
    await check('labels-dialog');
    const pdf = await saved(Promise.all([page.waitForEvent('download'), page.locator('[data-test=label-download]').click()]).then(([d]) => d));
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(pdfPages(pdf)).toBe(4);
  }, 120_000);

  it('creates an identifier through the form after a validation error and a refusal of the node', async () => {
    const { page } = browser;
    await page.goto(`${node.base}/console/enterprise/identifiers/new`);
    await page.locator('[data-test=field-suffix]').fill('SKU-00001');
    await page.locator('[data-test=save]').click();
    await browser.expectText('必填');
    await check('form-invalid');
    await page.locator('[data-test=field-name]').fill('Form cup');
    await page.locator('[data-test=save]').click();
    await browser.expectText('标识已存在');
    await page.locator('[data-test=field-suffix]').fill('FORM-1');
    await page.locator('[data-test=field-colour]').fill('blue');
    await page.locator('[data-test=save]').click();
    await page.waitForURL(/detail\?handle=88\.118\.71(\/|%2F)FORM-1$/);
    await browser.expectText('Form cup');
    const stored = await node.call('GET', `/api/v1/identifiers?suffix=FORM-1`, acme.token);
    expect(stored.body.items.map((i: { handle: string }) => i.handle)).toEqual([`${ACME}/FORM-1`]);

    await page.locator('[data-test=edit]').click();
    await page.waitForURL(/\/edit\?handle=/);
    await expect(page.locator('[data-test=field-name]').inputValue()).resolves.toBe('Form cup');
    await page.locator('[data-test=field-name]').fill('Form cup 2');
    await page.locator('[data-test=save]').click();
    await browser.expectText('已更新');
    await browser.expectText('Form cup 2');
  }, 120_000);

  it('adds and disables a template item, grants and revokes a partner, shows statistics and events', async () => {
    const { page } = browser;
    await page.locator('[data-test="menu-/enterprise/templates"]').click();
    await page.locator('[data-test=add-item-v1]').click();
    await page.locator('[data-test=item-name]').fill('批次');
    await page.locator('[data-test=item-type]').fill('batch no');
    await page.locator('[data-test=item-save]').click();
    await browser.expectText('类型只能包含');
    await page.locator('[data-test=item-type]').fill('batch');
    await page.locator('[data-test=item-save]').click();
    await page.locator('[data-test=disable-batch]').waitFor();
    await check('templates');
    await page.locator('[data-test=disable-batch]').click();
    await browser.expectText('已停用属性');
    const stored = await node.call('GET', `/snms/api/v5/template?prefix=${ACME}&version=v1`, acme.token);
    expect(stored.body.data.items.map((i: { idType: string; state: number }) => [i.idType, i.state])).toEqual([['name', 1], ['colour', 1], ['batch', 0]]);

    await page.locator('[data-test="menu-/enterprise/grants"]').click();
    await page.locator('[data-test=grantee]').fill('acme-partner');
    await page.locator('[data-test=grant]').click();
    await page.locator('[data-test=revoke-acme-partner]').waitFor();
    await check('grants');
    await page.locator('[data-test=revoke-acme-partner]').click();
    await page.locator('.el-message-box__btns .el-button--primary').click();
    await browser.expectText('还没有授权');
    expect((await node.call('GET', `/api/v1/enterprises/${acme.enterpriseId}/grants`, acme.token)).body.items).toEqual([]);

    await page.locator('[data-test="menu-/enterprise/stats"]').click();
    await page.locator('.chart[data-drawn=true]').waitFor({ timeout: 20_000 });
    await check('stats');

    await page.locator('[data-test="menu-/enterprise/events"]').click();
    await browser.expectText('commissioning');
    expect(await page.locator('[data-test=events-table] tbody tr').count()).toBe(3);
    await page.locator('[data-test=event-bizstep]').fill('shipping');
    await page.locator('[data-test=event-search]').click();
    await browser.expectText('hdl:88.118.71/SKU-00001');
    await page.locator('[data-test=events-table] tbody tr >> nth=1').waitFor({ state: 'detached' });
    expect(await page.locator('[data-test=events-table] tbody tr').count()).toBe(1);
    await check('events');

    await page.locator('[data-test=language]').click();
    await browser.expectText('Bulk upload');
    await page.locator('[data-test="menu-/enterprise/identifiers"]').click();
    await browser.expectText('Suffix starts with');
    await check('identifiers-en');
    await page.locator('[data-test=language]').click();
    await browser.expectText('批量注册');
  }, 120_000);

  it('keeps each enterprise to its own identifiers, in the console and in the API', async () => {
    const { page } = browser;
    await page.locator('[data-test=sign-out]').click();
    await browser.signIn(node.base, 'bolt-ent', ENTERPRISE_PASSWORD, /\/console\/enterprise\/identifiers$/);
    await browser.expectText(`${BOLT}/BOLT-SECRET`);
    await browser.expectText('共 1 条');
    await page.locator('[data-test=search-suffix]').fill('SKU');
    await page.locator('[data-test=search]').click();
    await browser.expectText('共 0 条');
    await check('other-enterprise');
    await page.goto(`${node.base}/console/enterprise/identifiers/detail?handle=${encodeURIComponent(`${ACME}/SKU-00001`)}`);
    await page.locator('.el-alert--error').waitFor();
    expect(await page.locator('[data-test=qr-image]').count()).toBe(0);

    expect((await node.call('GET', '/api/v1/identifiers?suffix=SKU', bolt.token)).body.total).toBe(0);
    expect((await node.call('GET', `/api/v1/identifiers?prefix=${ACME}`, bolt.token)).status).toBeGreaterThanOrEqual(403);
    expect((await node.call('GET', `/api/v1/identifiers/${ACME}/SKU-00001/qr`, bolt.token)).status).toBe(404);
    expect((await node.call('POST', '/api/v1/identifiers/labels', bolt.token, { handles: [`${ACME}/SKU-00001`], rows: 1, columns: 1 })).status).toBe(404);
    expect((await node.call('GET', `/api/v1/enterprises/${acme.enterpriseId}/grants`, bolt.token)).status).toBeGreaterThanOrEqual(403);
    // Bolt's upload page offers only Bolt's prefix, and the node refuses Bolt's import under Acme's.
    await page.locator('[data-test="menu-/enterprise/upload"]').click();
    await browser.expectText('suffix,name,colour');
    await page.locator('[data-test=prefix-select]').click();
    expect(await openOptions()).toEqual([BOLT]);
    await page.keyboard.press('Escape');
    const intrusion = await node.call('POST', `/api/v1/prefixes/${ACME}/imports?templateVersion=v1`, bolt.token, undefined, { rawBody: 'suffix,name\nBOLT-IN-1,intruder\n', headers: { 'content-type': 'text/csv' } });
    expect(intrusion.status).toBe(403);
    expect(intrusion.body.code).toBe('PREFIX_NOT_OWNED');
    expect(await storedUnder(ACME, 'BOLT-IN')).toBe(0);
    // Bolt's events page lists none of Acme's events.
    await page.locator('[data-test="menu-/enterprise/events"]').click();
    await browser.expectText('没有事件');
    expect(browser.errors).toEqual([]);
  }, 120_000);

  it("shows an import over the node's row limit (413), refuses one over its byte limit before sending it, and one over the registration quota (429), storing nothing", async () => {
    const { page } = browser;
    const CAPE = '88.118.73';
    const limited = await ConsoleNode.start('console_enterprise_limits', { IMPORT_MAX_ROWS: '100', IMPORT_MAX_BYTES: '8192', RATE_LIMITS_ENABLED: 'true', RATE_LIMIT_AUTHENTICATED: 'off', RATE_LIMIT_REGISTRATIONS: '150/1d' });
    try {
      await limited.approvedEnterprise(CAPE, 'cape-ent');
      const token = await limited.token('cape-ent', ENTERPRISE_PASSWORD);
      const created = await limited.call('POST', '/snms/api/v5/template', token, template(CAPE));
      expect(created.status).toBe(200);
      await browser.signIn(limited.base, 'cape-ent', ENTERPRISE_PASSWORD, /\/console\/enterprise\/identifiers$/);
      await page.locator('[data-test="menu-/enterprise/upload"]').click();
      await browser.expectText('suffix,name,colour');
      const file = (stem: string, count: number) => {
        const path = join(work, `${stem}.csv`);
        writeFileSync(path, importFile(stem, count));
        return path;
      };

      await importAndWait(file('QA', 101), 'refused');
      await browser.expectText('文件超过节点的导入上限 100 行，未存储任何标识。');
      expect(await storedUnder(CAPE, 'QA', limited.db)).toBe(0);

      await importAndWait(file('QB', 100), 'done');
      expect(await importCount('stored')).toBe('100');
      expect(await storedUnder(CAPE, 'QB', limited.db)).toBe(100);

      // Over IMPORT_MAX_BYTES (published at /api/v1/imports/limits): refused in the browser, never sent.
      const posted: string[] = [];
      const onRequest = (request: { method(): string; url(): string }) => {
        if (request.method() === 'POST' && request.url().includes('/imports?')) posted.push(request.url());
      };
      page.on('request', onRequest);
      const large = file('QE', 1000);
      expect(statSync(large).size).toBeGreaterThan(8192);
      await importAndWait(large, 'refused');
      page.off('request', onRequest);
      await browser.expectText('文件超过节点的导入上限 8.0 KB，未存储任何标识。');
      await browser.expectText(`文件大小为 ${(statSync(large).size / 1024).toFixed(1)} KB，未发送。`);
      expect(posted).toEqual([]);
      // Nothing was uploaded: no progress of an upload is shown.
      expect(await page.locator('[data-test=import-progress]').count()).toBe(0);
      expect(await storedUnder(CAPE, 'QE', limited.db)).toBe(0);
      await check('import-not-sent');

      // 100 of 150 registrations used today: 60 more would pass the quota.
      await importAndWait(file('QC', 60), 'refused');
      const refusal = await page.locator('[data-test=import-refused]').innerText();
      expect(refusal).toMatch(/注册配额不足，未存储任何标识。请 24 小时后（.+ 之后）再试。/);
      expect(await storedUnder(CAPE, 'QC', limited.db)).toBe(0);
      await check('import-quota');
      await page.locator('[data-test=language]').click();
      await browser.expectText('The registration quota refuses this file; nothing was stored. Try again in 24 h (after');
      await check('import-quota-en');
      await page.locator('[data-test=language]').click();

      // No answer from the node: the page claims nothing stored, nor anything partial.
      await page.route('**/imports?*', (route) => route.abort('connectionreset'));
      await importAndWait(file('QD', 10), 'failed');
      await page.unroute('**/imports?*');
      await browser.expectText('未收到节点的答复');
      await browser.expectText('导入要么存入整个文件，要么一行也不存');
      expect(await storedUnder(CAPE, 'QD', limited.db)).toBe(0);
      expect(browser.errors).toEqual([]);
    } finally {
      await limited.stop();
    }
  }, 120_000);
});
