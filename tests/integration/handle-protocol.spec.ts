import { type EnterpriseFixture, TestNode } from '../support/test-node';
import { waitFor } from '../support/wait-for';
import {
  buildRequest,
  FLAG_CT,
  FLAG_KC,
  FLAG_PO,
  FLAG_RD,
  FLAG_REC,
  OP_GET_SITEINFO,
  parseReply,
  TcpSession,
  udpExchange,
} from '../support/handle-wire-client';

/**
 * The Handle protocol listeners (RFC 3652, UDP and TCP) of a real node, driven by an independent
 * client written from the RFC (tests/support/handle-wire-client.ts, not libs/handle-protocol).
 */
describe('Handle protocol listeners (UDP and TCP)', () => {
  let node: TestNode;
  let acme: EnterpriseFixture;
  let port: number;
  let nextId = 1000;
  const id = () => (nextId += 1);

  const udp = async (options: Parameters<typeof buildRequest>[0]) => {
    const result = await udpExchange(port, [buildRequest(options)], options.requestId);
    if (!result.whole) throw new Error(`no whole UDP reply to request ${options.requestId} (${result.packets.length} packets)`);
    return parseReply(result.whole);
  };

  beforeAll(async () => {
    node = await TestNode.start({ HANDLE_PROTOCOL_PORT: '0', HANDLE_PROTOCOL_HOST: '127.0.0.1', STATS_FLUSH_INTERVAL_MS: '200' });
    port = node.handlePort as number;
    acme = await node.approvedEnterprise('88.118.8', 'acme');
    const put = async (handle: string, values: unknown[]) => {
      const reply = await node.request('PUT', `/api/handles/${handle}`, { token: acme.token, body: values });
      if (reply.status !== 200) throw new Error(`PUT ${handle}: ${reply.status} ${reply.text}`);
    };
    await put('88.118.8/Wrench-1', [
      { index: 1, type: 'URL', data: 'https://tools.example.cn/p/1', ttl: 600, timestamp: '2026-01-01T00:00:00Z' },
      { index: 2, type: 'EMAIL', data: 'sales@tools.example.cn' },
      { index: 3, type: 'COST', data: '42.00', permissions: '1100' },
    ]);
    await put('88.118.8/public-only', [{ index: 1, type: 'URL', data: 'https://p.example.cn' }]);
    await put(
      '88.118.8/big',
      Array.from({ length: 12 }, (_, i) => ({ index: i + 1, type: `DESC.${i}`, data: `${'long text '.repeat(12)}${i}` })),
    );
  });
  afterAll(async () => {
    await node?.stop();
  });

  describe('UDP (from a source not verified by TCP)', () => {
    it('resolves public values, echoing the request id and the handle as spelled', async () => {
      const reply = await udp({ requestId: 0xfedcba98, handle: '88.118.8/WRENCH-1' });
      expect(reply).toMatchObject({ requestId: 0xfedcba98, opCode: 1, responseCode: 1, handle: '88.118.8/WRENCH-1', major: 2, minor: 10 });
      expect(reply.values?.map((v) => [v.index, v.type, v.data.toString()])).toEqual([
        [1, 'URL', 'https://tools.example.cn/p/1'],
        [2, 'EMAIL', 'sales@tools.example.cn'],
      ]);
      const rest = await node.request('GET', '/api/handles/88.118.8/Wrench-1');
      expect(reply.values?.[0]).toMatchObject({ ttlType: 0, ttl: 600, permissions: 0x0e, timestamp: Date.parse(rest.body.values[0].timestamp) / 1000 });
      expect(reply.opFlags & FLAG_PO).toBe(FLAG_PO);
    });

    it('answers the second time from the prepared reply with the new request id', async () => {
      const first = await udp({ requestId: id(), handle: '88.118.8/public-only' });
      const requestId = id();
      const second = await udp({ requestId, handle: '88.118.8/public-only' });
      expect(second.requestId).toBe(requestId);
      expect(second.values).toEqual(first.values);
      const metrics = (await node.request('GET', '/metrics')).text;
      expect(Number(/idis_handle_protocol_events_total\{event="prepared_reply"\} (\d+)/.exec(metrics)?.[1])).toBeGreaterThan(0);
    });

    it('answers a change made over HTTP at once (the prepared reply retires with the L1 entry)', async () => {
      await udp({ requestId: id(), handle: '88.118.8/public-only' });
      const put = await node.request('PUT', '/api/handles/88.118.8/public-only', { token: acme.token, body: [{ index: 1, type: 'URL', data: 'https://changed.example.cn' }] });
      expect(put.status).toBe(200);
      const after = await udp({ requestId: id(), handle: '88.118.8/public-only' });
      expect(after.values?.map((v) => v.data.toString())).toEqual(['https://changed.example.cn']);
    });

    it('selects values by index and type, and says RC_VALUES_NOT_FOUND (200) when none match', async () => {
      const byIndex = await udp({ requestId: id(), handle: '88.118.8/Wrench-1', indexes: [2] });
      expect(byIndex.values?.map((v) => v.index)).toEqual([2]);
      const byType = await udp({ requestId: id(), handle: '88.118.8/Wrench-1', types: ['url'] });
      expect(byType.values?.map((v) => v.index)).toEqual([1]);
      const privateOnly = await udp({ requestId: id(), handle: '88.118.8/Wrench-1', indexes: [3] });
      expect(privateOnly).toMatchObject({ responseCode: 200 });
    });

    it('says RC_HANDLE_NOT_FOUND (100) with a message, and RC_INVALID_HANDLE (102) for a malformed handle', async () => {
      expect(await udp({ requestId: id(), handle: '88.118.8/nothing-here' })).toMatchObject({ responseCode: 100, message: 'handle 88.118.8/nothing-here not found' });
      const invalid = await udp({ requestId: id(), handle: 'no-slash' });
      expect(invalid.responseCode).toBe(102);
      expect(invalid.message).toMatch(/no "\/"/);
    });

    it('refuses authenticated requests with a clear code: a credential, a session, CT, or PO clear on private values', async () => {
      const signed = await udp({ requestId: id(), handle: '88.118.8/Wrench-1', credential: Buffer.from('signature') });
      expect(signed.responseCode).toBe(5);
      expect(signed.message).toMatch(/does not authenticate Handle protocol clients/);
      expect((await udp({ requestId: id(), handle: '88.118.8/Wrench-1', sessionId: 7 })).responseCode).toBe(5);
      expect((await udp({ requestId: id(), handle: '88.118.8/Wrench-1', opFlags: FLAG_REC | FLAG_PO | FLAG_CT })).responseCode).toBe(5);
      expect((await udp({ requestId: id(), handle: '88.118.8/Wrench-1', opFlags: FLAG_REC })).responseCode).toBe(402);
      // Without PO a record whose values are all public is simply answered.
      expect((await udp({ requestId: id(), handle: '88.118.8/public-only', opFlags: FLAG_REC })).responseCode).toBe(1);
    });

    it('refuses another major version with RC_PROTOCOL_ERROR (4), still echoing the request id', async () => {
      const reply = await udp({ requestId: 4242, handle: '88.118.8/Wrench-1', major: 3, minor: 0 });
      expect(reply).toMatchObject({ requestId: 4242, responseCode: 4, major: 2, minor: 10 });
      expect(reply.message).toMatch(/version 3\.0 is not supported/);
      expect((await udp({ requestId: id(), handle: '88.118.8/Wrench-1', major: 2, minor: 3, suggested: null })).minor).toBe(3);
    });

    it('refuses a lying length with RC_PROTOCOL_ERROR and ignores a runt', async () => {
      const packet = buildRequest({ requestId: 777, handle: '88.118.8/Wrench-1' });
      packet.writeUInt32BE(0xfffffff0, 44); // handle length far beyond the body
      const result = await udpExchange(port, [packet], 777);
      expect(parseReply(result.whole as Buffer)).toMatchObject({ requestId: 777, responseCode: 4 });
      const runt = await udpExchange(port, [Buffer.from([2, 10, 0])], 0, 500);
      expect(runt.packets).toEqual([]);
    });

    it('adds the request digest (SHA-256 for 2.10) when RD is set', async () => {
      const request = buildRequest({ requestId: 31, handle: '88.118.8/Wrench-1', opFlags: FLAG_REC | FLAG_PO | FLAG_RD });
      const reply = parseReply((await udpExchange(port, [request], 31)).whole as Buffer);
      const { createHash } = await import('node:crypto');
      const signedPart = request.subarray(20, request.length - 4);
      expect(reply.digest?.toString('hex')).toBe(createHash('sha256').update(signedPart).digest('hex'));
      expect(reply.values?.length).toBe(2);
    });

    it('cuts a reply too large for an unverified source to one piece with TC set (no amplification)', async () => {
      const requestId = id();
      const request = buildRequest({ requestId, handle: '88.118.8/big' });
      const result = await udpExchange(port, [request], requestId, 1500);
      expect(result.whole).toBeUndefined();
      expect(result.packets).toHaveLength(1);
      const [piece] = result.packets;
      expect(piece[2] & 0x20).toBe(0x20);
      expect(piece.length).toBeLessThanOrEqual(Math.min(512, request.length * 8));
      expect(piece.readUInt32BE(16)).toBeGreaterThan(piece.length - 20);
    });

    it('answers OC_GET_SITEINFO with an HS_SITE that points at these listeners', async () => {
      const reply = await udp({ requestId: id(), opCode: OP_GET_SITEINFO, handle: '' });
      expect(reply.responseCode).toBe(1);
      expect(reply.site?.servers).toHaveLength(1);
      expect(reply.site?.servers[0].address.subarray(12).join('.')).toBe('127.0.0.1');
      expect(reply.site?.servers[0].interfaces).toEqual([
        { type: 2, protocol: 0, port },
        { type: 2, protocol: 1, port },
      ]);
      expect(reply.site?.primaryMask).toBe(0x80);
    });

    it('reassembles a request sent in several datagrams', async () => {
      const requestId = id();
      const whole = buildRequest({ requestId, handle: '88.118.8/Wrench-1', types: Array.from({ length: 60 }, (_, i) => `TYPE.${i}.padding`).concat(['URL']) });
      const message = whole.subarray(20);
      const packets: Buffer[] = [];
      for (let offset = 0, sequence = 0; offset < message.length; offset += 492, sequence += 1) {
        const envelope = Buffer.from(whole.subarray(0, 20));
        envelope[2] |= 0x20;
        envelope.writeUInt32BE(sequence, 12);
        packets.push(Buffer.concat([envelope, message.subarray(offset, offset + 492)]));
      }
      expect(packets.length).toBeGreaterThan(2);
      const reply = parseReply((await udpExchange(port, packets.reverse(), requestId)).whole as Buffer);
      expect(reply.values?.map((v) => v.type)).toEqual(['URL']);
    });

    it('answers an incomplete multi-packet request with RC_PROTOCOL_ERROR once its time runs out', async () => {
      const requestId = id();
      const whole = buildRequest({ requestId, handle: '88.118.8/Wrench-1', types: Array.from({ length: 60 }, (_, i) => `TYPE.${i}.padding`) });
      const envelope = Buffer.from(whole.subarray(0, 20));
      envelope[2] |= 0x20;
      const first = Buffer.concat([envelope, whole.subarray(20, 20 + 492)]);
      const result = await udpExchange(port, [first], requestId, 9000);
      expect(parseReply(result.whole as Buffer)).toMatchObject({ requestId, responseCode: 4, message: expect.stringMatching(/incomplete message: 1 of \d+ packets/) });
    }, 20_000);
  });

  describe('TCP', () => {
    it('answers pipelined requests on a kept connection, and closes after a request without KeepConnection', async () => {
      const session = await TcpSession.open(port);
      session.send(Buffer.concat([buildRequest({ requestId: 1, handle: '88.118.8/Wrench-1', opFlags: FLAG_REC | FLAG_PO | FLAG_KC }), buildRequest({ requestId: 2, handle: '88.118.8/nope', opFlags: FLAG_REC | FLAG_PO | FLAG_KC })]));
      const replies = [parseReply(await session.next()), parseReply(await session.next())].sort((a, b) => a.requestId - b.requestId);
      expect(replies.map((r) => [r.requestId, r.responseCode])).toEqual([
        [1, 1],
        [2, 100],
      ]);
      expect(session.closed).toBe(false);
      session.send(buildRequest({ requestId: 3, handle: '88.118.8/big' }));
      const big = parseReply(await session.next());
      expect(big.values).toHaveLength(12);
      await session.closedAt;
      expect(session.closed).toBe(true);
    });

    it('sends a TCP-verified source the whole large reply over UDP, in pieces', async () => {
      const requestId = id();
      const result = await udpExchange(port, [buildRequest({ requestId, handle: '88.118.8/big' })], requestId);
      expect(result.packets.length).toBeGreaterThan(1);
      expect(parseReply(result.whole as Buffer).values).toHaveLength(12);
    });
  });

  describe('counting', () => {
    it('counts resolutions under the handle front door, in /metrics and the statistics', async () => {
      const metrics = (await node.request('GET', '/metrics')).text;
      expect(Number(/idis_resolutions_by_door_total\{door="handle"\} (\d+)/.exec(metrics)?.[1])).toBeGreaterThanOrEqual(2);
      const token = await node.operatorToken();
      const series = await waitFor('the handle door in the statistics', async () => {
        const doors = await node.request('GET', '/api/v1/stats/doors?prefix=88.118.8', { token });
        if (doors.status !== 200) throw new Error(`${doors.status} ${doors.text}`);
        return doors.body.totals.handleProtocol >= 2 ? doors.body.totals : undefined;
      });
      expect(series.handleProtocol).toBeGreaterThanOrEqual(2);
    });
  });
});

describe('Handle protocol limits', () => {
  let node: TestNode;
  let port: number;

  beforeAll(async () => {
    node = await TestNode.start({
      HANDLE_PROTOCOL_PORT: '0',
      HANDLE_PROTOCOL_HOST: '127.0.0.1',
      HANDLE_PROTOCOL_SOURCE_PPS: '5',
      HANDLE_PROTOCOL_SOURCE_BURST: '5',
      HANDLE_PROTOCOL_MAX_CONNECTIONS: '2',
      HANDLE_PROTOCOL_TCP_IDLE_TIMEOUT_MS: '400',
      HANDLE_PROTOCOL_TCP_READ_TIMEOUT_MS: '400',
      HANDLE_PROTOCOL_MAX_REQUEST_BYTES: '1024',
    });
    port = node.handlePort as number;
  });
  afterAll(async () => {
    await node?.stop();
  });

  const event = async (name: string) => Number(new RegExp(`idis_handle_protocol_events_total\\{event="${name}"\\} (\\d+)`).exec((await node.request('GET', '/metrics')).text)?.[1] ?? 'NaN');

  it('drops UDP packets beyond a source budget and counts them', async () => {
    const packets = Array.from({ length: 30 }, (_, i) => buildRequest({ requestId: 5000 + i, handle: '88.118.8/none' }));
    const { createSocket } = await import('node:dgram');
    const socket = createSocket('udp4');
    const answered = new Set<number>();
    socket.on('message', (reply) => answered.add(reply.readUInt32BE(8)));
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    for (const packet of packets) socket.send(packet, port, '127.0.0.1');
    await waitFor('budget drops counted', async () => (await event('budget_drop')) >= 20, { timeoutMs: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 500));
    socket.close();
    expect(answered.size).toBeGreaterThanOrEqual(1);
    expect(answered.size).toBeLessThanOrEqual(8);
  });

  it('closes an idle connection, and one whose request does not arrive in time', async () => {
    const idle = await TcpSession.open(port);
    await idle.closedAt;
    expect(await event('tcp_idle_timeout')).toBeGreaterThanOrEqual(1);
    const slow = await TcpSession.open(port);
    slow.send(buildRequest({ requestId: 1, handle: '88.118.8/x' }).subarray(0, 30));
    await slow.closedAt;
    expect(await event('tcp_read_timeout')).toBeGreaterThanOrEqual(1);
  });

  it('refuses a request over the size limit with RC_PROTOCOL_ERROR and closes', async () => {
    const session = await TcpSession.open(port);
    session.send(buildRequest({ requestId: 99, handle: `88.118.8/${'x'.repeat(2000)}` }));
    const reply = parseReply(await session.next());
    expect(reply).toMatchObject({ requestId: 99, responseCode: 4 });
    expect(reply.message).toMatch(/exceeds this server's limit/);
    await session.closedAt;
  });

  it('caps connections: the one beyond the limit is closed at once', async () => {
    const first = await TcpSession.open(port);
    const second = await TcpSession.open(port);
    const third = await TcpSession.open(port);
    await third.closedAt;
    expect(first.closed || second.closed).toBe(false);
    expect(await event('connection_refused')).toBeGreaterThanOrEqual(1);
    // A closed connection frees its place: the next one is served.
    first.close();
    await first.closedAt;
    await waitFor('the closed connection to leave the count', async () => Number(/idis_handle_protocol_connections (\d+)/.exec((await node.request('GET', '/metrics')).text)?.[1] ?? 'NaN') < 2 || undefined, { timeoutMs: 5000 });
    const fourth = await TcpSession.open(port);
    fourth.send(buildRequest({ requestId: 4444, handle: '88.118.8/none', opFlags: FLAG_REC | FLAG_PO | FLAG_KC }));
    expect(parseReply(await fourth.next())).toMatchObject({ requestId: 4444, responseCode: 100 });
    fourth.close();
    second.close();
  });
});
