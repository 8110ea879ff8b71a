import fc from 'fast-check';
import {
  addressBytes,
  BoundedReader,
  decodeEnvelope,
  decodeMessage,
  decodePacket,
  decodeResolutionRequest,
  decodeResponseBody,
  decodeSiteInfo,
  encodeMessage,
  encodePacket,
  encodeResolutionRequestBody,
  encodeSiteInfo,
  encodeValue,
  errorResponseBody,
  fragmentMessage,
  HandleProtocolError,
  OpCode,
  OpFlag,
  plainResolutionHandleLength,
  readValue,
  requestDigest,
  ResponseCode,
  resolutionResponseBody,
  encodeValueList,
  ServiceType,
  singleServerSite,
  stampReply,
  TransportProtocol,
  UdpReassembler,
  wireValueFromJson,
  type WireValue,
} from './index';

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');

/**
 * The byte strings below were worked out by hand from RFC 3652 §2.2 / RFC 3651 §3.1 and
 * Handle.Net's Encoder (field order, sizes) and checked with Python's struct module — not with
 * this codec.
 */
// OC_RESOLUTION of "88.118.8/A", request id 0x01020304, version 2.10 suggesting 2.11, REC|PO, empty lists, empty credential.
const RESOLUTION_REQUEST = hex(`
  02 0a 02 0b  00000000  01020304  00000000  00000032
  00000001 00000000 11000000 0000 00 00 00000000 00000016
  0000000a 38382e3131382e382f41  00000000  00000000
  00000000`);

// A URL value: index 1, timestamp 2026-01-01T00:00:00Z, relative TTL 86400, permissions 1110, no references.
const URL_VALUE = hex('00000001 6955b900 00 00015180 0e 00000003 55524c 00000015 68747470733a2f2f6578616d706c652e636f6d2f61 00000000');

// RC_HANDLE_NOT_FOUND reply to the request above, server 2.10, site serial 7, expiration 2026-01-01.
const NOT_FOUND_REPLY = hex(
  '020a020a0000000001020304000000000000003b000000010000006401000000000700006955b9000000001f0000001b68616e646c652038382e3131382e382f41206e6f7420666f756e6400000000',
);

// HS_SITE: format 1, protocol 2.10, serial 7, primary, hash by handle, desc=IDIS, one server 127.0.0.1 with query/UDP/2641 and query/TCP/2641.
const SITE = hex(
  '0001020a0007800200000000000000010000000464657363000000044944495300000001000000010000000000000000000000007f0000010000000000000002020000000a51020100000a51',
);

describe('handle-protocol codec: hand-worked bytes', () => {
  it('reads the envelope, header and resolution body of a request byte by byte', () => {
    const { envelope, message } = decodePacket(RESOLUTION_REQUEST);
    expect(envelope).toEqual({
      majorVersion: 2,
      minorVersion: 10,
      compressed: false,
      encrypted: false,
      truncated: false,
      suggestedMajor: 2,
      suggestedMinor: 11,
      sessionId: 0,
      requestId: 0x01020304,
      sequenceNumber: 0,
      messageLength: 50,
    });
    expect(message.header).toEqual({ opCode: 1, responseCode: 0, opFlags: (OpFlag.RECURSIVE | OpFlag.PUBLIC_ONLY) >>> 0, siteInfoSerial: 0, recursionCount: 0, expiration: 0, bodyLength: 22 });
    expect(message.credential?.length).toBe(0);
    const request = decodeResolutionRequest(message.body);
    expect(request).toMatchObject({ handle: '88.118.8/A', indexes: [], types: [] });
    expect(plainResolutionHandleLength(RESOLUTION_REQUEST)).toBe(10);
  });

  it('writes the request the client would send, byte for byte', () => {
    const body = encodeResolutionRequestBody({ handle: '88.118.8/A' });
    const message = encodeMessage({ opCode: OpCode.RESOLUTION, responseCode: 0, opFlags: OpFlag.RECURSIVE | OpFlag.PUBLIC_ONLY, siteInfoSerial: 0, recursionCount: 0, expiration: 0 }, body);
    const packet = encodePacket({ majorVersion: 2, minorVersion: 10, compressed: false, encrypted: false, suggestedMajor: 2, suggestedMinor: 11, sessionId: 0, requestId: 0x01020304 }, message);
    expect(packet.toString('hex')).toBe(RESOLUTION_REQUEST.toString('hex'));
  });

  it('encodes a stored JSON value in the binary value layout', () => {
    const value = wireValueFromJson({ index: 1, type: 'URL', data: { format: 'string', value: 'https://example.com/a' }, ttl: 86400, timestamp: '2026-01-01T00:00:00Z' });
    expect(encodeValue(value).toString('hex')).toBe(URL_VALUE.toString('hex'));
    expect(readValue(new BoundedReader(URL_VALUE))).toEqual({ ...value, data: Buffer.from('https://example.com/a') });
  });

  it('writes HS_ADMIN data permissions first, then the admin handle and index (as Handle.Net does)', () => {
    const value = wireValueFromJson({ index: 100, type: 'HS_ADMIN', data: { format: 'admin', value: { handle: '0.NA/88.118.8', index: 200, permissions: '011111110010' } }, permissions: '1110' });
    expect(Buffer.from(value.data).toString('hex')).toBe('07f20000000d302e4e412f38382e3131382e38000000c8');
    expect(value.permissions).toBe(0x0e);
  });

  it('maps permissions, absolute TTLs, hex/base64 data and references', () => {
    const value = wireValueFromJson({ index: 7, type: 'X', data: { format: 'hex', value: 'cafe' }, ttl: '2026-01-01T00:00:00Z', permissions: '1001', references: [{ handle: '88.1/r', index: 3 }] });
    expect(value).toMatchObject({ ttlType: 1, ttl: 1767225600, permissions: 0x09, references: [{ handle: '88.1/r', index: 3 }] });
    expect(Buffer.from(value.data).toString('hex')).toBe('cafe');
    expect(Buffer.from(wireValueFromJson({ index: 1, type: 'B', data: { format: 'base64', value: 'yv4=' } }).data).toString('hex')).toBe('cafe');
  });

  it('writes an RC_HANDLE_NOT_FOUND reply with its message, echoing the request id', () => {
    const body = errorResponseBody('handle 88.118.8/A not found');
    const message = encodeMessage({ opCode: 1, responseCode: ResponseCode.HANDLE_NOT_FOUND, opFlags: OpFlag.PUBLIC_ONLY, siteInfoSerial: 7, recursionCount: 0, expiration: 1767225600 }, body);
    const packet = encodePacket({ majorVersion: 2, minorVersion: 10, compressed: false, encrypted: false, suggestedMajor: 2, suggestedMinor: 10, sessionId: 0, requestId: 0x01020304 }, message);
    expect(packet.toString('hex')).toBe(NOT_FOUND_REPLY.toString('hex'));
    const decoded = decodePacket(NOT_FOUND_REPLY);
    expect(decodeResponseBody(decoded.message.header, decoded.message.body)).toEqual({ responseCode: 100, opCode: 1, errorMessage: 'handle 88.118.8/A not found' });
  });

  it('writes the HS_SITE record of a one-server site', () => {
    const site = singleServerSite({
      serialNumber: 7,
      majorVersion: 2,
      minorVersion: 10,
      description: 'IDIS',
      address: addressBytes('127.0.0.1') as Uint8Array,
      interfaces: [
        { type: ServiceType.QUERY, protocol: TransportProtocol.UDP, port: 2641 },
        { type: ServiceType.QUERY, protocol: TransportProtocol.TCP, port: 2641 },
      ],
    });
    expect(encodeSiteInfo(site).toString('hex')).toBe(SITE.toString('hex'));
    expect(decodeSiteInfo(SITE)).toEqual({ ...site, hashFilter: Buffer.alloc(0), servers: [{ ...site.servers[0], address: Buffer.from(site.servers[0].address), publicKey: Buffer.alloc(0) }] });
  });

  it('stamps a prepared reply with the request id, version, echoed flags and expiration', () => {
    const reply = Buffer.from(NOT_FOUND_REPLY);
    const request = Buffer.from(RESOLUTION_REQUEST);
    request.writeUInt32BE(0xdeadbeef, 8);
    request.writeUInt32BE((OpFlag.AUTHORITATIVE | OpFlag.PUBLIC_ONLY) >>> 0, 28);
    stampReply(reply, request, 1767229200);
    const { envelope, message } = decodePacket(reply);
    expect(envelope.requestId).toBe(0xdeadbeef);
    expect([envelope.majorVersion, envelope.minorVersion, envelope.suggestedMajor, envelope.suggestedMinor]).toEqual([2, 10, 2, 10]);
    expect(message.header.opFlags).toBe((OpFlag.AUTHORITATIVE | OpFlag.PUBLIC_ONLY) >>> 0);
    expect(message.header.expiration).toBe(1767229200);
  });

  it('reads and stamps requests and replies in the middle of a larger buffer (TCP batches)', () => {
    const request = Buffer.from(RESOLUTION_REQUEST);
    request.writeUInt32BE(0xcafef00d, 8);
    const stream = Buffer.concat([Buffer.from([9, 9, 9]), request, Buffer.from([7, 7])]);
    expect(plainResolutionHandleLength(stream, 3, request.length)).toBe(10);
    expect(plainResolutionHandleLength(stream, 3, request.length + 1)).toBe(-1);
    expect(plainResolutionHandleLength(stream, 4, request.length)).toBe(-1);
    expect(plainResolutionHandleLength(stream, 3, stream.length)).toBe(-1);
    const alone = Buffer.from(NOT_FOUND_REPLY);
    stampReply(alone, request, 1767229200);
    const batch = Buffer.alloc(NOT_FOUND_REPLY.length + 5, 0xee);
    NOT_FOUND_REPLY.copy(batch, 5);
    stampReply(batch, stream, 1767229200, 5, 3);
    expect(batch.subarray(5).toString('hex')).toBe(alone.toString('hex'));
    expect(batch.subarray(0, 5).toString('hex')).toBe('eeeeeeeeee');
  });

  it('answers an older client in its own version: 2.3 stays 2.3', () => {
    const request = Buffer.from(RESOLUTION_REQUEST);
    request[1] = 3;
    request[2] = 0;
    request[3] = 0;
    const reply = Buffer.from(NOT_FOUND_REPLY);
    stampReply(reply, request, 0);
    expect([reply[0], reply[1]]).toEqual([2, 3]);
  });

  it('computes the request digest as Handle.Net does: SHA-256 from 2.7, SHA-1 from 2.1', () => {
    const signed = decodePacket(RESOLUTION_REQUEST).message.signedPart;
    expect(requestDigest(signed, { major: 2, minor: 10 })[0]).toBe(3);
    expect(requestDigest(signed, { major: 2, minor: 10 }).length).toBe(33);
    expect(requestDigest(signed, { major: 2, minor: 5 }).subarray(0, 1).toString('hex')).toBe('02');
    expect(requestDigest(signed, { major: 2, minor: 0 }).length).toBe(20);
  });
});

describe('handle-protocol codec: malformed input is refused without trusting its lengths', () => {
  const refuses = (packet: Buffer, code: number, pattern: RegExp) => {
    let error: unknown;
    try {
      const { message } = decodePacket(packet);
      decodeResolutionRequest(message.body);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(HandleProtocolError);
    expect((error as HandleProtocolError).responseCode).toBe(code);
    expect((error as Error).message).toMatch(pattern);
  };

  it('refuses a packet shorter than the envelope', () => refuses(RESOLUTION_REQUEST.subarray(0, 19), ResponseCode.PROTOCOL_ERROR, /shorter than the 20-byte envelope/));

  it('refuses protocol major versions other than 2', () => {
    const packet = Buffer.from(RESOLUTION_REQUEST);
    packet[0] = 3;
    refuses(packet, ResponseCode.PROTOCOL_ERROR, /version 3\.10 is not supported/);
  });

  it('refuses a message length that lies about the packet', () => {
    const packet = Buffer.from(RESOLUTION_REQUEST);
    packet.writeUInt32BE(49, 16);
    refuses(packet, ResponseCode.PROTOCOL_ERROR, /says the message is 49 bytes but the packet carries 50/);
    packet.writeUInt32BE(0xffffffff, 16);
    refuses(packet, ResponseCode.PROTOCOL_ERROR, /exceeds the limit of 262144/);
  });

  it('refuses a body length beyond the message', () => {
    const packet = Buffer.from(RESOLUTION_REQUEST);
    packet.writeUInt32BE(1000, 40);
    refuses(packet, ResponseCode.PROTOCOL_ERROR, /body length 1000 exceeds/);
  });

  it('refuses a huge index count after reading only the count (no 16 GB allocation)', () => {
    const packet = Buffer.from(RESOLUTION_REQUEST);
    packet.writeUInt32BE(0xffffffff, 58);
    refuses(packet, ResponseCode.PROTOCOL_ERROR, /index list: 4294967295 items, at most 1024/);
    packet.writeUInt32BE(1000, 58);
    refuses(packet, ResponseCode.PROTOCOL_ERROR, /index list: 1000 items claimed but only 4 bytes left/);
  });

  it('refuses a handle length that runs past the body', () => {
    const packet = Buffer.from(RESOLUTION_REQUEST);
    packet.writeUInt32BE(0x7fffffff, 44);
    refuses(packet, ResponseCode.PROTOCOL_ERROR, /handle is 2147483647 bytes, at most 2048/);
    packet.writeUInt32BE(30, 44);
    refuses(packet, ResponseCode.PROTOCOL_ERROR, /ends inside handle/);
  });

  it('refuses a handle that is not UTF-8 with RC_INVALID_HANDLE', () => {
    const packet = Buffer.from(RESOLUTION_REQUEST);
    packet[57] = 0xff;
    refuses(packet, ResponseCode.INVALID_HANDLE, /not valid UTF-8/);
  });

  it('refuses trailing bytes and a credential length that does not fit', () => {
    const message = Buffer.concat([RESOLUTION_REQUEST.subarray(20), Buffer.from([1, 2])]);
    const longer = Buffer.concat([RESOLUTION_REQUEST, Buffer.from([1, 2])]);
    longer.writeUInt32BE(message.length, 16);
    refuses(longer, ResponseCode.PROTOCOL_ERROR, /unexpected bytes after the credential/);
    const credential = Buffer.from(RESOLUTION_REQUEST);
    credential.writeUInt32BE(100, 66);
    refuses(credential, ResponseCode.PROTOCOL_ERROR, /ends inside credential/);
  });

  it('never throws anything but a HandleProtocolError on random bytes, and never reads past them', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 200 }), (bytes) => {
        const packet = Buffer.from(bytes);
        try {
          const { message } = decodePacket(packet);
          if (message.header.opCode === 1) decodeResolutionRequest(message.body);
        } catch (error) {
          if (!(error instanceof HandleProtocolError)) throw error;
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws anything but a HandleProtocolError on mutations of a valid request', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(RESOLUTION_REQUEST.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), (edits) => {
        const packet = Buffer.from(RESOLUTION_REQUEST);
        for (const [at, value] of edits) packet[at] = value;
        try {
          const { message } = decodePacket(packet);
          decodeResolutionRequest(message.body);
        } catch (error) {
          if (!(error instanceof HandleProtocolError)) throw error;
        }
        // The fast path accepts only what the full decoder accepts as a plain request.
        // The fast path accepts only what the full decoder accepts as a plain request (the handle's UTF-8 is checked later, on a miss).
        const length = plainResolutionHandleLength(packet);
        if (length >= 0) {
          try {
            const request = decodeResolutionRequest(decodePacket(packet).message.body);
            expect([request.handleBytes.length, request.indexes.length, request.types.length]).toEqual([length, 0, 0]);
          } catch (error) {
            expect((error as HandleProtocolError).responseCode).toBe(ResponseCode.INVALID_HANDLE);
          }
        }
      }),
      { numRuns: 3000 },
    );
  });
});

const wireValue: fc.Arbitrary<WireValue> = fc.record({
  index: fc.nat({ max: 0xffffffff }),
  timestamp: fc.nat({ max: 0xffffffff }),
  ttlType: fc.constantFrom(0, 1),
  ttl: fc.nat({ max: 0xffffffff }),
  permissions: fc.nat({ max: 15 }),
  type: fc.string({ maxLength: 20 }),
  data: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
  references: fc.array(fc.record({ handle: fc.string({ maxLength: 20 }), index: fc.nat({ max: 0xffffffff }) }), { maxLength: 3 }),
});

describe('handle-protocol codec: round trips (property-based)', () => {
  it('value list → resolution reply → decoded values', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 40 }), fc.array(wireValue, { maxLength: 6 }), fc.nat({ max: 0xffffffff }), (handle, values, requestId) => {
        const body = resolutionResponseBody(Buffer.from(handle), encodeValueList(values));
        const message = encodeMessage({ opCode: 1, responseCode: 1, opFlags: 0, siteInfoSerial: 1, recursionCount: 0, expiration: 0 }, body);
        const packet = encodePacket({ majorVersion: 2, minorVersion: 10, compressed: false, encrypted: false, suggestedMajor: 2, suggestedMinor: 10, sessionId: 0, requestId }, message);
        const decoded = decodePacket(packet);
        expect(decoded.envelope.requestId).toBe(requestId);
        const response = decodeResponseBody(decoded.message.header, decoded.message.body);
        expect(response.handle).toBe(handle);
        expect(response.values).toEqual(values.map((v) => ({ ...v, data: Buffer.from(v.data) })));
      }),
      { numRuns: 300 },
    );
  });

  it('resolution request → bytes → request', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 100 }), fc.array(fc.nat({ max: 0xffffffff }), { maxLength: 10 }), fc.array(fc.string({ maxLength: 12 }), { maxLength: 5 }), (handle, indexes, types) => {
        const decoded = decodeResolutionRequest(encodeResolutionRequestBody({ handle, indexes, types }));
        expect({ handle: decoded.handle, indexes: decoded.indexes, types: decoded.types }).toEqual({ handle, indexes, types });
      }),
      { numRuns: 300 },
    );
  });

  it('HS_SITE → bytes → HS_SITE', () => {
    fc.assert(
      fc.property(fc.nat({ max: 0xffff }), fc.array(fc.record({ type: fc.nat({ max: 3 }), protocol: fc.nat({ max: 3 }), port: fc.nat({ max: 65535 }) }), { maxLength: 4 }), fc.uint8Array({ minLength: 16, maxLength: 16 }), (serialNumber, interfaces, address) => {
        const site = singleServerSite({ serialNumber, majorVersion: 2, minorVersion: 10, address: Buffer.from(address), interfaces });
        const back = decodeSiteInfo(encodeSiteInfo(site));
        expect(back.serialNumber).toBe(serialNumber);
        expect(back.servers[0].interfaces).toEqual(interfaces);
        expect(Buffer.from(back.servers[0].address)).toEqual(Buffer.from(address));
      }),
      { numRuns: 200 },
    );
  });

  it('message → UDP fragments (any arrival order, duplicates) → the same message', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 24, maxLength: 3000 }), fc.nat({ max: 0xffffffff }), fc.array(fc.nat(), { maxLength: 12 }), (bytes, requestId, shuffle) => {
        const message = Buffer.from(bytes);
        const packets = fragmentMessage({ majorVersion: 2, minorVersion: 10, compressed: false, encrypted: false, suggestedMajor: 2, suggestedMinor: 10, sessionId: 0, requestId }, message);
        expect(packets.every((p) => p.length <= 512)).toBe(true);
        if (packets.length === 1) {
          expect(decodeEnvelope(packets[0]).truncated).toBe(false);
          return;
        }
        const order = packets.map((_, i) => i);
        for (let i = 0; i < shuffle.length; i += 1) {
          const a = shuffle[i] % order.length;
          const b = (shuffle[i] >> 4) % order.length;
          [order[a], order[b]] = [order[b], order[a]];
        }
        const reassembler = new UdpReassembler({ maxMessageLength: 4096, maxPending: 4, maxPendingPerSource: 2, timeoutMs: 1000, dataSize: 492 });
        let result = reassembler.add('a', packets[order[0]], 0);
        expect(reassembler.add('a', packets[order[0]], 0).status).toBe(packets.length === 1 ? 'complete' : 'pending');
        for (const i of order.slice(1)) result = reassembler.add('a', packets[i], 0);
        expect(result.status).toBe('complete');
        if (result.status === 'complete') {
          expect(result.message.equals(message)).toBe(true);
          expect(result.envelope.requestId).toBe(requestId);
        }
        expect(reassembler.size).toBe(0);
      }),
      { numRuns: 200 },
    );
  });
});

describe('UDP reassembly limits', () => {
  const envelope = { majorVersion: 2, minorVersion: 10, compressed: false, encrypted: false, suggestedMajor: 2, suggestedMinor: 10, sessionId: 0, requestId: 9 };
  const limits = { maxMessageLength: 2000, maxPending: 2, maxPendingPerSource: 1, timeoutMs: 1000, dataSize: 492 };

  it('reports an incomplete set when its time runs out, and forgets it', () => {
    const packets = fragmentMessage(envelope, Buffer.alloc(1200, 1));
    const reassembler = new UdpReassembler(limits);
    expect(reassembler.add('a', packets[0], 0).status).toBe('pending');
    expect(reassembler.sweep(999)).toEqual([]);
    expect(reassembler.sweep(1000)).toEqual([{ source: 'a', envelope: expect.objectContaining({ requestId: 9 }), received: 1, expected: 3 }]);
    expect(reassembler.size).toBe(0);
  });

  it('refuses a claimed length above the limit, a piece of the wrong size, and a sequence beyond the set', () => {
    const reassembler = new UdpReassembler(limits);
    const big = fragmentMessage(envelope, Buffer.alloc(2500));
    expect(reassembler.add('a', big[0], 0)).toEqual({ status: 'refused', reason: expect.stringMatching(/2500 bytes exceeds the limit of 2000/) });
    const packets = fragmentMessage(envelope, Buffer.alloc(1200));
    const short = packets[0].subarray(0, 300);
    expect(reassembler.add('a', short, 0)).toEqual({ status: 'refused', reason: expect.stringMatching(/carries 280 bytes, 492 expected/) });
    const beyond = Buffer.from(packets[2]);
    beyond.writeUInt32BE(7, 12);
    expect(reassembler.add('a', beyond, 0)).toEqual({ status: 'refused', reason: expect.stringMatching(/fragment 7 of a message of 3/) });
  });

  it('caps incomplete sets per source and overall', () => {
    const reassembler = new UdpReassembler(limits);
    const first = fragmentMessage({ ...envelope, requestId: 1 }, Buffer.alloc(1200));
    const second = fragmentMessage({ ...envelope, requestId: 2 }, Buffer.alloc(1200));
    expect(reassembler.add('a', first[0], 0).status).toBe('pending');
    expect(reassembler.add('a', second[0], 0)).toEqual({ status: 'refused', reason: expect.stringMatching(/from this source/) });
    expect(reassembler.add('b', second[0], 0).status).toBe('pending');
    expect(reassembler.add('c', second[0], 0)).toEqual({ status: 'refused', reason: expect.stringMatching(/too many incomplete/) });
  });
});

describe('decodeMessage', () => {
  it('accepts a message without a credential section (Handle.Net reads one only when there is room)', () => {
    const withoutCredential = RESOLUTION_REQUEST.subarray(20, 20 + 46);
    expect(decodeMessage(withoutCredential).credential).toBeUndefined();
  });
});
