import { createSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';

/**
 * An independent Handle protocol client for tests, written from RFC 3652 §2 (and the byte
 * conventions of Handle.Net's hdllib: suggested version in the envelope flag byte, an empty
 * credential as a zero length) — deliberately NOT using libs/handle-protocol, so the listeners
 * are checked against a second reading of the specification.
 */

export const OP_RESOLUTION = 1;
export const OP_GET_SITEINFO = 2;
export const FLAG_AT = 0x80000000;
export const FLAG_CT = 0x40000000;
export const FLAG_REC = 0x10000000;
export const FLAG_KC = 0x02000000;
export const FLAG_PO = 0x01000000;
export const FLAG_RD = 0x00800000;
/** doNotRefer (Handle.Net MSG_FLAG_DNRF): resolve for me, never answer with a referral. */
export const FLAG_DNRF = 0x00100000;

export interface RequestOptions {
  requestId: number;
  opCode?: number;
  handle?: string;
  indexes?: number[];
  types?: string[];
  opFlags?: number;
  major?: number;
  minor?: number;
  sessionId?: number;
  /** Bytes of a (fake) credential after its length. */
  credential?: Buffer;
  /** The version suggested in the envelope flag bytes (Handle.Net ≥ 2.x); null: no suggestion. Default 2.10. */
  suggested?: { major: number; minor: number } | null;
  /** Leave out the handle/index/type body (e.g. a bare OC_GET_SITEINFO). */
  emptyBody?: boolean;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

function utf8(s: string): Buffer {
  const bytes = Buffer.from(s, 'utf8');
  return Buffer.concat([u32(bytes.length), bytes]);
}

/** Envelope (20) + header (24) + body + credential, as one packet. */
export function buildRequest(o: RequestOptions): Buffer {
  const opCode = o.opCode ?? OP_RESOLUTION;
  let body = Buffer.alloc(0);
  if (!o.emptyBody) {
    const parts = [utf8(o.handle ?? '')];
    if (opCode === OP_RESOLUTION) {
      const indexes = o.indexes ?? [];
      parts.push(u32(indexes.length), ...indexes.map(u32));
      const types = o.types ?? [];
      parts.push(u32(types.length), ...types.map(utf8));
    }
    body = Buffer.concat(parts);
  }
  const header = Buffer.alloc(24);
  header.writeUInt32BE(opCode, 0);
  header.writeUInt32BE(0, 4);
  header.writeUInt32BE((o.opFlags ?? FLAG_REC | FLAG_PO) >>> 0, 8);
  header.writeUInt16BE(0, 12);
  header[14] = 0;
  header.writeUInt32BE(0, 16);
  header.writeUInt32BE(body.length, 20);
  const credential = o.credential ? Buffer.concat([u32(o.credential.length), o.credential]) : u32(0);
  const message = Buffer.concat([header, body, credential]);
  const envelope = Buffer.alloc(20);
  envelope[0] = o.major ?? 2;
  envelope[1] = o.minor ?? 10;
  const suggested = o.suggested === undefined ? { major: 2, minor: 10 } : o.suggested;
  envelope[2] = suggested ? suggested.major & 0x03 : 0; // Handle.Net places the suggested major in the low bits of the flag byte
  envelope[3] = suggested ? suggested.minor : 0;
  envelope.writeUInt32BE(o.sessionId ?? 0, 4);
  envelope.writeUInt32BE(o.requestId >>> 0, 8);
  envelope.writeUInt32BE(0, 12);
  envelope.writeUInt32BE(message.length, 16);
  return Buffer.concat([envelope, message]);
}

export interface ReplyValue {
  index: number;
  timestamp: number;
  ttlType: number;
  ttl: number;
  permissions: number;
  type: string;
  data: Buffer;
  references: Array<{ handle: string; index: number }>;
}

export interface Reply {
  major: number;
  minor: number;
  truncated: boolean;
  requestId: number;
  opCode: number;
  responseCode: number;
  opFlags: number;
  siteSerial: number;
  bodyLength: number;
  handle?: string;
  values?: ReplyValue[];
  message?: string;
  site?: SiteRecord;
  digest?: Buffer;
}

export interface SiteRecord {
  version: number;
  major: number;
  minor: number;
  serial: number;
  primaryMask: number;
  hashOption: number;
  attributes: Record<string, string>;
  servers: Array<{ id: number; address: Buffer; interfaces: Array<{ type: number; protocol: number; port: number }> }>;
}

class Cursor {
  constructor(
    private readonly b: Buffer,
    public at = 0,
  ) {}
  u8(): number {
    return this.b[this.at++];
  }
  u16(): number {
    const v = this.b.readUInt16BE(this.at);
    this.at += 2;
    return v;
  }
  u32(): number {
    const v = this.b.readUInt32BE(this.at);
    this.at += 4;
    return v;
  }
  bytes(): Buffer {
    const n = this.u32();
    const v = this.b.subarray(this.at, this.at + n);
    if (v.length !== n) throw new Error(`field of ${n} bytes runs past the reply`);
    this.at += n;
    return v;
  }
  str(): string {
    return this.bytes().toString('utf8');
  }
  left(): number {
    return this.b.length - this.at;
  }
}

function parseSite(data: Buffer): SiteRecord {
  const c = new Cursor(data);
  const site: SiteRecord = { version: c.u16(), major: c.u8(), minor: c.u8(), serial: c.u16(), primaryMask: c.u8(), hashOption: c.u8(), attributes: {}, servers: [] };
  c.bytes();
  for (let n = c.u32(); n > 0; n -= 1) site.attributes[c.str()] = c.str();
  for (let n = c.u32(); n > 0; n -= 1) {
    const id = c.u32();
    const address = Buffer.from(data.subarray(c.at, c.at + 16));
    c.at += 16;
    c.bytes();
    const interfaces: SiteRecord['servers'][number]['interfaces'] = [];
    for (let m = c.u32(); m > 0; m -= 1) interfaces.push({ type: c.u8(), protocol: c.u8(), port: c.u32() });
    site.servers.push({ id, address, interfaces });
  }
  return site;
}

export { parseSite };

/** Parses a complete reply (envelope + message, fragments already joined). */
export function parseReply(packet: Buffer): Reply {
  const envelope = new Cursor(packet);
  const major = envelope.u8();
  const minor = envelope.u8();
  const flags = envelope.u8();
  envelope.u8();
  envelope.u32();
  const requestId = envelope.u32();
  envelope.u32();
  const messageLength = envelope.u32();
  if (messageLength !== packet.length - 20) throw new Error(`reply says ${messageLength} bytes, has ${packet.length - 20}`);
  const h = new Cursor(packet, 20);
  const reply: Reply = { major, minor, truncated: (flags & 0x20) !== 0, requestId, opCode: h.u32(), responseCode: h.u32(), opFlags: h.u32(), siteSerial: h.u16(), bodyLength: 0 };
  h.u8();
  h.u8();
  h.u32();
  reply.bodyLength = h.u32();
  const body = new Cursor(packet.subarray(44, 44 + reply.bodyLength));
  if ((reply.opFlags & FLAG_RD) !== 0) {
    const alg = body.u8();
    const length = alg === 3 ? 32 : alg === 2 ? 20 : 16;
    reply.digest = Buffer.from(packet.subarray(44 + body.at, 44 + body.at + length));
    body.at += length;
  }
  if (reply.responseCode === 1 && reply.opCode === OP_RESOLUTION) {
    reply.handle = body.str();
    reply.values = [];
    for (let n = body.u32(); n > 0; n -= 1) {
      const value: ReplyValue = { index: body.u32(), timestamp: body.u32(), ttlType: body.u8(), ttl: body.u32(), permissions: body.u8(), type: body.str(), data: Buffer.from(body.bytes()), references: [] };
      for (let r = body.u32(); r > 0; r -= 1) value.references.push({ handle: body.str(), index: body.u32() });
      reply.values.push(value);
    }
  } else if (reply.responseCode === 1 && reply.opCode === OP_GET_SITEINFO) {
    reply.site = parseSite(packet.subarray(44 + body.at, 44 + reply.bodyLength));
  } else if (reply.responseCode === 302) {
    reply.handle = body.str();
    if (body.left() > 0) {
      reply.values = [];
      for (let n = body.u32(); n > 0; n -= 1) {
        const value: ReplyValue = { index: body.u32(), timestamp: body.u32(), ttlType: body.u8(), ttl: body.u32(), permissions: body.u8(), type: body.str(), data: Buffer.from(body.bytes()), references: [] };
        for (let r = body.u32(); r > 0; r -= 1) value.references.push({ handle: body.str(), index: body.u32() });
        reply.values.push(value);
      }
    }
  } else {
    reply.message = body.str();
  }
  // The credential: an unsigned reply ends with a zero length.
  const credentialAt = 44 + reply.bodyLength;
  if (packet.length !== credentialAt + 4 || packet.readUInt32BE(credentialAt) !== 0) throw new Error('reply does not end with an empty credential');
  return reply;
}

/** What came back over UDP for one request: every datagram, joined when they form a whole message. */
export interface UdpResult {
  packets: Buffer[];
  /** The joined reply, when all pieces arrived (or one untruncated packet). */
  whole?: Buffer;
}

/** Sends `packets` from one socket and collects the replies of `requestId` until whole or `waitMs` passes. */
export function udpExchange(port: number, packets: Buffer[], requestId: number, waitMs = 3000, host = '127.0.0.1'): Promise<UdpResult> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    const received: Buffer[] = [];
    const finish = (whole?: Buffer) => {
      clearTimeout(timer);
      socket.close();
      resolve({ packets: received, whole });
    };
    const timer = setTimeout(() => finish(), waitMs);
    socket.on('error', (error) => {
      clearTimeout(timer);
      socket.close();
      reject(error);
    });
    socket.on('message', (packet) => {
      if (packet.length < 20 || packet.readUInt32BE(8) !== requestId >>> 0) return;
      received.push(packet);
      const truncated = (packet[2] & 0x20) !== 0;
      if (!truncated) return finish(packet);
      // Join the pieces by SequenceNumber once MessageLength bytes are there (RFC 3652 §2.3).
      const total = packet.readUInt32BE(16);
      const pieces = new Map<number, Buffer>();
      for (const p of received) pieces.set(p.readUInt32BE(12), p.subarray(20));
      const bytes = [...pieces.values()].reduce((n, p) => n + p.length, 0);
      if (bytes === total) {
        const ordered = [...pieces.entries()].sort((a, b) => a[0] - b[0]).map(([, p]) => p);
        const envelope = Buffer.from(packet.subarray(0, 20));
        envelope[2] &= ~0x20;
        envelope.writeUInt32BE(0, 12);
        finish(Buffer.concat([envelope, ...ordered]));
      }
    });
    socket.bind(0, '127.0.0.1', () => {
      for (const packet of packets) socket.send(packet, port, host);
    });
  });
}

/** A TCP connection that reads replies framed by their envelopes. */
export class TcpSession {
  private buffer = Buffer.alloc(0);
  private readonly waiting: Array<(reply: Buffer) => void> = [];
  readonly replies: Buffer[] = [];
  closed = false;
  readonly closedAt: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      while (this.buffer.length >= 20) {
        const length = 20 + this.buffer.readUInt32BE(16);
        if (this.buffer.length < length) break;
        const reply = this.buffer.subarray(0, length);
        this.buffer = this.buffer.subarray(length);
        const waiter = this.waiting.shift();
        if (waiter) waiter(reply);
        else this.replies.push(reply);
      }
    });
    this.closedAt = new Promise((resolve) =>
      socket.on('close', () => {
        this.closed = true;
        resolve();
      }),
    );
    socket.on('error', () => undefined);
  }

  static open(port: number, host = '127.0.0.1'): Promise<TcpSession> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, host, () => resolve(new TcpSession(socket)));
      socket.once('error', reject);
    });
  }

  send(packet: Buffer): void {
    this.socket.write(packet);
  }

  next(timeoutMs = 5000): Promise<Buffer> {
    const ready = this.replies.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no reply within the time limit')), timeoutMs);
      this.waiting.push((reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
    });
  }

  close(): void {
    this.socket.destroy();
  }
}
