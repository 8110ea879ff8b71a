import { createHash } from 'node:crypto';
import { DigestSealer, hashPassword, sha256Hex, verifyPassword } from './password-hasher';

describe('password hashing (scrypt)', () => {
  it('stores scrypt$N$r$p$salt$hash and never the password', async () => {
    const stored = await hashPassword('correct horse battery');
    expect(stored).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(stored).not.toContain('correct horse battery');
  });

  it('verifies the right password and refuses a wrong one', async () => {
    const stored = await hashPassword('correct horse battery');
    await expect(verifyPassword('correct horse battery', stored)).resolves.toBe(true);
    await expect(verifyPassword('correct horse batterY', stored)).resolves.toBe(false);
    await expect(verifyPassword('', stored)).resolves.toBe(false);
  });

  it('uses a fresh salt each time, and each hash verifies on its own', async () => {
    const a = await hashPassword('same password');
    const b = await hashPassword('same password');
    expect(a).not.toBe(b);
    expect(a.split('$')[4]).not.toBe(b.split('$')[4]);
    await expect(verifyPassword('same password', a)).resolves.toBe(true);
    await expect(verifyPassword('same password', b)).resolves.toBe(true);
  });

  it('handles non-ASCII passwords', async () => {
    const stored = await hashPassword('密码-пароль-🔑');
    await expect(verifyPassword('密码-пароль-🔑', stored)).resolves.toBe(true);
    await expect(verifyPassword('密码-пароль', stored)).resolves.toBe(false);
  });

  it.each([
    ['a plain password', 'secret-password'],
    ['another scheme', 'bcrypt$10$abc$def'],
    ['missing parts', 'scrypt$16384$8$1$'],
    ['invalid cost parameters', 'scrypt$abc$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['a cost that is not a power of two', 'scrypt$1000$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
  ])('refuses (without throwing) a stored value with %s', async (_what, stored) => {
    await expect(verifyPassword('secret-password', stored)).resolves.toBe(false);
  });
});

describe('sha256Hex', () => {
  it('is the lower-case hex SHA-256 of the UTF-8 text', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex('密码')).toBe(createHash('sha256').update(Buffer.from('密码', 'utf8')).digest('hex'));
  });
});

describe('DigestSealer', () => {
  const secret = 'node-secret-0123456789-0123456789-abcdef';

  it('seals sha256(password) and unseals it again', () => {
    const sealer = new DigestSealer(secret);
    const sealed = sealer.seal('enterprise-pass-1');
    expect(sealed).toMatch(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(sealed.length).toBeLessThanOrEqual(255);
    expect(sealed).not.toContain(sha256Hex('enterprise-pass-1'));
    expect(sealer.unseal(sealed)).toBe(sha256Hex('enterprise-pass-1'));
    // Another sealer built from the same secret (another replica, or after a restart) can unseal it.
    expect(new DigestSealer(secret).unseal(sealed)).toBe(sha256Hex('enterprise-pass-1'));
  });

  it('uses a fresh IV each time', () => {
    const sealer = new DigestSealer(secret);
    const a = sealer.seal('same');
    const b = sealer.seal('same');
    expect(a).not.toBe(b);
    expect(sealer.unseal(a)).toBe(sealer.unseal(b));
  });

  it('gives undefined under another secret', () => {
    const sealed = new DigestSealer(secret).seal('enterprise-pass-1');
    expect(new DigestSealer(`${secret}-rotated`).unseal(sealed)).toBeUndefined();
  });

  it('gives undefined for a tampered or malformed value', () => {
    const sealer = new DigestSealer(secret);
    const [version, iv, data, tag] = sealer.seal('enterprise-pass-1').split('.');
    const flipped = `${data[0] === 'A' ? 'B' : 'A'}${data.slice(1)}`;
    expect(sealer.unseal([version, iv, flipped, tag].join('.'))).toBeUndefined();
    expect(sealer.unseal([version, iv, data].join('.'))).toBeUndefined();
    expect(sealer.unseal(['v2', iv, data, tag].join('.'))).toBeUndefined();
    expect(sealer.unseal('')).toBeUndefined();
    expect(sealer.unseal('not sealed at all')).toBeUndefined();
  });
});
