import { existsSync } from 'node:fs';
import { inflateSync } from 'node:zlib';
import jsQR from 'jsqr';
import { SaxesParser } from 'saxes';
import { type HttpReply, request } from '../support/http';
import { NodeProcess } from '../support/node-process';
import { createTestDatabase, databaseFingerprint, type TestDatabase } from '../support/test-database';
import { applicationBody, JWT_SECRET, OPERATOR_PASSWORD, TestNode } from '../support/test-node';

// pngjs comes with qrcode (it writes the PNGs); it has no types of its own.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { PNG } = require('pngjs') as { PNG: { sync: { read(buffer: Buffer): { width: number; height: number; data: Buffer } } } };

/** The node's public URL, with a path: the proxy is published under it behind a reverse proxy. */
const PUBLIC_URL = 'https://id.example.cn/idis';
const CJK_FONT = '/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc';
const ACME = '88.118.8';
const BOLT = '88.118.9';

/** What a phone opens for prefix/suffix: the public URL, the prefix, the suffix path-encoded. */
function expectedUrl(prefix: string, suffix: string): string {
  return `${PUBLIC_URL}/${prefix}/${suffix.split('/').map(encodeURIComponent).join('/')}`;
}

function expectProblem(reply: HttpReply, status: number, code: string): void {
  expect({ status: reply.status, code: reply.body?.code }).toEqual({ status, code });
  expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
}

/** A binary reply (fetch straight, the shared helper reads text). */
async function fetchBytes(base: string, path: string, token: string, headers: Record<string, string> = {}, init: { method?: string; body?: unknown } = {}) {
  const response = await fetch(`${base}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${token}`, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  return { status: response.status, headers: response.headers, bytes: Buffer.from(await response.arrayBuffer()) };
}

function decodeQr(png: Buffer): string | undefined {
  const image = PNG.sync.read(png);
  return jsQR(new Uint8ClampedArray(image.data), image.width, image.height)?.data;
}

/** Pages of a PDF: its page objects (not the /Pages tree). */
function pageCount(pdf: Buffer): number {
  return (pdf.toString('latin1').match(/\/Type \/Page\b(?!s)/g) ?? []).length;
}

/** The text a PDF shows: every string of its (inflated) content streams, in order, joined. */
function pdfText(pdf: Buffer): string {
  const raw = pdf.toString('latin1');
  const shown: string[] = [];
  for (const match of raw.matchAll(/stream\r?\n([\s\S]*?)\r?\nendstream/g)) {
    let content: string;
    try {
      content = inflateSync(Buffer.from(match[1], 'latin1')).toString('latin1');
    } catch {
      continue;
    }
    for (const operation of content.matchAll(/\[((?:[^\]])*)\]\s*TJ|<([0-9a-fA-F]*)>\s*Tj|\(((?:\\.|[^)])*)\)\s*Tj/g)) {
      if (operation[1] !== undefined) {
        for (const piece of operation[1].matchAll(/<([0-9a-fA-F]*)>|\(((?:\\.|[^)])*)\)/g)) shown.push(piece[1] !== undefined ? Buffer.from(piece[1], 'hex').toString('latin1') : piece[2]);
      } else if (operation[2] !== undefined) shown.push(Buffer.from(operation[2], 'hex').toString('latin1'));
      else shown.push(operation[3]);
    }
  }
  return shown.join('');
}

/**
 * The enterprise side of the console (issue 12, item 5), against a real node process and a real
 * PostgreSQL: listing and searching identifiers, each identifier's QR code (decoded here to the
 * node's proxy URL), and A4 label sheets; another enterprise is refused on every route, partners
 * are refused, and every bad input is a 400 that changes nothing.
 */
describe('identifiers: list and search, QR codes, label sheets', () => {
  let db: TestDatabase;
  let node: NodeProcess;
  let base: string;
  let operator: string;
  let acme: string;
  let bolt: string;
  let partner: string;
  /** Acme's handles as registered, in key order. */
  let acmeHandles: string[];

  const call = (method: string, path: string, token: string | undefined, body?: unknown) => request(base, method, path, { token, body });

  /** Sends `send` (refused requests) and checks that no table changed. */
  async function unchangedBy<T>(send: () => Promise<T>): Promise<T> {
    const before = await databaseFingerprint(db.client);
    const result = await send();
    expect(await databaseFingerprint(db.client)).toEqual(before);
    return result;
  }

  async function enterprise(prefix: string, username: string): Promise<string> {
    const application = await call('POST', '/api/v1/enterprises/applications', undefined, applicationBody(prefix, username));
    expect(application.status).toBe(201);
    expect((await call('POST', `/api/v1/enterprises/applications/${application.body.id}/approve`, operator)).status).toBe(200);
    const login = await call('POST', '/api/v1/auth/token', undefined, { username, password: 'enterprise-pass-1' });
    return login.body.accessToken as string;
  }

  async function register(token: string, prefix: string, records: Array<{ suffix: string; name: string; color?: string }>): Promise<void> {
    const template = await call('POST', '/snms/api/v5/template', token, {
      prefix,
      version: 'v1',
      industryCategory: 'C',
      industrySpecific: '38',
      industryTrade: '384',
      industrySubclass: '3841',
      type: 1,
      items: [
        { name: '名称', idType: 'name', required: true, metadata: { type: 'string', minLength: 1, maxLength: 64 } },
        { name: '颜色', idType: 'color', metadata: { type: 'string', minLength: 0, maxLength: 64 } },
      ],
    });
    expect(template.body.status).toBe(1);
    const batch = await call(
      'POST',
      '/identityv2/data/batchCreate',
      token,
      records.map((r) => ({
        handle: `${prefix}/${r.suffix}`,
        templateVersion: 'v1',
        value: [
          { index: 2000, type: 'name', data: { format: 'string', value: r.name } },
          ...(r.color === undefined ? [] : [{ index: 2001, type: 'color', data: { format: 'string', value: r.color } }]),
        ],
      })),
    );
    expect(batch.body.data.map((item: { code: number }) => item.code)).toEqual(records.map(() => 1));
  }

  beforeAll(async () => {
    db = await createTestDatabase('labels');
    // No CJK font here, whatever the machine has: Latin-1 labels as with a bare `npm start` (a node with one is below).
    node = NodeProcess.spawn({ DATABASE_URL: db.url, OPERATOR_PASSWORD, JWT_SECRET, PORT: '0', HOST: '127.0.0.1', PUBLIC_URL, LABEL_FONT: 'none' });
    base = await node.ready();
    operator = (await call('POST', '/api/v1/auth/token', undefined, { username: 'operator', password: OPERATOR_PASSWORD })).body.accessToken;
    acme = await enterprise(ACME, 'labels-acme');
    bolt = await enterprise(BOLT, 'labels-bolt');
    expect((await call('POST', '/api/v1/partners', operator, { username: 'labels-partner', password: 'partner-pass-1', orgName: 'Scanner Co' })).status).toBe(201);
    partner = (await call('POST', '/api/v1/auth/token', undefined, { username: 'labels-partner', password: 'partner-pass-1' })).body.accessToken;
    await register(acme, ACME, [
      ...Array.from({ length: 22 }, (_, i) => ({ suffix: `SKU-${String(i + 1).padStart(4, '0')}`, name: `Widget ${i + 1}`, color: i % 2 === 0 ? '红色 500ml' : 'blue' })),
      { suffix: 'LOT-A1', name: 'Lot A1', color: 'say "hi"' },
      { suffix: 'lot-a2', name: 'Lot A2 50%_off' },
      { suffix: 'LOT-B1', name: 'Lot B1 500 off' },
      { suffix: '红色/批次 1', name: '红色批次' },
      { suffix: 'box/7', name: 'Box #7?' },
    ]);
    await register(bolt, BOLT, [
      { suffix: 'SKU-0001', name: 'Bolt widget', color: '红色 500ml' },
      { suffix: 'LOT-A1', name: 'Bolt lot' },
    ]);
    acmeHandles = (await db.client.query<{ handle: string }>(`SELECT handle FROM identifiers WHERE prefix_key = $1 ORDER BY handle_key`, [ACME])).rows.map((r) => r.handle);
    expect(acmeHandles).toHaveLength(27);
  }, 180_000);

  afterAll(async () => {
    await node?.stop();
    await db?.drop();
  });

  describe('GET /api/v1/identifiers', () => {
    const handlesOf = (reply: HttpReply) => reply.body.items.map((item: { handle: string }) => item.handle);

    it('lists an enterprise\'s own identifiers in handle order, paged, with their values', async () => {
      const all = await call('GET', '/api/v1/identifiers?pageSize=200', acme);
      expect(all.status).toBe(200);
      expect(handlesOf(all)).toEqual(acmeHandles);
      expect(all.body).toMatchObject({ total: 27, totalCapped: false, valueScanLimited: false, page: 1, pageSize: 200 });
      const sku = all.body.items.find((item: { handle: string }) => item.handle === `${ACME}/SKU-0001`);
      expect(sku).toEqual({
        handle: `${ACME}/SKU-0001`,
        prefix: ACME,
        suffix: 'SKU-0001',
        templateVersion: 'v1',
        values: [
          { index: 1001, type: 'TEMPLATE', data: { format: 'string', value: 'v1' } },
          { index: 2000, type: 'name', data: { format: 'string', value: 'Widget 1' } },
          { index: 2001, type: 'color', data: { format: 'string', value: '红色 500ml' } },
        ],
        updatedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      });
      const second = await call('GET', '/api/v1/identifiers?page=2&pageSize=10', acme);
      expect(second.body).toMatchObject({ total: 27, page: 2, pageSize: 10 });
      expect(handlesOf(second)).toEqual(acmeHandles.slice(10, 20));
      const beyond = await call('GET', '/api/v1/identifiers?page=4&pageSize=10', acme);
      expect(beyond.body).toMatchObject({ items: [], total: 27, page: 4 });
    });

    it('finds by suffix start (ASCII case ignored) and by a value\'s text (case ignored, % and _ literal), never another tenant\'s', async () => {
      const search = async (query: string, token = acme) => {
        const reply = await call('GET', `/api/v1/identifiers?pageSize=200&${query}`, token);
        expect(reply.status).toBe(200);
        expect(reply.body.total).toBe(reply.body.items.length);
        return handlesOf(reply);
      };
      expect(await search('suffix=sku-001')).toEqual(Array.from({ length: 10 }, (_, i) => `${ACME}/SKU-${String(i + 10).padStart(4, '0')}`));
      expect(await search('suffix=LOT-A')).toEqual([`${ACME}/LOT-A1`, `${ACME}/lot-a2`]);
      expect(await search(`suffix=${encodeURIComponent('红色/')}`)).toEqual([`${ACME}/红色/批次 1`]);
      expect(await search('suffix=nothing-like-this')).toEqual([]);
      // Odd-numbered SKUs hold 红色 500ml; Bolt's SKU-0001 does too, and stays Bolt's.
      const red = acmeHandles.filter((h) => /SKU-\d+$/.test(h) && Number(h.slice(-4)) % 2 === 1);
      expect(await search(`value=${encodeURIComponent('红色 500')}`)).toEqual(red);
      expect(await search('value=500ML')).toEqual(red);
      expect(await search(`value=${encodeURIComponent('红色 500')}`, bolt)).toEqual([`${BOLT}/SKU-0001`]);
      expect(await search('value=500')).toEqual([`${ACME}/LOT-B1`, ...red].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1)));
      expect(await search(`value=${encodeURIComponent('50%_')}`)).toEqual([`${ACME}/lot-a2`]);
      expect(await search(`value=${encodeURIComponent('say "hi"')}`)).toEqual([`${ACME}/LOT-A1`]);
      expect(await search(`value=${encodeURIComponent('#7?')}`)).toEqual([`${ACME}/box/7`]);
      // Values only: the handle's own text is not searched.
      expect(await search('value=SKU-0003')).toEqual([]);
      expect(await search('suffix=SKU-000&value=blue')).toEqual(acmeHandles.filter((h) => /SKU-000\d$/.test(h) && Number(h.slice(-1)) % 2 === 0));
      const paged = await call('GET', `/api/v1/identifiers?value=${encodeURIComponent('红色 500')}&page=2&pageSize=4`, acme);
      expect(paged.body).toMatchObject({ total: 11, page: 2, pageSize: 4 });
      expect(handlesOf(paged)).toEqual(red.slice(4, 8));
    });

    it('keeps each enterprise to its own prefixes; an operator sees every prefix; partners are refused', async () => {
      expect(handlesOf(await call('GET', '/api/v1/identifiers', bolt))).toEqual([`${BOLT}/LOT-A1`, `${BOLT}/SKU-0001`]);
      expectProblem(await call('GET', `/api/v1/identifiers?prefix=${ACME}`, bolt), 403, 'PREFIX_NOT_OWNED');
      expectProblem(await call('GET', `/api/v1/identifiers?prefix=${ACME}&suffix=SKU`, bolt), 403, 'PREFIX_NOT_OWNED');
      expect(handlesOf(await call('GET', `/api/v1/identifiers?prefix=${BOLT}&value=lot`, bolt))).toEqual([`${BOLT}/LOT-A1`]);
      const everything = await call('GET', '/api/v1/identifiers?pageSize=200', operator);
      expect(handlesOf(everything)).toEqual([...acmeHandles, `${BOLT}/LOT-A1`, `${BOLT}/SKU-0001`]);
      expect(handlesOf(await call('GET', `/api/v1/identifiers?prefix=${BOLT}&suffix=sku`, operator))).toEqual([`${BOLT}/SKU-0001`]);
      expect(handlesOf(await call('GET', `/api/v1/identifiers?value=${encodeURIComponent('红色 500')}&pageSize=200`, operator))).toHaveLength(12);
      expectProblem(await call('GET', '/api/v1/identifiers', partner), 403, 'FORBIDDEN');
      expectProblem(await call('GET', '/api/v1/identifiers', undefined), 401, 'AUTHENTICATION_REQUIRED');
    });

    it('refuses bad parameters with 400 and an unknown prefix with 404, changing nothing', async () => {
      await unchangedBy(async () => {
        for (const query of [
          'pageSize=0',
          'pageSize=201',
          'page=0',
          'page=abc',
          'page=501&pageSize=200',
          'pagesize=10',
          'q=x',
          'page=1&page=2',
          `suffix=${'a'.repeat(256)}`,
          `value=${'a'.repeat(101)}`,
          'value=%01x',
          'suffix=a%0Ab',
          'prefix=88..1',
          'suffix=SKU',
        ]) {
          const token = query === 'suffix=SKU' ? operator : acme;
          const reply = await call('GET', `/api/v1/identifiers?${query}`, token);
          expect({ query, status: reply.status, code: reply.body?.code }).toEqual({ query, status: 400, code: 'VALIDATION_FAILED' });
        }
        expectProblem(await call('GET', '/api/v1/identifiers?prefix=88.118.77', acme), 404, 'PREFIX_NOT_FOUND');
        expectProblem(await call('GET', '/api/v1/identifiers?prefix=88.118.77', operator), 404, 'PREFIX_NOT_FOUND');
      });
    });
  });

  describe('GET /api/v1/identifiers/{handle}/qr', () => {
    it('answers a PNG that decodes to exactly the node\'s proxy URL of the handle, cacheable and revalidated by ETag', async () => {
      const reply = await fetchBytes(base, `/api/v1/identifiers/${ACME}/SKU-0001/qr`, acme);
      expect(reply.status).toBe(200);
      expect(reply.headers.get('content-type')).toBe('image/png');
      expect(reply.headers.get('cache-control')).toBe('private, max-age=86400');
      const etag = reply.headers.get('etag') as string;
      expect(etag).toMatch(/^"[\w-]{32}"$/);
      expect(PNG.sync.read(reply.bytes).width).toBe(256);
      expect(decodeQr(reply.bytes)).toBe(`${PUBLIC_URL}/${ACME}/SKU-0001`);
      const again = await fetchBytes(base, `/api/v1/identifiers/${ACME}/SKU-0001/qr`, acme, { 'if-none-match': etag });
      expect(again.status).toBe(304);
      expect(again.bytes.length).toBe(0);
      // The operator gets the same code; any size from 64 to 2048.
      const large = await fetchBytes(base, `/api/v1/identifiers/${ACME}/SKU-0001/qr?format=png&size=600`, operator);
      expect(PNG.sync.read(large.bytes).width).toBe(600);
      expect(decodeQr(large.bytes)).toBe(`${PUBLIC_URL}/${ACME}/SKU-0001`);
    });

    it('path-encodes the suffix, and the URL is one the node\'s proxy resolves to that identifier', async () => {
      for (const [suffix, path] of [
        ['红色/批次 1', `/api/v1/identifiers/${ACME}/${encodeURIComponent('红色')}/${encodeURIComponent('批次 1')}/qr`],
        ['box/7', `/api/v1/identifiers/${ACME}/box/7/qr`],
        ['lot-a2', `/api/v1/identifiers/${ACME}/LOT-A2/qr`],
      ]) {
        const reply = await fetchBytes(base, `${path}?size=400`, acme);
        expect(reply.status).toBe(200);
        const url = decodeQr(reply.bytes) as string;
        expect(url).toBe(expectedUrl(ACME, suffix));
        // Behind the reverse proxy, PUBLIC_URL's path maps to the node's root.
        const proxied = await request(base, 'GET', `${url.slice(PUBLIC_URL.length)}?noredirect`, { headers: { accept: 'application/json' } });
        expect({ status: proxied.status, handle: proxied.body?.handle }).toEqual({ status: 200, handle: `${ACME}/${suffix}` });
      }
    });

    it('answers a well-formed SVG of the requested size', async () => {
      const reply = await fetchBytes(base, `/api/v1/identifiers/${ACME}/LOT-A1/qr?format=svg&size=300`, acme);
      expect(reply.status).toBe(200);
      expect(reply.headers.get('content-type')).toBe('image/svg+xml; charset=utf-8');
      const elements: Array<{ name: string; attributes: Record<string, string> }> = [];
      const parser = new SaxesParser({ xmlns: false });
      parser.on('opentag', (tag) => elements.push({ name: tag.name, attributes: tag.attributes as Record<string, string> }));
      parser.write(reply.bytes.toString('utf8')).close();
      expect(elements[0]).toMatchObject({ name: 'svg', attributes: { xmlns: 'http://www.w3.org/2000/svg', width: '300', height: '300' } });
      expect(elements.filter((e) => e.name === 'path').length).toBeGreaterThan(0);
    });

    it('gives another enterprise the answer of a missing handle, and refuses partners', async () => {
      const foreign = await request(base, 'GET', `/api/v1/identifiers/${ACME}/SKU-0001/qr`, { token: bolt });
      const missing = await request(base, 'GET', `/api/v1/identifiers/${ACME}/NO-SUCH-ONE/qr`, { token: bolt });
      expectProblem(foreign, 404, 'HANDLE_NOT_FOUND');
      expectProblem(missing, 404, 'HANDLE_NOT_FOUND');
      expect(foreign.body.detail.replace('SKU-0001', 'X')).toBe(missing.body.detail.replace('NO-SUCH-ONE', 'X'));
      expectProblem(await request(base, 'GET', `/api/v1/identifiers/${ACME}/NO-SUCH-ONE/qr`, { token: acme }), 404, 'HANDLE_NOT_FOUND');
      expectProblem(await request(base, 'GET', `/api/v1/identifiers/${ACME}/SKU-0001/qr`, { token: partner }), 403, 'FORBIDDEN');
      expectProblem(await request(base, 'GET', `/api/v1/identifiers/${ACME}/SKU-0001/qr`, {}), 401, 'AUTHENTICATION_REQUIRED');
    });

    it('refuses an unknown format, a size out of range, an unknown parameter and a bad handle with 400', async () => {
      await unchangedBy(async () => {
        for (const [path, code] of [
          [`/api/v1/identifiers/${ACME}/SKU-0001/qr?format=gif`, 'VALIDATION_FAILED'],
          [`/api/v1/identifiers/${ACME}/SKU-0001/qr?format=PNG`, 'VALIDATION_FAILED'],
          [`/api/v1/identifiers/${ACME}/SKU-0001/qr?size=63`, 'VALIDATION_FAILED'],
          [`/api/v1/identifiers/${ACME}/SKU-0001/qr?size=2049`, 'VALIDATION_FAILED'],
          [`/api/v1/identifiers/${ACME}/SKU-0001/qr?size=1.5`, 'VALIDATION_FAILED'],
          [`/api/v1/identifiers/${ACME}/SKU-0001/qr?width=100`, 'VALIDATION_FAILED'],
          [`/api/v1/identifiers/${ACME}/SKU-0001/qr?format=png&format=svg`, 'VALIDATION_FAILED'],
          ['/api/v1/identifiers/no-slash-here/qr', 'INVALID_HANDLE'],
          // Fastify refuses a path that is not valid percent-encoding before any route sees it.
          [`/api/v1/identifiers/${ACME}/%E0%A4%A/qr`, 'VALIDATION_FAILED'],
          [`/api/v1/identifiers/${ACME}/${'x'.repeat(260)}/qr`, 'INVALID_HANDLE'],
        ]) {
          const reply = await request(base, 'GET', path, { token: acme });
          expect({ path, status: reply.status, code: reply.body?.code }).toEqual({ path, status: 400, code });
        }
        expectProblem(await request(base, 'GET', `/api/v1/identifiers/${ACME}/SKU-0001/png`, { token: acme }), 404, 'NOT_FOUND');
      });
    });
  });

  describe('POST /api/v1/identifiers/labels', () => {
    it('draws an A4 PDF with one code per cell, the handle under it, as many pages as the labels need', async () => {
      const handles = acmeHandles.slice(0, 7);
      const reply = await fetchBytes(base, '/api/v1/identifiers/labels', acme, {}, { method: 'POST', body: { handles, rows: 2, columns: 2, title: 'Lot A - été' } });
      expect(reply.status).toBe(200);
      expect(reply.headers.get('content-type')).toBe('application/pdf');
      expect(reply.headers.get('content-disposition')).toBe('attachment; filename="labels.pdf"');
      expect(reply.headers.get('x-label-pages')).toBe('2');
      expect(reply.bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
      expect(reply.bytes.subarray(-6).toString('latin1')).toMatch(/%%EOF\s*$/);
      expect(pageCount(reply.bytes)).toBe(2);
      expect(reply.bytes.toString('latin1')).toContain('/MediaBox [0 0 595.28 841.89]');
      const text = pdfText(reply.bytes);
      for (const handle of handles) expect(text).toContain(handle);
      expect(text.split('Lot A - été').length - 1).toBe(2);
      expect(text).not.toContain(acmeHandles[7]);
    });

    it('prints a handle the font cannot show in the percent-encoded form its code holds; an operator may print any', async () => {
      const reply = await fetchBytes(base, '/api/v1/identifiers/labels', operator, {}, { method: 'POST', body: { handles: [`${ACME}/红色/批次 1`, `${BOLT}/LOT-A1`], rows: 1, columns: 2 } });
      expect(reply.status).toBe(200);
      expect(pageCount(reply.bytes)).toBe(1);
      const text = pdfText(reply.bytes);
      expect(text).toContain(`${ACME}/%E7%BA%A2%E8%89%B2/%E6%89%B9%E6%AC%A1%201`);
      expect(text).not.toContain('红');
      expect(text).toContain(`${BOLT}/LOT-A1`);
    });

    it('with a CJK font (LABEL_FONT), prints Chinese handles and titles as they are, embedding only the glyphs used; refuses what no font has', async () => {
      expect(existsSync(CJK_FONT)).toBe(true); // apt-get install -y fonts-wqy-zenhei (.ci/run does)
      const withFont = NodeProcess.spawn({ DATABASE_URL: db.url, OPERATOR_PASSWORD, JWT_SECRET, PORT: '0', HOST: '127.0.0.1', PUBLIC_URL, LABEL_FONT: CJK_FONT });
      try {
        const other = await withFont.ready();
        const reply = await fetchBytes(other, '/api/v1/identifiers/labels', acme, {}, { method: 'POST', body: { handles: [`${ACME}/红色/批次 1`, `${ACME}/SKU-0001`], rows: 1, columns: 2, title: '产品标签 Lot A' } });
        expect(reply.status).toBe(200);
        expect(pageCount(reply.bytes)).toBe(1);
        const raw = reply.bytes.toString('latin1');
        // A subset of the font (a six-letter tag + its PostScript name), well under the 17 MB file.
        expect(raw).toMatch(/\/BaseFont \/[A-Z]{6}\+WenQuanYiZenHei/);
        expect(reply.bytes.length).toBeLessThan(200_000);
        const text = pdfText(reply.bytes);
        expect(text).not.toContain('%E7%BA%A2');
        expect(text).toContain(`${ACME}/SKU-0001`);
        const emoji = await request(other, 'POST', '/api/v1/identifiers/labels', { token: acme, body: { handles: [`${ACME}/SKU-0001`], rows: 1, columns: 1, title: '标签 😀' } });
        expect(emoji.status).toBe(400);
        expect(emoji.body.detail).toMatch(/^title: 😀 cannot be printed with the label fonts \(Helvetica and .*wqy-zenhei.ttc\)/);
      } finally {
        await withFont.stop();
      }
    }, 120_000);

    it('pages 2,000 labels at 20 × 10 into 10 pages; a third sheet while two are drawn is refused with 429', async () => {
      const handles = Array.from({ length: 2000 }, (_, i) => acmeHandles[i % acmeHandles.length]);
      const body = { handles, rows: 20, columns: 10 };
      let drawing = true;
      const sheets = Promise.all([0, 1, 2].map(() => fetchBytes(base, '/api/v1/identifiers/labels', acme, {}, { method: 'POST', body }))).finally(() => {
        drawing = false;
      });
      // Drawing gives the event loop a turn every few labels: resolutions keep being answered meanwhile.
      const latencies: number[] = [];
      while (drawing) {
        const started = Date.now();
        const resolved = await request(base, 'GET', `/${ACME}/SKU-0001?noredirect`, { headers: { accept: 'application/json' } });
        expect(resolved.status).toBe(200);
        latencies.push(Date.now() - started);
      }
      const replies = await sheets;
      expect(latencies.length).toBeGreaterThan(5);
      expect(Math.max(...latencies)).toBeLessThan(1000);
      const drawn = replies.filter((r) => r.status === 200);
      const refused = replies.filter((r) => r.status === 429);
      expect(drawn).toHaveLength(2);
      expect(refused).toHaveLength(1);
      expect(refused[0].headers.get('retry-after')).toBe('5');
      expect(JSON.parse(refused[0].bytes.toString('utf8')).code).toBe('RATE_LIMITED');
      for (const reply of drawn) {
        expect(reply.headers.get('x-label-pages')).toBe('10');
        expect(pageCount(reply.bytes)).toBe(10);
      }
      // Once they are done, the next sheet is drawn again.
      const after = await fetchBytes(base, '/api/v1/identifiers/labels', acme, {}, { method: 'POST', body: { handles: handles.slice(0, 3), rows: 20, columns: 10 } });
      expect({ status: after.status, pages: pageCount(after.bytes) }).toEqual({ status: 200, pages: 1 });
    });

    it('refuses the whole sheet when one handle is another enterprise\'s or missing (404), and partners (403)', async () => {
      await unchangedBy(async () => {
        const foreign = await request(base, 'POST', '/api/v1/identifiers/labels', { token: bolt, body: { handles: [`${BOLT}/LOT-A1`, `${ACME}/SKU-0001`, `${ACME}/NOPE`], rows: 2, columns: 2 } });
        expectProblem(foreign, 404, 'HANDLE_NOT_FOUND');
        expect(foreign.body.errors).toEqual([
          { path: '/handles/1', message: 'not found' },
          { path: '/handles/2', message: 'not found' },
        ]);
        expectProblem(await request(base, 'POST', '/api/v1/identifiers/labels', { token: partner, body: { handles: [`${ACME}/SKU-0001`], rows: 1, columns: 1 } }), 403, 'FORBIDDEN');
      });
    });

    it('refuses bad bodies with 400: too many handles, rows or columns out of range, a long or non-Latin-1 title, a bad handle', async () => {
      const good = { handles: [`${ACME}/SKU-0001`], rows: 2, columns: 2 };
      await unchangedBy(async () => {
        for (const [label, body, code] of [
          ['2001 handles', { ...good, handles: Array.from({ length: 2001 }, () => `${ACME}/SKU-0001`) }, 'VALIDATION_FAILED'],
          ['no handles', { ...good, handles: [] }, 'VALIDATION_FAILED'],
          ['rows 0', { ...good, rows: 0 }, 'VALIDATION_FAILED'],
          ['rows 21', { ...good, rows: 21 }, 'VALIDATION_FAILED'],
          ['columns 11', { ...good, columns: 11 }, 'VALIDATION_FAILED'],
          ['rows 2.5', { ...good, rows: 2.5 }, 'VALIDATION_FAILED'],
          ['rows as text', { ...good, rows: '2' }, 'VALIDATION_FAILED'],
          ['no columns', { handles: good.handles, rows: 2 }, 'VALIDATION_FAILED'],
          ['unknown field', { ...good, format: 'letter' }, 'VALIDATION_FAILED'],
          ['title 101', { ...good, title: 'x'.repeat(101) }, 'VALIDATION_FAILED'],
          ['title CJK', { ...good, title: '产品标签' }, 'VALIDATION_FAILED'],
          ['title control', { ...good, title: 'a\u0007b' }, 'VALIDATION_FAILED'],
          ['bad handle', { ...good, handles: [`${ACME}/SKU-0001`, 'no-slash'] }, 'INVALID_HANDLE'],
          ['not an object', [good], 'VALIDATION_FAILED'],
        ] as Array<[string, unknown, string]>) {
          const reply = await request(base, 'POST', '/api/v1/identifiers/labels', { token: acme, body });
          expect({ label, status: reply.status, code: reply.body?.code }).toEqual({ label, status: 400, code });
        }
        const cjk = await request(base, 'POST', '/api/v1/identifiers/labels', { token: acme, body: { ...good, title: '产品标签' } });
        expect(cjk.body.detail).toMatch(/产 品 标 签 cannot be printed with the label fonts \(Helvetica \(Latin-1 only; no CJK font is configured: LABEL_FONT\)\)/);
        const bad = await request(base, 'POST', '/api/v1/identifiers/labels', { token: acme, body: { ...good, handles: [`${ACME}/SKU-0001`, 'no-slash'] } });
        expect(bad.body.errors).toEqual([{ path: '/handles/1', message: expect.stringContaining('no "/"') }]);
      });
    });
  });

  it('documents the routes in the OpenAPI document', async () => {
    const paths = (await call('GET', '/docs/openapi.json', undefined)).body.paths;
    expect(Object.keys(paths['/api/v1/identifiers'])).toEqual(['get']);
    expect(Object.keys(paths['/api/v1/identifiers/labels'])).toEqual(['post']);
    expect(Object.keys(paths['/api/v1/identifiers/{path}'])).toEqual(['get']);
    expect(paths['/api/v1/identifiers/{path}'].get.parameters.map((p: { name: string }) => p.name).sort()).toEqual(['format', 'path', 'size']);
    expect(Object.keys(paths['/api/v1/templates'])).toEqual(['get']);
  });

  describe('GET /api/v1/templates', () => {
    it('lists a prefix\'s templates newest first with every item the registration form needs', async () => {
      const second = await call('POST', '/snms/api/v5/template', acme, {
        prefix: ACME,
        version: 'v2',
        industryCategory: 'C',
        industrySpecific: '38',
        industryTrade: '384',
        industrySubclass: '3841',
        type: 1,
        items: [
          { name: '名称', idType: 'name', required: true, metadata: { type: 'string', minLength: 2, maxLength: 32 } },
          { name: '批次', idType: 'batch', state: 0, metadata: { type: 'string', minLength: 0, maxLength: 20 } },
        ],
      });
      expect(second.body.status).toBe(1);
      const reply = await call('GET', `/api/v1/templates?prefix=${ACME}`, acme);
      expect(reply.status).toBe(200);
      expect(reply.body).toMatchObject({ total: 2, page: 1, pageSize: 20 });
      expect(reply.body.items.map((t: { version: string }) => t.version)).toEqual(['v2', 'v1']);
      expect(reply.body.items[0]).toMatchObject({ prefix: ACME, version: 'v2', type: 1, industryCategory: 'C' });
      expect(reply.body.items[0].items).toEqual([
        { name: '名称', idType: 'name', idIndex: 2000, required: true, state: 1, metadata: { type: 'string', minLength: 2, maxLength: 32 } },
        { name: '批次', idType: 'batch', idIndex: 2001, required: false, state: 0, metadata: { type: 'string', minLength: 0, maxLength: 20 } },
      ]);
      // Each item as the SNMS API gives it for one version.
      const one = await call('GET', `/snms/api/v5/template?prefix=${ACME}&version=v1`, acme);
      expect(reply.body.items[1]).toEqual(one.body.data);
      const paged = await call('GET', `/api/v1/templates?prefix=${ACME}&page=2&pageSize=1`, operator);
      expect(paged.body.items.map((t: { version: string }) => t.version)).toEqual(['v1']);
    });

    it('refuses another enterprise\'s prefix, partners and bad parameters, changing nothing', async () => {
      await unchangedBy(async () => {
        expectProblem(await call('GET', `/api/v1/templates?prefix=${ACME}`, bolt), 403, 'PREFIX_NOT_OWNED');
        expectProblem(await call('GET', `/api/v1/templates?prefix=${ACME}`, partner), 403, 'FORBIDDEN');
        expectProblem(await call('GET', '/api/v1/templates?prefix=88.118.77', acme), 404, 'PREFIX_NOT_FOUND');
        for (const query of ['', 'prefix=', `prefix=${ACME}&pageSize=0`, `prefix=${ACME}&pageSize=201`, `prefix=${ACME}&version=v1`, 'prefix=88..1', `prefix=${'8'.repeat(65)}`]) {
          const reply = await call('GET', `/api/v1/templates?${query}`, acme);
          expect({ query, status: reply.status, code: reply.body?.code }).toEqual({ query, status: 400, code: 'VALIDATION_FAILED' });
        }
      });
    });
  });
});

/** Without PUBLIC_URL on a free port, the code holds the address the node listens on. */
describe('QR codes of a node without PUBLIC_URL', () => {
  let node: TestNode;

  beforeAll(async () => {
    node = await TestNode.start({ PORT: '0' });
  });
  afterAll(async () => {
    await node?.stop();
  });

  it('encodes the listening address', async () => {
    const acme = await node.approvedEnterprise(ACME, 'qr-acme');
    const put = await node.request('PUT', `/api/handles/${ACME}/Crate-9`, { token: acme.token, body: { values: [{ index: 1, type: 'URL', data: { format: 'string', value: 'https://example.cn/crate/9' } }] } });
    expect(put.status).toBe(200);
    const reply = await fetchBytes(node.baseUrl, `/api/v1/identifiers/${ACME}/Crate-9/qr`, acme.token);
    expect(reply.status).toBe(200);
    expect(decodeQr(reply.bytes)).toBe(`${node.baseUrl}/${ACME}/Crate-9`);
  });
});
