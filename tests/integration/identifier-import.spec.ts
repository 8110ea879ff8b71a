import { createHash } from 'node:crypto';
import Redis from 'ioredis';
import { seedViaImport } from '@idis/loadgen';
import { UsageCounter } from '../../apps/secondary-node/src/statistics/usage-counter';
import { type EnterpriseFixture, TestNode } from '../support/test-node';
import { waitForElapsed } from '../support/wait-for';
import { uniqueKeyPrefix } from './resolution-harness';

const REDIS_URL = 'redis://127.0.0.1:6379';
const MAX_BYTES = 1024 * 1024;
const MAX_ROWS = 10_000;

/**
 * CSV import (POST /api/v1/prefixes/{prefix}/imports): a streamed text/csv body checked row by row
 * as the SNMS batch API checks records, COPY into a staging table, one INSERT … SELECT; all or
 * nothing, one audit record, registrations counted, caches evicted (real PostgreSQL and Redis).
 */
describe('CSV import of identifiers', () => {
  const keyPrefix = uniqueKeyPrefix('import');
  let node: TestNode;
  let acme: EnterpriseFixture;
  let bolt: EnterpriseFixture;
  let redis: Redis;

  beforeAll(async () => {
    node = await TestNode.start({ REDIS_URL, REDIS_KEY_PREFIX: keyPrefix, IMPORT_MAX_BYTES: String(MAX_BYTES), IMPORT_MAX_ROWS: String(MAX_ROWS) });
    acme = await node.approvedEnterprise('88.118.8', 'acme');
    bolt = await node.approvedEnterprise('88.118.9', 'bolt');
    await node.createTemplate(acme.token, '88.118.8', '1.0', [{ idType: 'name', required: true, minLength: 1, maxLength: 64 }, { idType: 'url' }]);
    await node.createTemplate(bolt.token, '88.118.9', '1.0', [{ idType: 'name', required: true }]);
    redis = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    await node?.stop();
    const keys = await redis.keys(`${keyPrefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  const IMPORTS = '/api/v1/prefixes/88.118.8/imports?templateVersion=1.0';

  /** A file with a BOM, the Chinese suffix header, an item named by its label and one by its type in another case. */
  function csv(rows: Array<[string, string, string?]>): string {
    return `\uFEFF后缀,name-name,URL\r\n${rows.map(([suffix, name, url]) => `${suffix},${name},${url ?? ''}`).join('\r\n')}\r\n`;
  }

  function series(stem: string, count: number): Array<[string, string, string?]> {
    return Array.from({ length: count }, (_, i) => [`${stem}-${i}`, `product ${i}`, i % 2 === 0 ? `https://acme.example/${i}` : undefined]);
  }

  function send(body: string, token = acme.token, path = IMPORTS) {
    return node.request('POST', path, { token, rawBody: body, headers: { 'content-type': 'text/csv; charset=utf-8' } });
  }

  async function countUnder(prefixKey: string, stem: string): Promise<number> {
    const rows = await node.db.client.query(`SELECT count(*) AS n FROM identifiers WHERE prefix_key = $1 AND handle_key LIKE $2`, [prefixKey, `${prefixKey}/${stem.toLowerCase()}-%`]);
    return Number(rows.rows[0].n);
  }

  async function registrationsCounted(prefixKey: string): Promise<number> {
    await node.app.get(UsageCounter).flush();
    const rows = await node.db.client.query(`SELECT coalesce(sum(count), 0) AS n FROM usage_counts WHERE prefix_key = $1 AND kind = 'registration' AND outcome = 'create'`, [prefixKey]);
    return Number(rows.rows[0].n);
  }

  it('stores a file of 5,000 rows with one audit record, counts them as registrations and reports a re-upload as already existing', async () => {
    const body = csv(series('Bulk', 5000));
    const countedBefore = await registrationsCounted('88.118.8');
    const reply = await send(body);
    expect(reply.status).toBe(201);
    expect(reply.body).toEqual({
      prefix: '88.118.8',
      templateVersion: '1.0',
      rows: 5000,
      stored: 5000,
      alreadyExisting: 0,
      sha256: createHash('sha256').update(body).digest('hex'),
    });
    expect(await countUnder('88.118.8', 'Bulk')).toBe(5000);
    const stored = await node.db.client.query(`SELECT handle, "values", template_version, version FROM identifiers WHERE handle_key = '88.118.8/bulk-42'`);
    expect(stored.rows[0]).toMatchObject({ handle: '88.118.8/Bulk-42', template_version: '1.0', version: 1 });
    expect(stored.rows[0].values.map((v: { index: number; type: string; data: { value: string } }) => [v.index, v.type, v.data.value])).toEqual([
      [1001, 'TEMPLATE', '1.0'],
      [2000, 'name', 'product 42'],
      [2001, 'url', 'https://acme.example/42'],
    ]);
    const withoutUrl = await node.db.client.query(`SELECT "values" FROM identifiers WHERE handle_key = '88.118.8/bulk-43'`);
    expect(withoutUrl.rows[0].values.map((v: { index: number }) => v.index)).toEqual([1001, 2000]);
    const audit = await node.db.client.query(`SELECT action, target, owner, actor, outcome, after_digest FROM audit_log WHERE action LIKE 'handle.%' AND owner = '88.118.8'`);
    expect(audit.rows).toEqual([expect.objectContaining({ action: 'handle.import', target: '88.118.8', owner: '88.118.8', actor: 'acme', outcome: 'ok', after_digest: expect.any(String) })]);
    expect(await registrationsCounted('88.118.8')).toBe(countedBefore + 5000);

    const again = await send(body);
    expect(again.status).toBe(201);
    expect(again.body).toMatchObject({ rows: 5000, stored: 0, alreadyExisting: 5000 });
    expect(await countUnder('88.118.8', 'Bulk')).toBe(5000);
    expect(await registrationsCounted('88.118.8')).toBe(countedBefore + 5000);
  });

  it('stores the new rows of a file that repeats registered identifiers and leaves those as they were', async () => {
    expect((await send(csv(series('Mixed', 100)))).body).toMatchObject({ stored: 100 });
    const rows = series('Mixed', 300).map(([suffix, name, url]): [string, string, string?] => [suffix, `renamed ${name}`, url]);
    const reply = await send(csv(rows));
    expect(reply.status).toBe(201);
    expect(reply.body).toMatchObject({ rows: 300, stored: 200, alreadyExisting: 100 });
    const old = await node.db.client.query(`SELECT "values", version FROM identifiers WHERE handle_key = '88.118.8/mixed-5'`);
    expect(old.rows[0].version).toBe(1);
    expect(old.rows[0].values[1].data.value).toBe('product 5');
    const fresh = await node.db.client.query(`SELECT "values" FROM identifiers WHERE handle_key = '88.118.8/mixed-150'`);
    expect(fresh.rows[0].values[1].data.value).toBe('renamed product 150');
  });

  it('refuses a whole file of 3,000 rows when some rows are bad, naming them with their row numbers, and stores nothing', async () => {
    const rows = series('Refused', 3000);
    rows[9] = ['Refused-bad-name', 'x'.repeat(65)]; // row 11: name longer than the template allows
    rows[99] = ['Refused-no-name', '']; // row 101: required item missing
    rows[1999] = ['refused-10', 'same suffix as row 12, other case']; // row 2001
    rows[2499] = ['bad/../suffix', 'ambiguous']; // row 2501
    const reply = await node.refused('POST', IMPORTS, { token: acme.token, rawBody: csv(rows), headers: { 'content-type': 'text/csv' } });
    expect(reply.status).toBe(400);
    expect(reply.body.code).toBe('VALIDATION_FAILED');
    expect(reply.body.detail ?? reply.body.message ?? reply.text).toMatch(/4 of 3000 rows are invalid.*nothing was stored/);
    // The same figures as members of the problem, for clients that should not parse the message.
    expect(reply.body).toMatchObject({ rows: 3000, invalidRows: 4 });
    const errors = reply.body.errors as Array<{ path: string; message: string }>;
    expect(errors.map((e) => e.path)).toEqual(['row 11', 'row 101', 'row 2001', 'row 2501']);
    expect(errors[0].message).toMatch(/"name" must be 1 to 64 characters long, got 65/);
    expect(errors[1].message).toMatch(/required template items missing: name/);
    expect(errors[2].message).toBe('duplicates row 12 of this file');
    expect(errors[3].message).toMatch(/dot|segment/i);
    expect(await countUnder('88.118.8', 'Refused')).toBe(0);
  });

  it('names only the first 100 bad rows but counts them all', async () => {
    const rows = series('Many', 500).map(([suffix]): [string, string] => [suffix, '']);
    const reply = await node.refused('POST', IMPORTS, { token: acme.token, rawBody: csv(rows), headers: { 'content-type': 'text/csv' } });
    expect(reply.status).toBe(400);
    expect(reply.text).toMatch(/500 of 500 rows are invalid/);
    expect(reply.body).toMatchObject({ rows: 500, invalidRows: 500 });
    expect(reply.body.errors).toHaveLength(100);
    expect(reply.body.errors[99].path).toBe('row 101');
  });

  it('refuses a header that does not match the template, an empty file and a file without data rows', async () => {
    const unknownColumn = await node.refused('POST', IMPORTS, { token: acme.token, rawBody: 'suffix,name,colour\nA,b,red\n', headers: { 'content-type': 'text/csv' } });
    expect(unknownColumn.status).toBe(400);
    expect(unknownColumn.body.errors).toEqual([{ path: 'header column 3', message: '"colour" names no item of template 1.0' }]);
    const noSuffix = await node.refused('POST', IMPORTS, { token: acme.token, rawBody: 'name\nb\n', headers: { 'content-type': 'text/csv' } });
    expect(noSuffix.status).toBe(400);
    expect(noSuffix.body.errors).toEqual([{ path: 'header', message: 'no suffix column ("suffix" or "后缀")' }]);
    const missingRequired = await node.refused('POST', IMPORTS, { token: acme.token, rawBody: 'suffix,url\nA,http://x\n', headers: { 'content-type': 'text/csv' } });
    expect(missingRequired.body.errors).toEqual([{ path: 'header', message: 'no column for the required item "name"' }]);
    expect((await node.refused('POST', IMPORTS, { token: acme.token, rawBody: '', headers: { 'content-type': 'text/csv' } })).status).toBe(400);
    const headerOnly = await node.refused('POST', IMPORTS, { token: acme.token, rawBody: 'suffix,name\n', headers: { 'content-type': 'text/csv' } });
    expect(headerOnly.status).toBe(400);
    expect(headerOnly.text).toMatch(/no data row/);
  });

  it('reads quoted cells and skips blank lines, and refuses text that is not CSV, naming the line and storing nothing', async () => {
    const quoted = `suffix,name\n"Quoted-1","a name, with a comma"\n   \n\nQuoted-2,"say ""hi"""\r\n`;
    const stored = await send(quoted);
    expect(stored.status).toBe(201);
    expect(stored.body).toMatchObject({ rows: 2, stored: 2 });
    const [first, second] = await Promise.all(['88.118.8/quoted-1', '88.118.8/quoted-2'].map((h) => node.request('GET', `/api/handles/${h}`)));
    expect(JSON.stringify(first.body)).toContain('a name, with a comma');
    expect(JSON.stringify(second.body)).toContain('say \\"hi\\"');

    const openQuote = await node.refused('POST', IMPORTS, { token: acme.token, rawBody: 'suffix,name\nBadCsv-1,fine\nBadCsv-2,"never closed\nBadCsv-3,x\n', headers: { 'content-type': 'text/csv' } });
    expect(openQuote.status).toBe(400);
    expect(openQuote.body.detail ?? openQuote.text).toMatch(/not valid CSV/);
    const strayQuote = await node.refused('POST', IMPORTS, { token: acme.token, rawBody: 'suffix,name\nBadCsv-4,"closed" then more\n', headers: { 'content-type': 'text/csv' } });
    expect(strayQuote.status).toBe(400);
    expect(strayQuote.text).toMatch(/not valid CSV.*line 2/);
    const hugeRecord = await node.refused('POST', IMPORTS, { token: acme.token, rawBody: `suffix,name\nBadCsv-5,${'x'.repeat(70_000)}\n`, headers: { 'content-type': 'text/csv' } });
    expect(hugeRecord.status).toBe(400);
    expect(hugeRecord.text).toMatch(/not valid CSV.*65536/);
    expect(await countUnder('88.118.8', 'BadCsv')).toBe(0);
  });

  it('refuses a body over IMPORT_MAX_BYTES with 413, whether its length is declared or streamed, and stores nothing', async () => {
    const rows = series('Large', 9000).map(([suffix]): [string, string, string] => [suffix, 'n', `https://acme.example/${'u'.repeat(200)}`]);
    const body = csv(rows);
    expect(Buffer.byteLength(body)).toBeGreaterThan(MAX_BYTES);
    const declared = await node.refused('POST', IMPORTS, { token: acme.token, rawBody: body, headers: { 'content-type': 'text/csv' } });
    expect(declared.status).toBe(413);
    expect(declared.body.code).toBe('PAYLOAD_TOO_LARGE');
    expect(declared.text).toMatch(/at most 1048576 bytes/);
    expect(declared.body.maxBytes).toBe(MAX_BYTES);

    const streamed = await node.unchangedBy(async () => {
      const encoded = new TextEncoder().encode(body);
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let at = 0; at < encoded.length; at += 64 * 1024) controller.enqueue(encoded.subarray(at, at + 64 * 1024));
          controller.close();
        },
      });
      const response = await fetch(`${node.baseUrl}${IMPORTS}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${acme.token}`, 'content-type': 'text/csv' },
        body: stream,
        duplex: 'half',
      } as RequestInit);
      return { status: response.status, body: (await response.json()) as { code: string; maxBytes: number } };
    });
    expect(streamed.status).toBe(413);
    expect(streamed.body.code).toBe('PAYLOAD_TOO_LARGE');
    expect(streamed.body.maxBytes).toBe(MAX_BYTES);
    expect(await countUnder('88.118.8', 'Large')).toBe(0);
  });

  it('stores nothing and keeps no transaction open when the client goes away mid-upload', async () => {
    const before = await countUnder('88.118.8', 'Gone');
    const head = new TextEncoder().encode(csv(series('Gone', 2000)));
    const upload = new AbortController();
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(head);
      },
    });
    const sent = fetch(`${node.baseUrl}${IMPORTS}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${acme.token}`, 'content-type': 'text/csv' },
      body: stream,
      duplex: 'half',
      signal: upload.signal,
    } as RequestInit).catch((error: Error) => error);
    // The import has started once its transaction is open (the staging table exists).
    await waitForElapsed('the import COPY', async () => {
      const copying = await node.db.client.query(`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'COPY identifier_import%'`);
      return Number(copying.rows[0].n) > 0;
    }, { timeoutMs: 15_000 });
    upload.abort();
    expect(await sent).toMatchObject({ name: 'AbortError' });
    await waitForElapsed('the rollback', async () => {
      const open = await node.db.client.query(`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND xact_start IS NOT NULL`);
      return Number(open.rows[0].n) === 0;
    }, { timeoutMs: 15_000 });
    expect(await countUnder('88.118.8', 'Gone')).toBe(before);
    expect(before).toBe(0);
  });

  it('publishes its bounds to anyone at GET /api/v1/imports/limits, so that a client can refuse a large file before sending it', async () => {
    const reply = await node.request('GET', '/api/v1/imports/limits');
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ maxBytes: MAX_BYTES, maxRows: MAX_ROWS });
  });

  it('refuses a file of more than IMPORT_MAX_ROWS rows with 413 and stores nothing', async () => {
    const body = `suffix,name\n${Array.from({ length: MAX_ROWS + 1 }, (_, i) => `R${i},n`).join('\n')}\n`;
    expect(Buffer.byteLength(body)).toBeLessThan(MAX_BYTES);
    const reply = await node.refused('POST', IMPORTS, { token: acme.token, rawBody: body, headers: { 'content-type': 'text/csv' } });
    expect(reply.status).toBe(413);
    expect(reply.text).toMatch(/at most 10000 rows/);
    expect(reply.body.maxRows).toBe(MAX_ROWS);
  });

  it('refuses another enterprise, an API key scoped elsewhere and an anonymous caller, storing nothing', async () => {
    const body = csv(series('Tenant', 10));
    const other = await node.refused('POST', IMPORTS, { token: bolt.token, rawBody: body, headers: { 'content-type': 'text/csv' } });
    expect(other.status).toBe(403);
    expect(other.body.code).toBe('PREFIX_NOT_OWNED');
    const key = await node.request('POST', `/api/v1/enterprises/${bolt.enterpriseId}/api-keys`, { token: bolt.token, body: { name: 'bolt uploads', prefixes: ['88.118.9'], operations: ['register'] } });
    expect(key.status).toBe(201);
    const byKey = await node.refused('POST', IMPORTS, { rawBody: body, headers: { 'content-type': 'text/csv', 'x-api-key': key.body.secret } });
    expect(byKey.status).toBe(403);
    const anonymous = await node.refused('POST', IMPORTS, { rawBody: body, headers: { 'content-type': 'text/csv' } });
    expect(anonymous.status).toBe(401);
    expect(await countUnder('88.118.8', 'Tenant')).toBe(0);

    // The key works on its own prefix.
    const own = await node.request('POST', '/api/v1/prefixes/88.118.9/imports?templateVersion=1.0', { rawBody: 'suffix,name\nK-1,by key\n', headers: { 'content-type': 'text/csv', 'x-api-key': key.body.secret } });
    expect(own.status).toBe(201);
    expect(own.body).toMatchObject({ prefix: '88.118.9', stored: 1 });
  });

  it('refuses an unknown template, a missing templateVersion, and text/csv on other routes', async () => {
    const body = csv(series('Tpl', 3));
    const unknown = await node.refused('POST', '/api/v1/prefixes/88.118.8/imports?templateVersion=9.9', { token: acme.token, rawBody: body, headers: { 'content-type': 'text/csv' } });
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('TEMPLATE_NOT_FOUND');
    const missing = await node.refused('POST', '/api/v1/prefixes/88.118.8/imports', { token: acme.token, rawBody: body, headers: { 'content-type': 'text/csv' } });
    expect(missing.status).toBe(400);
    const json = await node.refused('POST', IMPORTS, { token: acme.token, body: { rows: [] } });
    expect(json.status).toBe(415);
    const elsewhere = await node.refused('POST', '/identityv2/data/batchCreate', { token: acme.token, rawBody: body, headers: { 'content-type': 'text/csv' } });
    expect(elsewhere.status).toBe(415);
  });

  it('makes resolution see the new identifiers even where a not-found answer was cached before', async () => {
    const path = '/api/handles/88.118.8/Cached-7';
    expect((await node.request('GET', path)).status).toBe(404);
    expect((await node.request('GET', path)).status).toBe(404);
    // The not-found answer is cached in L2 (and L1) before the import.
    await waitForElapsed('the cached not-found', async () => (await redis.exists(`${keyPrefix}rec:88.118.8/cached-7`)) === 1, { timeoutMs: 15_000 });
    const reply = await send(csv(series('Cached', 20)));
    expect(reply.body).toMatchObject({ stored: 20 });
    const found = await node.request('GET', path);
    expect(found.status).toBe(200);
    expect(found.body.handle).toBe('88.118.8/Cached-7');
    expect(found.body.values.find((v: { index: number }) => v.index === 2000).data.value).toBe('product 7');
  });

  it("is the load tool's bulk seed (seed --bulk): the series as one file generated while it is sent", async () => {
    const options = { target: node.baseUrl, prefix: '88.118.9', stem: 'SEED-', pad: 5, start: 1, count: 3000, templateVersion: '2.0', timeoutMs: 60_000 };
    const first = await seedViaImport(options, bolt.token, new AbortController().signal);
    expect(first).toMatchObject({ stored: 3000, alreadyThere: 0, refused: 0, interrupted: false });
    expect(await countUnder('88.118.9', 'SEED')).toBe(3000);
    const stored = await node.db.client.query(`SELECT handle, template_version FROM identifiers WHERE handle_key = '88.118.9/seed-00042'`);
    expect(stored.rows[0]).toEqual({ handle: '88.118.9/SEED-00042', template_version: '2.0' });
    const again = await seedViaImport({ ...options, count: 3500 }, bolt.token, new AbortController().signal);
    expect(again).toMatchObject({ stored: 500, alreadyThere: 3000, refused: 0 });
    // Template 1.0 of this prefix has no "model" item: the file is refused whole, every row counted as refused.
    const refused = await seedViaImport({ ...options, stem: 'OTHER-', templateVersion: '1.0' }, bolt.token, new AbortController().signal);
    expect(refused).toMatchObject({ stored: 0, refused: 3000 });
    expect(refused.firstRefusal).toMatch(/HTTP 400.*"model" names no item of template 1.0/);
    expect(await countUnder('88.118.9', 'OTHER')).toBe(0);
    await expect(seedViaImport({ ...options, prefix: '88.118.8' }, bolt.token, new AbortController().signal)).rejects.toThrow(/HTTP 403/);
  });
  it("is charged against the enterprise's registration quota: a file that would pass it is refused with 429 and stores nothing", async () => {
    const limited = await TestNode.start({ REDIS_URL, REDIS_KEY_PREFIX: uniqueKeyPrefix('import-quota'), RATE_LIMITS_ENABLED: 'true', RATE_LIMIT_AUTHENTICATED: 'off', RATE_LIMIT_REGISTRATIONS: '5000/1d' });
    try {
      const owner = await limited.approvedEnterprise('88.118.8', 'quota');
      await limited.createTemplate(owner.token, '88.118.8', '1.0', [{ idType: 'name', required: true }]);
      const file = (stem: string, count: number) => `suffix,name\n${Array.from({ length: count }, (_, i) => `${stem}-${i},p ${i}`).join('\n')}\n`;
      const upload = (body: string) => limited.request('POST', IMPORTS, { token: owner.token, rawBody: body, headers: { 'content-type': 'text/csv' } });
      const stored = async (stem: string) => Number((await limited.db.client.query(`SELECT count(*) AS n FROM identifiers WHERE handle_key LIKE $1`, [`88.118.8/${stem.toLowerCase()}-%`])).rows[0].n);

      expect((await upload(file('Q1', 3000))).status).toBe(201);
      // 3,000 of 5,000 used: 2,500 more would pass the quota.
      const refused = await limited.refused('POST', IMPORTS, { token: owner.token, rawBody: file('Q2', 2500), headers: { 'content-type': 'text/csv' } });
      expect(refused.status).toBe(429);
      expect(refused.body.code).toBe('RATE_LIMITED');
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(refused.headers.get('ratelimit-limit')).toBe('5000');
      expect(await stored('Q2')).toBe(0);
      // The refused file took nothing: 2,000 still fit, and then the quota is spent for batch creates too.
      expect((await upload(file('Q3', 2000))).status).toBe(201);
      expect(await stored('Q3')).toBe(2000);
      const batch = await limited.refused('POST', '/identityv2/data/batchCreate', { token: owner.token, body: [{ handle: '88.118.8/Q4-1', templateVersion: '1.0', value: [] }] });
      expect(batch.status).toBe(429);
      // A re-upload of stored rows charges nothing (nothing new is stored).
      const again = await upload(file('Q1', 3000));
      expect(again.status).toBe(201);
      expect(again.body).toMatchObject({ stored: 0, alreadyExisting: 3000 });
    } finally {
      await limited.stop();
    }
  });
});
