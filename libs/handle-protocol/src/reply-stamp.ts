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

/**
 * Length of the handle of `packet` when it is a plain resolution request that a prepared reply can
 * answer: one datagram (or TCP frame), protocol 2.x, no session, no compression/encryption, no
 * CT/ENC/RD/CN flags, empty index and type lists, no credential (or an empty one). -1 otherwise:
 * the caller then decodes it properly (and refuses it with a reason if it is malformed).
 */
export function plainResolutionHandleLength(packet: Buffer, length = packet.length): number {
  if (length < REQUEST_HANDLE_AT + 8) return -1;
  if (packet[0] !== SUPPORTED_MAJOR || (packet[2] & 0xe0) !== 0) return -1;
  if (packet.readUInt32BE(4) !== 0) return -1;
  const messageLength = packet.readUInt32BE(16);
  if (messageLength !== length - ENVELOPE_SIZE) return -1;
  if (packet.readUInt32BE(ENVELOPE_SIZE) !== OpCode.RESOLUTION || packet.readUInt32BE(ENVELOPE_SIZE + 4) !== 0) return -1;
  if ((packet.readUInt32BE(OP_FLAGS_AT) & SLOW_FLAGS) !== 0) return -1;
  const bodyLength = packet.readUInt32BE(ENVELOPE_SIZE + 20);
  const handleLength = packet.readUInt32BE(REQUEST_HANDLE_AT - 4);
  if (bodyLength !== handleLength + 12) return -1;
  const bodyEnd = ENVELOPE_SIZE + HEADER_SIZE + bodyLength;
  const after = length - bodyEnd;
  if (after !== 0 && (after !== 4 || packet.readUInt32BE(bodyEnd) !== 0)) return -1;
  if (packet.readUInt32BE(bodyEnd - 8) !== 0 || packet.readUInt32BE(bodyEnd - 4) !== 0) return -1;
  return handleLength;
}

/**
 * Writes the request-dependent fields into `reply` at `at` (a fresh copy of a prepared reply): the
 * protocol version (the request's suggestion, at most 2.10) and this server's suggestion, the
 * session and request ids, the echoed flags, the recursion count and the expiration time.
 */
export function stampReply(reply: Buffer, request: Buffer, expiration: number, at = 0): void {
  const suggestedMajor = request[2] & 0x03;
  let major = suggestedMajor === 0 ? request[0] : suggestedMajor;
  let minor = suggestedMajor === 0 ? request[1] : request[3];
  if (major > SUPPORTED_MAJOR || (major === SUPPORTED_MAJOR && minor > SERVER_MINOR)) {
    major = SUPPORTED_MAJOR;
    minor = SERVER_MINOR;
  }
  reply[at] = major;
  reply[at + 1] = minor;
  reply[at + 2] = SUPPORTED_MAJOR;
  reply[at + 3] = SERVER_MINOR;
  request.copy(reply, at + 4, 4, 12);
  const flags = (reply.readUInt32BE(at + OP_FLAGS_AT) & ~REPLY_ECHO_FLAGS) | (request.readUInt32BE(OP_FLAGS_AT) & REPLY_ECHO_FLAGS);
  reply.writeUInt32BE(flags >>> 0, at + OP_FLAGS_AT);
  reply[at + RECURSION_AT] = request[RECURSION_AT];
  reply.writeUInt32BE(expiration >>> 0, at + EXPIRATION_AT);
}
