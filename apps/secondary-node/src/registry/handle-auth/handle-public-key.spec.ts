import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { decodeHandlePublicKey, digestOf, encodeHandlePublicKey, HandleKeyError, verifyHandleSignature } from './handle-public-key';

const spki = (key: KeyObject) => key.export({ format: 'der', type: 'spki' });

function field(bytes: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

describe('the Handle binary public-key encoding (HS_PUBKEY)', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const dsa = generateKeyPairSync('dsa', { modulusLength: 1024, divisorLength: 160 });

  it('encodes RSA as "RSA_PUB_KEY", flags, exponent, modulus (Java two\'s complement: a leading zero byte)', () => {
    const encoded = encodeHandlePublicKey(rsa.publicKey);
    expect(encoded.readInt32BE(0)).toBe(11);
    expect(encoded.subarray(4, 15).toString('latin1')).toBe('RSA_PUB_KEY');
    expect(encoded.readUInt16BE(15)).toBe(0);
    expect(encoded.readInt32BE(17)).toBe(3); // 65537
    expect(encoded.subarray(21, 24)).toEqual(Buffer.from([1, 0, 1]));
    expect(encoded.readInt32BE(24)).toBe(257); // 2048-bit modulus with the sign byte
    expect(encoded[28]).toBe(0);
    expect(encoded.length).toBe(28 + 257);
  });

  it('decodes what it encodes, RSA and DSA, to the same key', () => {
    expect(spki(decodeHandlePublicKey(encodeHandlePublicKey(rsa.publicKey)))).toEqual(spki(rsa.publicKey));
    expect(spki(decodeHandlePublicKey(encodeHandlePublicKey(dsa.publicKey)))).toEqual(spki(dsa.publicKey));
    expect(encodeHandlePublicKey(dsa.publicKey).subarray(4, 15).toString('latin1')).toBe('DSA_PUB_KEY');
  });

  it('decodes magnitudes written without the sign byte', () => {
    const { n, e } = rsa.publicKey.export({ format: 'jwk' });
    const bare = Buffer.concat([field(Buffer.from('RSA_PUB_KEY')), Buffer.alloc(2), field(Buffer.from(e!, 'base64url')), field(Buffer.from(n!, 'base64url'))]);
    expect(spki(decodeHandlePublicKey(bare))).toEqual(spki(rsa.publicKey));
  });

  it('verifies SHA256withRSA and SHA256withDSA / SHA1 signatures over nonce ‖ cnonce, and nothing else', () => {
    const data = Buffer.concat([Buffer.from('server-nonce-16b'), Buffer.from('client-nonce')]);
    for (const pair of [rsa, dsa]) {
      const key = decodeHandlePublicKey(encodeHandlePublicKey(pair.publicKey));
      for (const digest of ['sha256', 'sha1'] as const) {
        const signature = sign(digest, data, pair.privateKey);
        expect(verifyHandleSignature(key, digest, data, signature)).toBe(true);
        expect(verifyHandleSignature(key, digest, Buffer.concat([data, Buffer.from('x')]), signature)).toBe(false);
        expect(verifyHandleSignature(key, digest, data, Buffer.from('not a signature'))).toBe(false);
      }
    }
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
    expect(verifyHandleSignature(decodeHandlePublicKey(encodeHandlePublicKey(rsa.publicKey)), 'sha256', data, sign('sha256', data, other.privateKey))).toBe(false);
  });

  it('maps the alg names Handle.Net clients send, and refuses MD5', () => {
    expect(['SHA256', 'sha-256', 'SHA2', 'SHA-2'].map(digestOf)).toEqual(['sha256', 'sha256', 'sha256', 'sha256']);
    expect(['SHA1', 'SHA-1', 'sha'].map(digestOf)).toEqual(['sha1', 'sha1', 'sha1']);
    expect(digestOf('MD5')).toBeUndefined();
    expect(digestOf('HMAC-SHA256')).toBeUndefined();
  });

  describe('refuses', () => {
    const good = encodeHandlePublicKey(rsa.publicKey);
    const small = generateKeyPairSync('rsa', { modulusLength: 512 });
    it.each([
      ['an empty value', Buffer.alloc(0)],
      ['a truncated key', good.subarray(0, 40)],
      ['a length beyond the value', Buffer.concat([good.subarray(0, 17), Buffer.from([0x7f, 0, 0, 0])])],
      ['a negative length', Buffer.from([0xff, 0xff, 0xff, 0xff])],
      ['an unknown key type', Buffer.concat([field(Buffer.from('DH_PUB_KEY')), Buffer.alloc(2), field(Buffer.from([1]))])],
      ['an RSA modulus of 512 bits', encodeHandlePublicKey(small.publicKey)],
      ['an oversized value', Buffer.alloc(9000)],
      ['an exponent of zero length', Buffer.concat([field(Buffer.from('RSA_PUB_KEY')), Buffer.alloc(2), field(Buffer.alloc(0)), field(Buffer.alloc(256, 0xc1))])],
    ])('%s', (_what, bytes) => {
      expect(() => decodeHandlePublicKey(bytes)).toThrow(HandleKeyError);
    });
  });
});
