import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { AnswerReader, MAX_ANSWER_BYTES, WebhookHttpClient } from './webhook-http';

/**
 * A receiver on a real socket that reads each request (head + Content-Length body), records it,
 * and writes `answer(n)` for the n-th request of the connection (a string, or null to say
 * nothing). `closeAfter`: close the connection after writing the answer.
 */
async function scripted(answer: (n: number) => string | null, closeAfter = false): Promise<{ url: string; requests: string[]; connections: () => number; close: () => Promise<void> }> {
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  const server: Server = createServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let buffered = Buffer.alloc(0);
    let n = 0;
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buffered.toString('latin1', 0, end);
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (buffered.length < end + 4 + length) return;
        requests.push(buffered.toString('latin1', 0, end + 4 + length));
        buffered = buffered.subarray(end + 4 + length);
        const text = answer(n);
        n += 1;
        if (text !== null) socket.write(text);
        if (closeAfter) socket.end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/hooks/in?x=1`,
    requests,
    connections: () => connections,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Runs `test` against a scripted receiver, closed afterwards. */
async function withScripted(test: (r: Awaited<ReturnType<typeof scripted>>) => Promise<void>, answer: (n: number) => string | null, closeAfter = false): Promise<void> {
  const r = await scripted(answer, closeAfter);
  try {
    await test(r);
  } finally {
    await r.close();
  }
}

const BODY = Buffer.from('{"type":"EPCISQueryDocument","n":"电子"}', 'utf8');

describe('WebhookHttpClient: requests on the wire', () => {
  const client = new WebhookHttpClient(true);
  afterAll(() => client.close());

  it('writes one POST with the path, Host, the headers and the exact body bytes, and reuses the connection', async () => {
    await withScripted(async (r) => {
      expect(await client.post(r.url, { 'GS1-Signature': 'sha256=ab', 'Content-Type': 'application/json' }, BODY, 2000)).toEqual({ ok: true, status: 204 });
      expect(await client.post(r.url, { 'GS1-Signature': 'sha256=cd' }, BODY, 2000)).toEqual({ ok: true, status: 204 });
      expect(r.connections()).toBe(1);
      const [first] = r.requests;
      const port = new URL(r.url).port;
      expect(first.startsWith(`POST /hooks/in?x=1 HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`)).toBe(true);
      expect(first).toContain('\r\nGS1-Signature: sha256=ab\r\n');
      expect(first).toContain(`\r\nContent-Length: ${BODY.length}\r\n\r\n`);
      expect(Buffer.from(first.slice(first.indexOf('\r\n\r\n') + 4), 'latin1').equals(BODY)).toBe(true);
    }, () => 'HTTP/1.1 204 No Content\r\n\r\n');
  });

  it('refuses a header value with a line break (no header can be injected) and sends nothing', async () => {
    await withScripted(async (r) => {
      const outcome = await client.post(r.url, { 'GS1-Query-Name': 'q\r\nX-Injected: 1' }, BODY, 2000);
      expect(outcome).toEqual({ ok: false, reason: expect.stringMatching(/^EREQUEST: invalid characters in the value of header GS1-Query-Name/) });
      expect(await client.post(r.url, { 'Bad Name': 'x' }, BODY, 2000)).toMatchObject({ ok: false, reason: expect.stringMatching(/^EREQUEST: invalid header name/) });
      expect(r.requests).toEqual([]);
    }, () => 'HTTP/1.1 204 No Content\r\n\r\n');
  });

  it('refuses a URL that is not http or https', async () => {
    expect(await client.post('ftp://127.0.0.1/x', {}, BODY, 2000)).toMatchObject({ ok: false, reason: expect.stringMatching(/^EREQUEST: a webhook is http or https/) });
  });

  it('does not connect to a private address literal unless allowed', async () => {
    const r = await scripted(() => 'HTTP/1.1 204 No Content\r\n\r\n');
    const strict = new WebhookHttpClient(false);
    try {
      expect(await strict.post(r.url, {}, BODY, 2000)).toMatchObject({ ok: false, reason: expect.stringMatching(/^EPRIVATEADDRESS/) });
      expect(r.connections()).toBe(0);
    } finally {
      strict.close();
      await r.close();
    }
  });

  it('reads chunked, Content-Length and interim answers and keeps the connection for the next request', async () => {
    const answers = [
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n3;ext=1\r\nabc\r\n0\r\nX-Trailer: t\r\n\r\n',
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 202 Accepted\r\nContent-Length: 11\r\n\r\n{"ok":true}',
      'HTTP/1.1 500 Internal Server Error\r\nContent-Length: 5\r\n\r\noops!',
      'HTTP/1.1 201 Created\r\ncontent-length: 0\r\n\r\n',
    ];
    await withScripted(async (r) => {
      expect(await client.post(r.url, {}, BODY, 2000)).toEqual({ ok: true, status: 200 });
      expect(await client.post(r.url, {}, BODY, 2000)).toEqual({ ok: true, status: 202 });
      expect(await client.post(r.url, {}, BODY, 2000)).toEqual({ ok: false, reason: 'HTTP 500' });
      expect(await client.post(r.url, {}, BODY, 2000)).toEqual({ ok: true, status: 201 });
      expect(r.connections()).toBe(1);
    }, (n) => answers[n]);
  });

  it('takes an answer framed by the close, and opens a new connection after it', async () => {
    await withScripted(async (r) => {
      expect(await client.post(r.url, {}, BODY, 2000)).toEqual({ ok: true, status: 200 });
      expect(await client.post(r.url, {}, BODY, 2000)).toEqual({ ok: true, status: 200 });
      expect(r.connections()).toBe(2);
    }, () => 'HTTP/1.1 200 OK\r\n\r\nthanks', true);
  });

  it('closes the connection after Connection: close, or an HTTP/1.0 answer', async () => {
    let next = 0;
    await withScripted(async (r) => {
      expect(await client.post(r.url, {}, BODY, 2000)).toEqual({ ok: true, status: 204 });
      expect(await client.post(r.url, {}, BODY, 2000)).toEqual({ ok: true, status: 200 });
      expect(await client.post(r.url, {}, BODY, 2000)).toMatchObject({ ok: true });
      expect(r.connections()).toBe(3);
    }, () => (next++ === 0 ? 'HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n' : 'HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n'));
  });

  it('fails a malformed answer and does not use that connection again', async () => {
    const answers = ['SMTP 220 hello\r\n\r\n', 'HTTP/1.1 200 OK\r\nContent-Length: 12, 13\r\n\r\n', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 'HTTP/1.1 204 No Content\r\n\r\n'];
    let next = 0;
    await withScripted(async (r) => {
      expect(await client.post(r.url, {}, BODY, 2000)).toMatchObject({ ok: false, reason: expect.stringMatching(/^EPROTO: a status line/) });
      expect(await client.post(r.url, {}, BODY, 2000)).toMatchObject({ ok: false, reason: expect.stringMatching(/^EPROTO: a Content-Length/) });
      expect(await client.post(r.url, {}, BODY, 2000)).toMatchObject({ ok: false, reason: expect.stringMatching(/^EPROTO: a chunk size line/) });
      expect(await client.post(r.url, {}, BODY, 2000)).toEqual({ ok: true, status: 204 });
      expect(r.connections()).toBe(4);
    }, () => answers[next++]);
  });

  it('reads at most MAX_ANSWER_BYTES of a body: the status stands, the connection is closed', async () => {
    const big = 'x'.repeat(MAX_ANSWER_BYTES + 10);
    await withScripted(async (r) => {
      expect(await client.post(r.url, {}, BODY, 2000)).toEqual({ ok: true, status: 200 });
      expect(await client.post(r.url, {}, BODY, 2000)).toEqual({ ok: true, status: 200 });
      expect(r.connections()).toBe(2);
    }, () => `HTTP/1.1 200 OK\r\nContent-Length: ${big.length}\r\n\r\n${big}`);
  });

  it('fails an answer head that never ends within its limit', async () => {
    await withScripted(async (r) => {
      expect(await client.post(r.url, {}, BODY, 2000)).toMatchObject({ ok: false, reason: expect.stringMatching(/^EPROTO: an answer head over 16384 bytes/) });
    }, () => `HTTP/1.1 200 OK\r\nX-Long: ${'y'.repeat(20_000)}`);
  });

  it('answers a refused connection with its error code', async () => {
    const r = await scripted(() => null);
    const url = r.url;
    await r.close();
    expect(await client.post(url, {}, BODY, 2000)).toMatchObject({ ok: false, reason: expect.stringMatching(/^ECONNREFUSED/) });
  });

  it('keeps at most 64 connections to one receiver and queues the other requests', async () => {
    const held: Array<() => void> = [];
    let open = 0;
    let most = 0;
    const sockets = new Set<Socket>();
    const server = createServer((socket) => {
      sockets.add(socket);
      open += 1;
      most = Math.max(most, open);
      socket.on('close', () => {
        open -= 1;
        sockets.delete(socket);
      });
      socket.on('data', () => held.push(() => socket.write('HTTP/1.1 204 No Content\r\n\r\n')));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const own = new WebhookHttpClient(true);
    try {
      const posts = Array.from({ length: 80 }, () => own.post(`http://127.0.0.1:${port}/`, {}, BODY, 5000));
      for (let waited = 0; held.length < 64 && waited < 100; waited += 1) await new Promise((resolve) => setTimeout(resolve, 20));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(held.length).toBe(64);
      // Each answer frees a connection for a queued request.
      for (let round = 0; round < 10 && held.length > 0; round += 1) {
        for (const answer of held.splice(0)) answer();
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect((await Promise.all(posts)).every((outcome) => outcome.ok)).toBe(true);
      expect(most).toBe(64);
    } finally {
      own.close();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('WebhookHttpClient over TLS', () => {
  let dir: string;
  let key: Buffer;
  let cert: Buffer;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'webhook-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    key = readFileSync(join(dir, 'key.pem'));
    cert = readFileSync(join(dir, 'cert.pem'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function tlsReceiver(): Promise<{ port: number; close: () => Promise<void> }> {
    const sockets = new Set<Socket>();
    const server = createTlsServer({ key, cert }, (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('data', () => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
      port: (server.address() as { port: number }).port,
      close: async () => {
        for (const socket of sockets) socket.destroy();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
    };
  }

  it('verifies the receiver certificate by its host name', async () => {
    const r = await tlsReceiver();
    const untrusting = new WebhookHttpClient(true);
    const trusting = new WebhookHttpClient(true, { ca: [cert] });
    try {
      // A self-signed certificate is not trusted by default.
      expect(await untrusting.post(`https://localhost:${r.port}/in`, {}, BODY, 3000)).toMatchObject({ ok: false, reason: expect.stringMatching(/SELF_SIGNED|self.signed/i) });
      expect(await trusting.post(`https://localhost:${r.port}/in`, {}, BODY, 3000)).toEqual({ ok: true, status: 200 });
      expect(await trusting.post(`https://localhost:${r.port}/in`, {}, BODY, 3000)).toEqual({ ok: true, status: 200 });
      // The certificate names localhost, not 127.0.0.1.
      expect(await trusting.post(`https://127.0.0.1:${r.port}/in`, {}, BODY, 3000)).toMatchObject({ ok: false, reason: expect.stringMatching(/ERR_TLS_CERT_ALTNAME_INVALID|IP: 127.0.0.1 is not in the cert/) });
    } finally {
      untrusting.close();
      trusting.close();
      await r.close();
    }
  });
});

describe('AnswerReader', () => {
  it('reads an answer cut into single bytes', () => {
    const text = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nKeep-Alive: timeout=5\r\n\r\n4\r\nabcd\r\n0\r\n\r\n';
    const reader = new AnswerReader();
    const states = [...Buffer.from(text, 'latin1')].map((byte) => reader.push(Buffer.from([byte])));
    expect(states.slice(0, -1).every((state) => state === 'more')).toBe(true);
    expect(states[states.length - 1]).toBe('reusable');
    expect(reader.status).toBe(200);
    expect(reader.keepAliveMs).toBe(4000);
  });

  it('does not reuse a connection that sent more than one answer', () => {
    expect(new AnswerReader().push(Buffer.from('HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n'))).toBe('close');
  });

  it('refuses a 101 answer to a POST', () => {
    const reader = new AnswerReader();
    expect(reader.push(Buffer.from('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n'))).toBe('invalid');
    expect(reader.problem).toMatch(/101/);
  });
});
