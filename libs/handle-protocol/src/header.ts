import { HEADER_SIZE } from './constants';
import { malformed } from './errors';

/** RFC 3652 §2.2.2: the 24-byte header after the envelope. */
export interface Header {
  opCode: number;
  responseCode: number;
  opFlags: number;
  siteInfoSerial: number;
  recursionCount: number;
  /** Seconds since the epoch after which the message is stale; 0 = never. */
  expiration: number;
  bodyLength: number;
}

export function encodeHeader(header: Header, target: Buffer = Buffer.allocUnsafe(HEADER_SIZE), offset = 0): Buffer {
  target.writeUInt32BE(header.opCode >>> 0, offset);
  target.writeUInt32BE(header.responseCode >>> 0, offset + 4);
  target.writeUInt32BE(header.opFlags >>> 0, offset + 8);
  target.writeUInt16BE(header.siteInfoSerial & 0xffff, offset + 12);
  target[offset + 14] = header.recursionCount & 0xff;
  target[offset + 15] = 0;
  target.writeUInt32BE(header.expiration >>> 0, offset + 16);
  target.writeUInt32BE(header.bodyLength >>> 0, offset + 20);
  return target;
}

/** Reads the header at `offset` of a message that has `available` bytes from there on. */
export function decodeHeader(bytes: Uint8Array, offset: number, available: number): Header {
  if (available < HEADER_SIZE) throw malformed(`message of ${available} bytes is shorter than the 24-byte header`);
  const view = Buffer.from(bytes.buffer, bytes.byteOffset + offset, HEADER_SIZE);
  const header: Header = {
    opCode: view.readUInt32BE(0),
    responseCode: view.readUInt32BE(4),
    opFlags: view.readUInt32BE(8),
    siteInfoSerial: view.readUInt16BE(12),
    recursionCount: view[14],
    expiration: view.readUInt32BE(16),
    bodyLength: view.readUInt32BE(20),
  };
  if (header.bodyLength > available - HEADER_SIZE) {
    throw malformed(`body length ${header.bodyLength} exceeds the ${available - HEADER_SIZE} bytes after the header`);
  }
  return header;
}
