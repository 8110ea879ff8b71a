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

/** The flag bits above, byte by byte of the big-endian flags word (the hot path tests and copies bytes). */
const SLOW_FLAG_BYTES = [SLOW_FLAGS >>> 24, (SLOW_FLAGS >>> 16) & 0xff, (SLOW_FLAGS >>> 8) & 0xff, SLOW_FLAGS & 0xff] as const;
const ECHO_FLAG_BYTES = [REPLY_ECHO_FLAGS >>> 24, (REPLY_ECHO_FLAGS >>> 16) & 0xff, (REPLY_ECHO_FLAGS >>> 8) & 0xff, REPLY_ECHO_FLAGS & 0xff] as const;
const [SLOW0, SLOW1, SLOW2, SLOW3] = SLOW_FLAG_BYTES;
const [ECHO0, ECHO1, ECHO2, ECHO3] = ECHO_FLAG_BYTES;

/** Big-endian uint32 at `i` (bounds checked by the caller). */
function u32(p: Uint8Array, i: number): number {
  return p[i] * 0x1000000 + ((p[i + 1] << 16) | (p[i + 2] << 8) | p[i + 3]);
}

/**
 * Length of the handle of the request at `packet[at, at + length)` when it is a plain resolution
 * request that a prepared reply can answer: one datagram (or TCP frame), protocol 2.x, no session,
 * no compression/encryption, no CT/ENC/RD/CN flags, empty index and type lists, no credential (or
 * an empty one). -1 otherwise: the caller then decodes it properly (and refuses it with a reason
 * if it is malformed). The handle's bytes start at `at + REQUEST_HANDLE_AT`. Fields that must be
 * zero are tested by OR-ing their bytes (the hot path: no arithmetic beyond that).
 */
export function plainResolutionHandleLength(p: Uint8Array, at = 0, length = p.length - at): number {
  if (length < REQUEST_HANDLE_AT + 8 || at + length > p.length) return -1;
  // Envelope: version 2.x; not compressed, encrypted or truncated; no session.
  if (p[at] !== SUPPORTED_MAJOR || (p[at + 2] & 0xe0) !== 0 || (p[at + 4] | p[at + 5] | p[at + 6] | p[at + 7]) !== 0) return -1;
  if (u32(p, at + 16) !== length - ENVELOPE_SIZE) return -1;
  // Header: OC_RESOLUTION, response code 0, none of the slow flags.
  const h = at + ENVELOPE_SIZE;
  if ((p[h] | p[h + 1] | p[h + 2] | (p[h + 3] ^ OpCode.RESOLUTION) | p[h + 4] | p[h + 5] | p[h + 6] | p[h + 7]) !== 0) return -1;
  if ((p[h + 8] & SLOW0) !== 0 || (p[h + 9] & SLOW1) !== 0 || (p[h + 10] & SLOW2) !== 0 || (p[h + 11] & SLOW3) !== 0) return -1;
  const bodyLength = u32(p, h + 20);
  const handleLength = u32(p, at + REQUEST_HANDLE_AT - 4);
  if (bodyLength !== handleLength + 12) return -1;
  const bodyEnd = h + HEADER_SIZE + bodyLength;
  // After the body: nothing, or an empty credential section (its length, 0).
  const after = at + length - bodyEnd;
  if (after !== 0 && after !== 4) return -1;
  // The body ends with the index and type lists, both empty (two counts of 0).
  const e = bodyEnd - 8;
  if ((p[e] | p[e + 1] | p[e + 2] | p[e + 3] | p[e + 4] | p[e + 5] | p[e + 6] | p[e + 7]) !== 0) return -1;
  if (after === 4 && (p[bodyEnd] | p[bodyEnd + 1] | p[bodyEnd + 2] | p[bodyEnd + 3]) !== 0) return -1;
  return handleLength;
}

/**
 * Writes the request-dependent fields into `reply` at `at` (a fresh copy of a prepared reply) from
 * the request at `request[requestAt…]`: the protocol version (the request's suggestion, at most
 * 2.10) and this server's suggestion, the session and request ids, the echoed flags, the recursion
 * count and the expiration time.
 */
export function stampReply(reply: Uint8Array, request: Uint8Array, expiration: number, at = 0, requestAt = 0): void {
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
  const f = at + OP_FLAGS_AT;
  const q = requestAt + OP_FLAGS_AT;
  reply[f] = (reply[f] & ~ECHO0) | (request[q] & ECHO0);
  reply[f + 1] = (reply[f + 1] & ~ECHO1) | (request[q + 1] & ECHO1);
  reply[f + 2] = (reply[f + 2] & ~ECHO2) | (request[q + 2] & ECHO2);
  reply[f + 3] = (reply[f + 3] & ~ECHO3) | (request[q + 3] & ECHO3);
  reply[at + RECURSION_AT] = request[requestAt + RECURSION_AT];
  const x = at + EXPIRATION_AT;
  reply[x] = expiration >>> 24;
  reply[x + 1] = expiration >>> 16;
  reply[x + 2] = expiration >>> 8;
  reply[x + 3] = expiration;
}
