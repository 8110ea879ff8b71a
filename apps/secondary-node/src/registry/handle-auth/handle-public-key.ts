import { createPublicKey, type KeyObject, verify } from 'node:crypto';

/**
 * The Handle binary encoding of an HS_PUBKEY value (CNRI hdllib `Util.getBytesFromPublicKey` /
 * `getPublicKeyFromBytes`; RFC 3651 §3.2.1 names the type): every field is a 4-byte big-endian
 * length followed by its bytes, integers are unsigned big-endian magnitudes (Java writes them in
 * two's complement, so a leading zero byte may appear).
 *
 *   RSA: "RSA_PUB_KEY" | 2-byte flags (0) | exponent | modulus
 *   DSA: "DSA_PUB_KEY" | 2-byte flags (0) | q | p | g | y
 */
export const RSA_KEY_TYPE = 'RSA_PUB_KEY';
export const DSA_KEY_TYPE = 'DSA_PUB_KEY';

/** An HS_PUBKEY value larger than this is not a key (an 8192-bit RSA key is about 1.1 KiB). */
const MAX_ENCODED_KEY_BYTES = 8192;
/** RSA moduli and DSA primes accepted, in bits: below 1024 is breakable, above 8192 only costs CPU. */
const MIN_KEY_BITS = 1024;
const MAX_KEY_BITS = 8192;

export class HandleKeyError extends Error {}

export function decodeHandlePublicKey(bytes: Buffer): KeyObject {
  if (bytes.length > MAX_ENCODED_KEY_BYTES) throw new HandleKeyError(`the key is ${bytes.length} bytes; at most ${MAX_ENCODED_KEY_BYTES} are accepted`);
  const reader = new FieldReader(bytes);
  const type = reader.field().toString('latin1');
  reader.skip(2); // flags, unused
  if (type === RSA_KEY_TYPE) {
    const exponent = unsigned(reader.field());
    const modulus = unsigned(reader.field());
    checkBits(modulus, 'RSA modulus');
    if (exponent.length === 0 || exponent.length > 8) throw new HandleKeyError('the RSA exponent is not a small positive integer');
    return keyFrom(() => createPublicKey({ key: { kty: 'RSA', n: modulus.toString('base64url'), e: exponent.toString('base64url') }, format: 'jwk' }));
  }
  if (type === DSA_KEY_TYPE) {
    const [q, p, g, y] = [reader.field(), reader.field(), reader.field(), reader.field()].map(unsigned);
    checkBits(p, 'DSA prime p');
    return keyFrom(() => createPublicKey({ key: dsaSpki(p, q, g, y), format: 'der', type: 'spki' }));
  }
  throw new HandleKeyError(`the key type ${JSON.stringify(type.slice(0, 32))} is not supported (${RSA_KEY_TYPE} or ${DSA_KEY_TYPE})`);
}

/** The Handle binary encoding of an RSA or DSA public key (what an HS_PUBKEY value holds). */
export function encodeHandlePublicKey(key: KeyObject): Buffer {
  if (key.asymmetricKeyType === 'rsa') {
    const jwk = key.export({ format: 'jwk' });
    return Buffer.concat([field(Buffer.from(RSA_KEY_TYPE)), Buffer.alloc(2), field(signed(b64u(jwk.e))), field(signed(b64u(jwk.n)))]);
  }
  if (key.asymmetricKeyType === 'dsa') {
    const { p, q, g, y } = readDsaSpki(key.export({ format: 'der', type: 'spki' }));
    return Buffer.concat([field(Buffer.from(DSA_KEY_TYPE)), Buffer.alloc(2), ...[q, p, g, y].map((n) => field(signed(n)))]);
  }
  throw new HandleKeyError(`only RSA and DSA keys have a Handle encoding, not ${key.asymmetricKeyType}`);
}

/** The digest names of the `alg` parameter Handle.Net clients send, mapped to node's; MD5 is refused. */
export function digestOf(alg: string): 'sha256' | 'sha1' | undefined {
  const normal = alg.toUpperCase();
  if (['SHA256', 'SHA-256', 'SHA2', 'SHA-2'].includes(normal)) return 'sha256';
  if (['SHA1', 'SHA-1', 'SHA'].includes(normal)) return 'sha1';
  return undefined;
}

/** RSA PKCS#1 v1.5 or DSA (DER signature), as Java's SHA256withRSA / SHA256withDSA produce. */
export function verifyHandleSignature(key: KeyObject, digest: 'sha256' | 'sha1', data: Buffer, signature: Buffer): boolean {
  try {
    return verify(digest, data, key, signature);
  } catch {
    return false; // a signature of the wrong length or shape for this key
  }
}

class FieldReader {
  private offset = 0;
  constructor(private readonly bytes: Buffer) {}

  field(): Buffer {
    if (this.offset + 4 > this.bytes.length) throw new HandleKeyError('the key ends inside a length field');
    const length = this.bytes.readInt32BE(this.offset);
    this.offset += 4;
    if (length < 0 || this.offset + length > this.bytes.length) throw new HandleKeyError('a field of the key is longer than the key');
    const value = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  skip(count: number): void {
    if (this.offset + count > this.bytes.length) throw new HandleKeyError('the key ends inside its flags');
    this.offset += count;
  }
}

function keyFrom(build: () => KeyObject): KeyObject {
  try {
    return build();
  } catch (error) {
    throw new HandleKeyError(`the key is not a valid public key: ${(error as Error).message}`);
  }
}

function checkBits(magnitude: Buffer, what: string): void {
  const bits = magnitude.length === 0 ? 0 : (magnitude.length - 1) * 8 + (32 - Math.clz32(magnitude[0]));
  if (bits < MIN_KEY_BITS || bits > MAX_KEY_BITS) throw new HandleKeyError(`the ${what} has ${bits} bits; ${MIN_KEY_BITS} to ${MAX_KEY_BITS} are accepted`);
}

function field(value: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeInt32BE(value.length);
  return Buffer.concat([length, value]);
}

function b64u(text: string | undefined): Buffer {
  return Buffer.from(text ?? '', 'base64url');
}

/** Without leading zero bytes. */
function unsigned(value: Buffer): Buffer {
  let start = 0;
  while (start < value.length - 1 && value[start] === 0) start++;
  return value.subarray(start);
}

/** As Java's BigInteger.toByteArray: a zero byte in front when the high bit is set. */
function signed(magnitude: Buffer): Buffer {
  const bare = unsigned(magnitude);
  return bare.length > 0 && bare[0] & 0x80 ? Buffer.concat([Buffer.from([0]), bare]) : bare;
}

// --- the little DER needed for a DSA SubjectPublicKeyInfo (RFC 3279 §2.3.2) -----------------------

const DSA_OID = Buffer.from([0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x38, 0x04, 0x01]); // 1.2.840.10040.4.1

function der(tag: number, content: Buffer): Buffer {
  const n = content.length;
  const length = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), length, content]);
}

function derInteger(magnitude: Buffer): Buffer {
  return der(0x02, signed(magnitude.length === 0 ? Buffer.from([0]) : magnitude));
}

function dsaSpki(p: Buffer, q: Buffer, g: Buffer, y: Buffer): Buffer {
  const parameters = der(0x30, Buffer.concat([derInteger(p), derInteger(q), derInteger(g)]));
  const algorithm = der(0x30, Buffer.concat([DSA_OID, parameters]));
  const publicKey = der(0x03, Buffer.concat([Buffer.from([0]), derInteger(y)]));
  return der(0x30, Buffer.concat([algorithm, publicKey]));
}

function readDsaSpki(spki: Buffer): { p: Buffer; q: Buffer; g: Buffer; y: Buffer } {
  const outer = new DerReader(spki).expect(0x30);
  const algorithm = outer.expect(0x30);
  algorithm.expect(0x06);
  const parameters = algorithm.expect(0x30);
  const [p, q, g] = [parameters.expect(0x02).rest(), parameters.expect(0x02).rest(), parameters.expect(0x02).rest()];
  const bits = outer.expect(0x03).rest();
  const y = new DerReader(bits.subarray(1)).expect(0x02).rest();
  return { p, q, g, y };
}

class DerReader {
  private offset = 0;
  constructor(private readonly bytes: Buffer) {}

  expect(tag: number): DerReader {
    if (this.bytes[this.offset] !== tag) throw new HandleKeyError(`unexpected DER tag ${this.bytes[this.offset]}`);
    let length = this.bytes[this.offset + 1];
    let header = 2;
    if (length & 0x80) {
      const count = length & 0x7f;
      length = 0;
      for (let i = 0; i < count; i++) length = length * 256 + this.bytes[this.offset + 2 + i];
      header += count;
    }
    const content = this.bytes.subarray(this.offset + header, this.offset + header + length);
    this.offset += header + length;
    return new DerReader(content);
  }

  rest(): Buffer {
    return this.bytes.subarray(this.offset);
  }
}
