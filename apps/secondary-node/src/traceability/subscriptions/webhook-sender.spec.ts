import { createServer, type Server, type Socket } from 'node:net';
import { WebhookSender } from './webhook-sender';

/**
 * A receiver on a real socket that answers the first `answerPerConnection` requests of each
 * connection with 200 and then drops the connection when the next request arrives (as a server
 * does whose keep-alive timeout closed the connection just as the client reused it).
 */
async function receiver(answerPerConnection: number): Promise<{ url: string; connections: () => number; requests: () => number; answered: () => number; close: () => Promise<void> }> {
  let connections = 0;
  let requests = 0;
  let answered = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let buffered = '';
    let servedHere = 0;
    socket.on('data', (chunk) => {
      buffered += chunk.toString('latin1');
      for (;;) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) return;
        const length = Number(/content-length: *(\d+)/i.exec(buffered.slice(0, end))?.[1] ?? 0);
        if (buffered.length < end + 4 + length) return;
        buffered = buffered.slice(end + 4 + length);
        requests += 1;
        if (servedHere >= answerPerConnection) {
          socket.destroy();
          return;
        }
        servedHere += 1;
        answered += 1;
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    connections: () => connections,
    requests: () => requests,
    answered: () => answered,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('WebhookSender on keep-alive connections', () => {
  const sender = new WebhookSender(5000, true);
  afterAll(() => sender.close());

  it('sends a request that met a connection the receiver had dropped once more, on a new connection', async () => {
    const r = await receiver(1);
    try {
      expect(await sender.send(r.url, Buffer.from('{"n":1}'), {}, 'secret')).toMatchObject({ ok: true, status: 200 });
      // Reuses the kept-alive connection, which the receiver drops: sent again on a new one.
      expect(await sender.send(r.url, Buffer.from('{"n":2}'), {}, 'secret')).toMatchObject({ ok: true, status: 200 });
      expect({ connections: r.connections(), requests: r.requests(), answered: r.answered() }).toEqual({ connections: 2, requests: 3, answered: 2 });
    } finally {
      await r.close();
    }
  });

  it('sends the repeat on a new connection, not on another kept-alive one the receiver may have dropped too', async () => {
    const own = new WebhookSender(5000, true);
    const r = await receiver(1);
    try {
      // Two connections, each answered once and then kept idle by the client.
      const both = await Promise.all([own.send(r.url, Buffer.from('{"n":1}'), {}, 'secret'), own.send(r.url, Buffer.from('{"n":2}'), {}, 'secret')]);
      expect(both.map((outcome) => outcome.ok)).toEqual([true, true]);
      expect(r.connections()).toBe(2);
      // Both are dropped at their next request: the repeat must not take the second one.
      expect(await own.send(r.url, Buffer.from('{"n":3}'), {}, 'secret')).toMatchObject({ ok: true, status: 200 });
      expect({ connections: r.connections(), requests: r.requests(), answered: r.answered() }).toEqual({ connections: 3, requests: 4, answered: 3 });
    } finally {
      own.close();
      await r.close();
    }
  });

  it('does not repeat a request that failed on a new connection', async () => {
    const r = await receiver(0);
    try {
      const outcome = await sender.send(r.url, Buffer.from('{"n":1}'), {}, 'secret');
      expect(outcome.ok).toBe(false);
      expect(outcome).toMatchObject({ reason: expect.stringMatching(/^ECONNRESET/) });
      expect({ connections: r.connections(), requests: r.requests() }).toEqual({ connections: 1, requests: 1 });
    } finally {
      await r.close();
    }
  });
});

describe('WebhookSender with a receiver that does not finish answering', () => {
  /** Reads every request and then answers only the status line and headers (`headersOnly`) or nothing at all. */
  async function stalling(headersOnly: boolean): Promise<{ url: string; close: () => Promise<void> }> {
    const sockets = new Set<Socket>();
    const server: Server = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.once('data', () => {
        if (headersOnly) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"partial":');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    return {
      url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/hook`,
      close: async () => {
        for (const socket of sockets) socket.destroy();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
    };
  }

  it.each([
    ['no answer at all', false],
    ['a 200 whose body never ends', true],
  ])('gives up after the timeout on %s, and does not count it as acknowledged', async (_case, headersOnly) => {
    const sender = new WebhookSender(300, true);
    const r = await stalling(headersOnly);
    try {
      const started = Date.now();
      const outcome = await sender.send(r.url, Buffer.from('{"n":1}'), {}, 'secret');
      const took = Date.now() - started;
      expect(outcome.ok).toBe(false);
      if (!headersOnly) expect(outcome).toMatchObject({ reason: expect.stringContaining('no answer within 300 ms') });
      expect(took).toBeGreaterThanOrEqual(280);
      expect(took).toBeLessThan(3000);
    } finally {
      sender.close();
      await r.close();
    }
  });
});
