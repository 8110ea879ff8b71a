import { DigestSealer, sha256Hex } from './password-hasher';
import { SEALING_PURPOSE, SecretSealer } from './secret-sealer';

const secret = 'node-secret-for-sealing-vectors-0123456789';

/** Sealed by the classes this one replaced (upstream/credential-sealer.ts, DigestSealer before it used SecretSealer). */
const SEALED_BEFORE = {
  credential: 'v1.DJiYyj8mmtsQvAfW.r4RCxaxE0FxJVXQ809d8Ozb2uhswBs9p5b2k.vVz5OhjamqZ7qZGym9OwmA',
  digest: 'v1.Ruycp0hkV9gkguh6.4bIcW9xr_ZreDvDP9yMChP_DsZIKpWrZvhcfI686p-OgJgIvKWCPDTWIUb99uU-NmffMDkpd3qMUlfCsvNfBgw.EjwZqqbtVN1BY-GGmi-Rkw',
};

describe('SecretSealer', () => {
  it('opens values stored before the sealers were merged', () => {
    expect(new SecretSealer(secret, SEALING_PURPOSE.topLevelCredentials).unseal(SEALED_BEFORE.credential)).toBe('top-level-credential-secret');
    expect(new SecretSealer(secret, SEALING_PURPOSE.passwordDigest).unseal(SEALED_BEFORE.digest)).toBe(sha256Hex('enterprise-pass-1'));
    expect(new DigestSealer(secret).unseal(SEALED_BEFORE.digest)).toBe(sha256Hex('enterprise-pass-1'));
  });

  it('round-trips any text, with a fresh IV each time, in the v1 form', () => {
    const sealer = new SecretSealer(secret, SEALING_PURPOSE.topLevelCredentials);
    for (const text of ['a', '密钥 with spaces', 'x'.repeat(1000)]) {
      const a = sealer.seal(text);
      const b = sealer.seal(text);
      expect(a).toMatch(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
      expect(a).not.toBe(b);
      expect(sealer.unseal(a)).toBe(text);
      expect(new SecretSealer(secret, SEALING_PURPOSE.topLevelCredentials).unseal(b)).toBe(sealer.unseal(a));
    }
  });

  it('keeps the purposes apart: a value sealed for one does not open under another', () => {
    const credential = new SecretSealer(secret, SEALING_PURPOSE.topLevelCredentials);
    const digest = new SecretSealer(secret, SEALING_PURPOSE.passwordDigest);
    expect(digest.unseal(credential.seal('top-level-credential-secret'))).toBeUndefined();
    expect(credential.unseal(SEALED_BEFORE.digest)).toBeUndefined();
  });

  it('gives undefined under another node secret', () => {
    expect(new SecretSealer(`${secret}-rotated`, SEALING_PURPOSE.topLevelCredentials).unseal(SEALED_BEFORE.credential)).toBeUndefined();
  });

  const [version, iv, data, tag] = SEALED_BEFORE.credential.split('.');
  it.each([
    ['a changed ciphertext', `${version}.${iv}.${data.startsWith('A') ? 'B' : 'A'}${data.slice(1)}.${tag}`],
    ['a changed tag', `${version}.${iv}.${data}.${tag.startsWith('A') ? 'B' : 'A'}${tag.slice(1)}`],
    ['a missing tag', `${version}.${iv}.${data}`],
    ['another version', `v2.${iv}.${data}.${tag}`],
    ['an empty value', ''],
    ['plain text', 'not sealed at all'],
  ])('gives undefined for %s', (_case, value) => {
    expect(new SecretSealer(secret, SEALING_PURPOSE.topLevelCredentials).unseal(value)).toBeUndefined();
  });
});
