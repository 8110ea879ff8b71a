import { connect } from 'node:net';
import { type EnterpriseFixture, TestNode } from '../support/test-node';

const CONSOLE = 'https://console.example.cn';

/** Everything the server sends on a raw socket until it closes it (or `timeoutMs` passes). */
function rawExchange(port: number, request: string, timeoutMs: number): Promise<{ text: string; closedAfterMs: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept the connection open for ${timeoutMs} ms; got ${JSON.stringify(text.slice(0, 200))}`));
    }, timeoutMs);
    socket.on('data', (chunk) => (text += chunk.toString()));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text, closedAfterMs: Date.now() - started });
    });
  });
}

/**
 * Sends raw HTTP/1.1 requests one after another on one connection, each once the previous reply
 * has arrived in full (by its Content-Length); the status of each reply, or a failure when one
 * does not come within `timeoutMs`.
 */
function inSequenceOnOneConnection(port: number, requests: string[], timeoutMs: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const statuses: number[] = [];
    let received = Buffer.alloc(0);
    const socket = connect(port, '127.0.0.1', () => socket.write(requests[0]));
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`reply ${statuses.length + 1} of ${requests.length} did not come within ${timeoutMs} ms (got ${statuses.join(', ') || 'none'})`));
    }, timeoutMs);
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      const headEnd = received.indexOf('\r\n\r\n');
      if (headEnd < 0) return;
      const head = received.subarray(0, headEnd).toString();
      const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
      if (received.length < headEnd + 4 + length) return;
      statuses.push(Number(head.split(' ', 2)[1]));
      received = received.subarray(headEnd + 4 + length);
      if (statuses.length < requests.length) socket.write(requests[statuses.length]);
      else {
        clearTimeout(timer);
        socket.end();
        resolve(statuses);
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      if (statuses.length < requests.length) reject(new Error(`the connection closed after ${statuses.length} of ${requests.length} replies (${statuses.join(', ')})`));
    });
  });
}

function nested(depth: number): string {
  return `{"username":"u","password":"p","x":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`;
}

describe('HTTP hardening', () => {
  let node: TestNode;
  let port: number;
  let acme: EnterpriseFixture;

  beforeAll(async () => {
    node = await TestNode.start({ CORS_ORIGINS: `${CONSOLE},http://localhost:5173`, MAX_JSON_DEPTH: '8', HTTP_HEADERS_TIMEOUT_MS: '1000', HTTP_KEEP_ALIVE_TIMEOUT_MS: '1000', HTTP_IDLE_TIMEOUT_MS: '10000' });
    port = Number(new URL(node.baseUrl).port);
    acme = await node.approvedEnterprise('88.118.8', 'acme');
    const put = await node.request('PUT', '/api/handles/88.118.8/page', { token: acme.token, body: { values: [{ index: 1, type: 'URL', data: { format: 'string', value: 'https://acme.example.cn/p' } }] } });
    expect(put.status).toBe(200);
  });

  afterAll(async () => {
    await node?.stop();
  });

  describe('security headers', () => {
    it('are on API replies, including the resolution routes that bypass Nest and errors: the strict set of a reply that is never a document', async () => {
      for (const path of ['/api/v1/limits', '/api/handles/88.118.8/page', '/api/handles/88.118.8/absent', '/api/v1/nothing-here', '/identityv2/data/detail?identity=88.118.8/page', '/epcis/events', '/health']) {
        const reply = await node.request('GET', path);
        expect({ path, csp: reply.headers.get('content-security-policy') }).toEqual({ path, csp: "default-src 'none'; frame-ancestors 'none'" });
        expect({ path, nosniff: reply.headers.get('x-content-type-options') }).toEqual({ path, nosniff: 'nosniff' });
        expect({ path, frame: reply.headers.get('x-frame-options') }).toEqual({ path, frame: 'DENY' });
        expect(reply.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
        expect(reply.headers.get('referrer-policy')).toBe('no-referrer');
        // The headers that only act on documents are left out of machine replies (they cost every resolution their bytes).
        expect({ path, coop: reply.headers.get('cross-origin-opener-policy') }).toEqual({ path, coop: null });
      }
    });

    it('are the full document set on pages: the proxy page, its redirect, an unknown page', async () => {
      for (const path of ['/88.118.8/page?noredirect', '/88.118.8/page', '/88.118.8/absent', '/docs']) {
        const reply = await node.request('GET', path, { headers: { accept: 'text/html' } });
        expect({ path, csp: reply.headers.get('content-security-policy') }).toEqual({ path, csp: expect.stringContaining("default-src 'self'") });
        expect(reply.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
        expect(reply.headers.get('x-content-type-options')).toBe('nosniff');
        expect(reply.headers.get('x-frame-options')).toBe('SAMEORIGIN');
        expect(reply.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
        expect(reply.headers.get('referrer-policy')).toBe('no-referrer');
        expect(reply.headers.get('cross-origin-opener-policy')).toBe('same-origin');
      }
    });

    it('let the proxy page work: its inline style is allowed, and no inline script is allowed (nor needed)', async () => {
      const reply = await node.request('GET', '/88.118.8/page?noredirect', { headers: { accept: 'text/html' } });
      expect(reply.status).toBe(200);
      expect(reply.text).toContain('<style>');
      expect(reply.text).not.toContain('<script');
      const csp = reply.headers.get('content-security-policy') ?? '';
      expect(csp).toMatch(/style-src 'self' 'unsafe-inline'/);
      expect(csp).toMatch(/script-src 'self'(;|$)/);
      const redirect = await node.request('GET', '/88.118.8/page');
      expect(redirect.status).toBe(302);
      expect(redirect.headers.get('location')).toBe('https://acme.example.cn/p');
      expect(redirect.headers.get('content-security-policy')).toBeTruthy();
    });
  });

  describe('CORS from CORS_ORIGINS', () => {
    it('answers an allowed origin, exposing the rate-limit headers', async () => {
      const reply = await node.request('GET', '/api/handles/88.118.8/page', { headers: { origin: CONSOLE } });
      expect(reply.status).toBe(200);
      expect(reply.headers.get('access-control-allow-origin')).toBe(CONSOLE);
      expect(reply.headers.get('access-control-expose-headers')).toContain('RateLimit-Remaining');
      expect(reply.headers.get('access-control-allow-credentials')).toBeNull();
    });

    it('answers the preflight of an allowed origin with the methods and headers a client needs', async () => {
      const reply = await fetch(`${node.baseUrl}/api/handles/88.118.8/page`, {
        method: 'OPTIONS',
        headers: { origin: CONSOLE, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'authorization, content-type' },
      });
      expect(reply.status).toBe(204);
      expect(reply.headers.get('access-control-allow-origin')).toBe(CONSOLE);
      expect(reply.headers.get('access-control-allow-methods')).toContain('PUT');
      expect(reply.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
    });

    it('gives another origin nothing to read', async () => {
      const reply = await node.request('GET', '/api/handles/88.118.8/page', { headers: { origin: 'https://evil.example' } });
      expect(reply.headers.get('access-control-allow-origin')).toBeNull();
      const preflight = await fetch(`${node.baseUrl}/api/handles/88.118.8/page`, {
        method: 'OPTIONS',
        headers: { origin: 'https://evil.example', 'access-control-request-method': 'PUT' },
      });
      // Without Access-Control-Allow-Origin the browser refuses the actual request.
      expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    });
  });

  describe('JSON depth', () => {
    it('refuses a body nested deeper than MAX_JSON_DEPTH with 400 in each front door’s envelope, changing nothing', async () => {
      const native = await node.refused('POST', '/api/v1/auth/token', { rawBody: nested(9) });
      expect(native.status).toBe(400);
      expect(native.body).toMatchObject({ code: 'VALIDATION_FAILED', detail: expect.stringMatching(/nests objects and arrays deeper than 8 levels/) });
      const snms = await node.refused('POST', '/identityv2/data', { token: acme.token, rawBody: `[${nested(8)}]` });
      expect(snms.status).toBe(400);
      expect(snms.body).toEqual({ status: -2, message: expect.stringMatching(/deeper than 8 levels/), data: null });
      const handleRest = await node.refused('PUT', '/api/handles/88.118.8/deep', { token: acme.token, rawBody: `{"values":${'['.repeat(20)}${']'.repeat(20)}}` });
      expect(handleRest.status).toBe(400);
      expect(handleRest.body).toMatchObject({ responseCode: 4, handle: '88.118.8/deep' });
    });

    it('refuses large too-deep bodies one after another on a kept-alive connection, which then serves the next request', async () => {
      for (let i = 0; i < 4; i += 1) {
        const reply = await fetch(`${node.baseUrl}/identityv2/data`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${acme.token}` }, body: `[${'['.repeat(200_000)}`, signal: AbortSignal.timeout(10_000) });
        expect(reply.status).toBe(400);
        await reply.text();
      }
      expect((await node.request('GET', '/health')).status).toBe(200);
    });

    it('answers a route that never reads its JSON body (deep, large or both) and serves the next request on the same connection', async () => {
      const port = Number(new URL(node.baseUrl).port);
      const health = 'GET /health HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n';
      // POST on the handle collection: no such route (405), so nothing parses the body.
      const unread = (body: string) => `POST /api/handles HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/ld+json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
      const bodies = [`[${'['.repeat(200_000)}`, JSON.stringify(Array.from({ length: 40_000 }, (_, i) => ({ i, v: 'x'.repeat(20) }))), `[${nested(9)}]`];
      const statuses = await inSequenceOnOneConnection(port, bodies.flatMap((body) => [unread(body), health]), 10_000);
      expect(statuses).toEqual([405, 200, 405, 200, 405, 200]);
    });

    it('still parses a body within the limit (and still refuses __proto__ keys)', async () => {
      const within = await node.request('POST', '/api/v1/auth/token', { rawBody: nested(8) });
      expect(within.status).toBe(400);
      expect(within.body.detail).toMatch(/credentials is invalid: \/x is not an allowed field/);
      const poisoned = await node.request('POST', '/api/v1/auth/token', { rawBody: '{"username":"u","password":"p","__proto__":{"admin":true}}' });
      expect(poisoned.status).toBe(400);
    });
  });

  describe('URL and header sizes', () => {
    it('refuses a request target over MAX_URL_LENGTH with 414 in the front door’s envelope', async () => {
      const handleRest = await node.request('GET', `/api/handles/88.118.8/${'x'.repeat(8200)}`);
      expect(handleRest.status).toBe(414);
      expect(handleRest.body).toMatchObject({ responseCode: 4, message: expect.stringMatching(/the limit is 8192/) });
      const native = await node.request('GET', `/api/v1/limits?q=${'y'.repeat(8200)}`);
      expect(native.status).toBe(414);
      expect(native.body).toMatchObject({ code: 'URI_TOO_LONG', status: 414 });
      expect((await node.request('GET', `/api/handles/88.118.8/${'x'.repeat(200)}`)).status).toBe(404);
    });

    it('refuses headers larger than MAX_HEADER_BYTES with 431', async () => {
      const { text } = await rawExchange(port, `GET /api/v1/limits HTTP/1.1\r\nHost: x\r\nX-Big: ${'z'.repeat(20_000)}\r\n\r\n`, 5000);
      expect(text).toMatch(/^HTTP\/1\.1 431 /);
    });
  });

  describe('timeouts', () => {
    it('closes a connection whose headers do not arrive within HTTP_HEADERS_TIMEOUT_MS (408)', async () => {
      const { text, closedAfterMs } = await rawExchange(port, 'GET /api/v1/limits HTTP/1.1\r\nHost: x\r\n', 6000);
      expect(text).toMatch(/^HTTP\/1\.1 408 /);
      expect(closedAfterMs).toBeGreaterThanOrEqual(900);
      expect(closedAfterMs).toBeLessThan(4000);
    });

    it('closes a kept-alive connection that sends no next request within HTTP_KEEP_ALIVE_TIMEOUT_MS', async () => {
      const { text, closedAfterMs } = await rawExchange(port, 'GET /api/v1/limits HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n', 6000);
      expect(text).toMatch(/^HTTP\/1\.1 200 /);
      expect(text).toMatch(/keep-alive: timeout=1/i);
      expect(closedAfterMs).toBeGreaterThanOrEqual(900);
      expect(closedAfterMs).toBeLessThan(4000);
    });
  });
});

describe('HTTP hardening defaults', () => {
  let node: TestNode;

  beforeAll(async () => {
    node = await TestNode.start();
  });

  afterAll(async () => {
    await node?.stop();
  });

  it('sends no CORS headers to any origin when CORS_ORIGINS is unset', async () => {
    const reply = await node.request('GET', '/api/v1/limits', { headers: { origin: CONSOLE } });
    expect(reply.status).toBe(200);
    expect(reply.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await fetch(`${node.baseUrl}/api/v1/limits`, { method: 'OPTIONS', headers: { origin: CONSOLE, 'access-control-request-method': 'GET' } });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses JSON deeper than 32 levels by default', async () => {
    expect((await node.request('POST', '/api/v1/auth/token', { rawBody: nested(33) })).body).toMatchObject({ status: 400, detail: expect.stringMatching(/deeper than 32 levels/) });
    expect((await node.request('POST', '/api/v1/auth/token', { rawBody: nested(32) })).body.detail).toMatch(/not an allowed field/);
  });
});
