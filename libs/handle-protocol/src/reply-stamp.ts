import { ENVELOPE_SIZE, HEADER_SIZE, OpCode, OpFlag } from './constants';
import { SERVER_MINOR, SUPPORTED_MAJOR } from './envelope';

/**
 * The hot path of a resolution server: a reply prepared once per record (envelope + header + body
 * + empty credential) is copied and only the fields that depend on the request are written into
 * the copy — no decoding into objects, no allocation beyond the copy.
 */

/** OpFlag bits a reply carries over from its request (Handle.Net AbstractMessage.takeValuesFrom). */
export const REPLY_ECHO_FLAGS = (OpFlag.AUTHORITATIVE | OpFlag.RECURSIVE | OpFlag.CACHE_CERTIFY | OpFlag.KEEP_CONNECTION | OpFlag.PUBLIC_ONLY | OpFlag.DO_NOT_REFER) >>> 0;
/** Request bits that need more than a copied reply (a signature, encryption, a digest, more parts). */
const SLOW_FLAGS = (OpFlag.CERTIFIED | OpFlag.ENCRYPT | OpFlag.REQUEST_DIGEST | OpFlag.CONTINUOUS) >>> 0;

const OP_FLAGS_AT = ENVELOPE_SIZE + 8;
const RECURSION_AT = ENVELOPE_SIZE + 14;
const EXPIRATION_AT = ENVELOPE_SIZE + 16;
/** Where the handle's bytes start in a resolution request: envelope, header, handle length. */
export const REQUEST_HANDLE_AT = ENVELOPE_SIZE + HEADER_SIZE + 4;

/** Big-endian uint32 at `i` (bounds checked by the caller). */
function u32(p: Uint8Array, i: number): number {
  return p[i] * 0x1000000 + ((p[i + 1] << 16) | (p[i + 2] << 8) | p[i + 3]);
}

/**
 * Length of the handle of the request at `packet[at, at + length)` when it is a plain resolution
 * request that a prepared reply can answer: one datagram (or TCP frame), protocol 2.x, no session,
 * no compression/encryption, no CT/ENC/RD/CN flags, empty index and type lists, no credential (or
 * an empty one). -1 otherwise: the caller then decodes it properly (and refuses it with a reason
 * if it is malformed). The handle's bytes start at `at + REQUEST_HANDLE_AT`.
 */
export function plainResolutionHandleLength(packet: Uint8Array, at = 0, length = packet.length - at): number {
  if (length < REQUEST_HANDLE_AT + 8 || at + length > packet.length) return -1;
  if (packet[at] !== SUPPORTED_MAJOR || (packet[at + 2] & 0xe0) !== 0) return -1;
  if (u32(packet, at + 4) !== 0) return -1;
  if (u32(packet, at + 16) !== length - ENVELOPE_SIZE) return -1;
  if (u32(packet, at + ENVELOPE_SIZE) !== OpCode.RESOLUTION || u32(packet, at + ENVELOPE_SIZE + 4) !== 0) return -1;
  if ((u32(packet, at + OP_FLAGS_AT) & SLOW_FLAGS) !== 0) return -1;
  const bodyLength = u32(packet, at + ENVELOPE_SIZE + 20);
  const handleLength = u32(packet, at + REQUEST_HANDLE_AT - 4);
  if (bodyLength !== handleLength + 12) return -1;
  const bodyEnd = ENVELOPE_SIZE + HEADER_SIZE + bodyLength;
  const after = length - bodyEnd;
  if (after !== 0 && (after !== 4 || u32(packet, at + bodyEnd) !== 0)) return -1;
  if (u32(packet, at + bodyEnd - 8) !== 0 || u32(packet, at + bodyEnd - 4) !== 0) return -1;
  return handleLength;
}

/**
 * Writes the request-dependent fields into `reply` at `at` (a fresh copy of a prepared reply) from
 * the request at `request[requestAt…]`: the protocol version (the request's suggestion, at most
 * 2.10) and this server's suggestion, the session and request ids, the echoed flags, the recursion
 * count and the expiration time.
 */
export function stampReply(reply: Buffer, request: Buffer, expiration: number, at = 0, requestAt = 0): void {
  const suggestedMajor = request[requestAt + 2] & 0x03;
  let major = suggestedMajor === 0 ? request[requestAt] : suggestedMajor;
  let minor = suggestedMajor === 0 ? request[requestAt + 1] : request[requestAt + 3];
  if (major > SUPPORTED_MAJOR || (major === SUPPORTED_MAJOR && minor > SERVER_MINOR)) {
    major = SUPPORTED_MAJOR;
    minor = SERVER_MINOR;
  }
  reply[at] = major;
  reply[at + 1] = minor;
  reply[at + 2] = SUPPORTED_MAJOR;
  reply[at + 3] = SERVER_MINOR;
  for (let i = 4; i < 12; i += 1) reply[at + i] = request[requestAt + i];
  const flags = (u32(reply, at + OP_FLAGS_AT) & ~REPLY_ECHO_FLAGS) | (u32(request, requestAt + OP_FLAGS_AT) & REPLY_ECHO_FLAGS);
  reply.writeUInt32BE(flags >>> 0, at + OP_FLAGS_AT);
  reply[at + RECURSION_AT] = request[requestAt + RECURSION_AT];
  reply.writeUInt32BE(expiration >>> 0, at + EXPIRATION_AT);
}
