import { SecretBox } from './secret-box';

describe('SecretBox', () => {
  const secret = Buffer.alloc(32, 9).toString('base64');

  it('seals under TOP_LEVEL_SECRET so the stored value does not show the secret, and opens it again', () => {
    const box = new SecretBox('x'.repeat(32));
    const sealed = box.seal(secret);
    expect(sealed).toMatch(/^sealed:v1:/);
    expect(sealed).not.toContain(secret);
    expect(box.open(sealed)).toBe(secret);
    expect(new SecretBox('y'.repeat(32)).open(sealed)).toBeUndefined();
    expect(new SecretBox(undefined).open(sealed)).toBeUndefined();
    expect(box.open(`${sealed.slice(0, -2)}AA`)).toBeUndefined();
  });

  it('opens a value sealed before the sealer moved to libs/runtime', () => {
    const stored = 'sealed:v1:g62jqEqdyIhek4_I.VcUWHIrQMmX4UBb2ZRFj4A.d-r9A2nwCm5o8yJkGXn9x5c54jkPNIHVSXcF2y3dE4Rk2ijAyF8DKFQp9BZ2UTOSkKBSyka-6ZY';
    expect(new SecretBox('top-level-sealing-secret-for-vectors-0123').open(stored)).toBe('node-hmac-secret-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
  });

  it('stores in plain without a sealing key, and still opens plain values once a key is set', () => {
    const plain = new SecretBox(undefined).seal(secret);
    expect(plain).toBe(`plain:${secret}`);
    expect(new SecretBox('x'.repeat(32)).open(plain)).toBe(secret);
  });
});
