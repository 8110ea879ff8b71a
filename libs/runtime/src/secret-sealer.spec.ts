import { createHash } from 'node:crypto';
import { AesGcmSealer, hkdfSha256Key, type SealedFormat } from './secret-sealer';

/** The formats the apps store (the secondary node's auth/secret-sealer.ts, the top level's nodes/secret-box.ts). */
const NODE_FORMAT: SealedFormat = { prefix: 'v1.', order: ['iv', 'ciphertext', 'tag'] };
const TOP_LEVEL_FORMAT: SealedFormat = { prefix: 'sealed:v1:', order: ['iv', 'tag', 'ciphertext'] };

const nodeSecret = 'node-secret-for-sealing-vectors-0123456789';
const nodeSealer = (purpose: string) => new AesGcmSealer(hkdfSha256Key(nodeSecret, 'idis-secondary-node', purpose), NODE_FORMAT);
const topLevelSealer = (secret: string) => new AesGcmSealer(createHash('sha256').update(`idis-top-level:node-secrets:${secret}`).digest(), TOP_LEVEL_FORMAT);

/** Sealed by the apps' own AES-GCM code before it moved here. */
const SEALED_BEFORE = {
  credential: 'v1.DJiYyj8mmtsQvAfW.r4RCxaxE0FxJVXQ809d8Ozb2uhswBs9p5b2k.vVz5OhjamqZ7qZGym9OwmA',
  digest: 'v1.Ruycp0hkV9gkguh6.4bIcW9xr_ZreDvDP9yMChP_DsZIKpWrZvhcfI686p-OgJgIvKWCPDTWIUb99uU-NmffMDkpd3qMUlfCsvNfBgw.EjwZqqbtVN1BY-GGmi-Rkw',
  topLevel: 'sealed:v1:g62jqEqdyIhek4_I.VcUWHIrQMmX4UBb2ZRFj4A.d-r9A2nwCm5o8yJkGXn9x5c54jkPNIHVSXcF2y3dE4Rk2ijAyF8DKFQp9BZ2UTOSkKBSyka-6ZY',
};

describe('AesGcmSealer', () => {
  it('opens values the apps stored before the sealers were merged', () => {
    expect(nodeSealer('top-level-credentials-v1').unseal(SEALED_BEFORE.credential)).toBe('top-level-credential-secret');
    expect(nodeSealer('password-digest-v1').unseal(SEALED_BEFORE.digest)).toBe(createHash('sha256').update('enterprise-pass-1').digest('hex'));
    expect(topLevelSealer('top-level-sealing-secret-for-vectors-0123').unseal(SEALED_BEFORE.topLevel)).toBe('node-hmac-secret-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
  });

  it.each([
    ['the node format', nodeSealer('top-level-credentials-v1'), /^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/],
    ['the top-level format', topLevelSealer('x'.repeat(32)), /^sealed:v1:[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/],
  ])('round-trips any text in %s, with a fresh IV each time', (_format, sealer, form) => {
    for (const text of ['a', '密钥 with spaces', 'x'.repeat(1000)]) {
      const a = sealer.seal(text);
      const b = sealer.seal(text);
      expect(a).toMatch(form);
      expect(a).not.toBe(b);
      expect(sealer.unseal(a)).toBe(text);
      expect(sealer.unseal(b)).toBe(text);
    }
    expect(sealer.seal('secret of the node')).not.toContain('secret');
    expect(sealer.unseal(sealer.seal(''))).toBe('');
  });

  it('keeps keys and formats apart', () => {
    const credential = nodeSealer('top-level-credentials-v1');
    expect(nodeSealer('password-digest-v1').unseal(credential.seal('secret'))).toBeUndefined();
    expect(credential.unseal(SEALED_BEFORE.digest)).toBeUndefined();
    expect(new AesGcmSealer(hkdfSha256Key(`${nodeSecret}-rotated`, 'idis-secondary-node', 'top-level-credentials-v1'), NODE_FORMAT).unseal(SEALED_BEFORE.credential)).toBeUndefined();
    expect(topLevelSealer('y'.repeat(32)).unseal(topLevelSealer('x'.repeat(32)).seal('secret'))).toBeUndefined();
    const sameKeyOtherFormat = new AesGcmSealer(hkdfSha256Key(nodeSecret, 'idis-secondary-node', 'top-level-credentials-v1'), TOP_LEVEL_FORMAT);
    expect(sameKeyOtherFormat.unseal(SEALED_BEFORE.credential)).toBeUndefined();
  });

  const [version, iv, data, tag] = SEALED_BEFORE.credential.split('.');
  it.each([
    ['a changed ciphertext', `${version}.${iv}.${data.startsWith('A') ? 'B' : 'A'}${data.slice(1)}.${tag}`],
    ['a changed tag', `${version}.${iv}.${data}.${tag.startsWith('A') ? 'B' : 'A'}${tag.slice(1)}`],
    ['a missing tag', `${version}.${iv}.${data}`],
    ['an empty IV', `${version}..${data}.${tag}`],
    ['another version', `v2.${iv}.${data}.${tag}`],
    ['an empty value', ''],
    ['plain text', 'not sealed at all'],
  ])('gives undefined for %s', (_case, value) => {
    expect(nodeSealer('top-level-credentials-v1').unseal(value)).toBeUndefined();
  });
});
