import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from '../support/http';
import { NodeProcess } from '../support/node-process';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { applicationBody } from '../support/test-node';

const OPERATOR_PASSWORD = 'console-serving-operator-1';
const INDEX_HTML = '<!doctype html><html lang="zh-CN"><head><script type="module" src="/console/assets/app-abc123.js"></script></head><body><div id="app">console-index-marker</div></body></html>';
const APP_JS = 'console.log("app-abc123-marker");';
/** A file beside the console folder: no request under /console/ may ever reach it. */
const SECRET = 'secret-outside-the-console-dir';

/** A raw GET with the path exactly as given (fetch would resolve dot segments before sending). */
function rawGet(base: string, path: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = get({ host: url.hostname, port: url.port, path, headers: { accept: 'text/html' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('error', reject);
  });
}

/**
 * The secondary node serving the console (libs/runtime console-files.ts) as `npm start` runs it, with
 * CONSOLE_DIR pointing at a small stand-in build: history routes get index.html (never cached),
 * hashed assets are immutable, a missing asset is a 404 problem, nothing outside the folder is ever
 * served, an unbuilt console is a 503 naming the build command, and the banner says which.
 */
describe('console serving (/console/)', () => {
  let dir: string;
  let db: TestDatabase;
  let emptyDb: TestDatabase;
  let built: NodeProcess;
  let unbuilt: NodeProcess;
  let base: string;
  let emptyBase: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'console-serving-'));
    mkdirSync(join(dir, 'console', 'assets'), { recursive: true });
    mkdirSync(join(dir, 'empty'));
    writeFileSync(join(dir, 'console', 'index.html'), INDEX_HTML);
    writeFileSync(join(dir, 'console', 'assets', 'app-abc123.js'), APP_JS);
    writeFileSync(join(dir, 'secret.txt'), SECRET);
    [db, emptyDb] = await Promise.all([createTestDatabase('console_serving'), createTestDatabase('console_unbuilt')]);
    const env = { OPERATOR_PASSWORD, JWT_SECRET: 'console-serving-jwt-secret-0123456789abcdef', PORT: '0', HOST: '127.0.0.1', INGESTION_ENABLED: 'false', SECONDARY_PREFIX: '88.118' };
    built = NodeProcess.spawn({ ...env, DATABASE_URL: db.url, CONSOLE_DIR: join(dir, 'console') });
    unbuilt = NodeProcess.spawn({ ...env, DATABASE_URL: emptyDb.url, CONSOLE_DIR: join(dir, 'empty') });
    [base, emptyBase] = await Promise.all([built.ready(), unbuilt.ready()]);
  }, 180_000);

  afterAll(async () => {
    await Promise.all([built?.stop(), unbuilt?.stop()]);
    await Promise.all([db?.drop(), emptyDb?.drop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('names the console URL in the start-up banner', () => {
    expect(built.output).toMatch(new RegExp(`Console\\s+${base.replace(/[.]/g, '\\.')}/console/\\n`));
    expect(unbuilt.output).toMatch(new RegExp(`Console\\s+${emptyBase.replace(/[.]/g, '\\.')}/console/ \\(not built: npm run build:console\\)\\n`));
  });

  it('redirects /console to /console/ (query kept)', async () => {
    const reply = await request(base, 'GET', '/console?lang=en');
    expect(reply.status).toBe(301);
    expect(reply.headers.get('location')).toBe('/console/?lang=en');
  });

  it('answers /console/ and history routes with index.html, never cached, under the security headers', async () => {
    for (const path of ['/console/', '/console/operator/overview', '/console/partner/trace/88.118.8/ABC-1']) {
      const reply = await request(base, 'GET', path);
      expect({ path, status: reply.status }).toEqual({ path, status: 200 });
      expect(reply.headers.get('content-type')).toMatch(/^text\/html/);
      expect(reply.headers.get('cache-control')).toBe('no-cache');
      expect(reply.text).toContain('console-index-marker');
      expect(reply.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
      expect(reply.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });

  it('serves hashed assets as immutable for a year', async () => {
    const reply = await request(base, 'GET', '/console/assets/app-abc123.js');
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toMatch(/javascript/);
    expect(reply.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(reply.text).toBe(APP_JS);
  });

  it('answers a missing asset with a 404 problem, not with index.html', async () => {
    for (const path of ['/console/assets/app-missing.js', '/console/favicon.ico', '/console/assets/nothing']) {
      const reply = await request(base, 'GET', path);
      expect({ path, status: reply.status }).toEqual({ path, status: 404 });
      expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(reply.text).not.toContain('console-index-marker');
    }
  });

  it('never serves a file outside the console folder (dot segments, encoded, backslashes)', async () => {
    const attempts = [
      '/console/../secret.txt',
      '/console/../../package.json',
      '/console/assets/../../secret.txt',
      '/console/%2e%2e/secret.txt',
      '/console/%2E%2E/%2e%2e/package.json',
      '/console/assets/..%2f..%2fsecret.txt',
      '/console/..%5csecret.txt',
      '/console/assets%5c..%5c..%5csecret.txt',
      '/console/..\\secret.txt',
      '/console/.%2e/secret.txt',
      '/console//etc/passwd',
      `/console/${encodeURIComponent(join(dir, 'secret.txt'))}`,
    ];
    for (const path of attempts) {
      const reply = await rawGet(base, path);
      // Refused, or the page (a history route); never the file.
      expect({ path, refusedOrPage: [400, 404].includes(reply.status) || (reply.status === 200 && reply.text.includes('console-index-marker')) }).toEqual({ path, refusedOrPage: true });
      expect(reply.text).not.toContain(SECRET);
      expect(reply.text).not.toContain('"name": "idis');
      expect(reply.text).not.toContain('root:');
    }
  });

  it('answers 503 naming npm run build:console when the console is not built', async () => {
    for (const path of ['/console/', '/console/operator/overview', '/console/assets/app-abc123.js']) {
      const reply = await request(emptyBase, 'GET', path);
      expect({ path, status: reply.status }).toEqual({ path, status: 503 });
      expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(reply.body.detail).toContain('npm run build:console');
    }
  });

  it('does not shadow the proxy: a handle whose suffix is "console" resolves, and /console/<handle> is a console route', async () => {
    const operator = await request(base, 'POST', '/api/v1/auth/token', { body: { username: 'operator', password: OPERATOR_PASSWORD } });
    const application = await request(base, 'POST', '/api/v1/enterprises/applications', { body: applicationBody('88.118.43', 'serving-ent') });
    expect(application.status).toBe(201);
    expect((await request(base, 'POST', `/api/v1/enterprises/applications/${application.body.id}/approve`, { token: operator.body.accessToken })).status).toBe(200);
    const enterprise = await request(base, 'POST', '/api/v1/auth/token', { body: { username: 'serving-ent', password: 'enterprise-pass-1' } });
    const put = await request(base, 'PUT', '/api/handles/88.118.43/console', { token: enterprise.body.accessToken, body: [{ index: 1, type: 'URL', data: 'https://serving.example.cn/console' }] });
    expect(put.status).toBeLessThan(300);

    const resolved = await request(base, 'GET', '/88.118.43/console');
    expect(resolved.status).toBe(302);
    expect(resolved.headers.get('location')).toBe('https://serving.example.cn/console');
    const page = await request(base, 'GET', '/88.118.43/console/?noredirect', { headers: { accept: 'application/json' } });
    expect(page.body).toMatchObject({ responseCode: 100 });
    // A prefix always starts with a digit, so nothing under /console/ is ever a handle: it stays the page.
    const consoleRoute = await request(base, 'GET', '/console/88.118.43/console');
    expect(consoleRoute.status).toBe(200);
    expect(consoleRoute.text).toContain('console-index-marker');
  });
});
