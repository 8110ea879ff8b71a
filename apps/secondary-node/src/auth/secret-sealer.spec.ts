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

  it('seals in the v1 form (round trips and tampering: libs/runtime/src/secret-sealer.spec.ts)', () => {
    const sealer = new SecretSealer(secret, SEALING_PURPOSE.topLevelCredentials);
    const sealed = sealer.seal('top-level-credential-secret');
    expect(sealed).toMatch(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(new SecretSealer(secret, SEALING_PURPOSE.topLevelCredentials).unseal(sealed)).toBe('top-level-credential-secret');
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
});
