import type { Principal } from '../principal';
import { keyMay, keyReadablePrefixes, keyScopeProblem } from './api-key-scope';
import { apiKeyHash, apiKeyHint, isApiKeySecret, newApiKeySecret } from './api-key-secret';

const person: Principal = { accountId: 'a', username: 'ent', role: 'enterprise', enterpriseId: 'e' };
const key: Principal = { ...person, apiKeyId: 'k', keyScope: { prefixes: ['88.118.8'], operations: ['register', 'read-events'] } };

describe('API key scope', () => {
  it('leaves a signed-in person to the capability\'s own checks', () => {
    expect(keyScopeProblem(person, 'delete', '88.118.9')).toBeUndefined();
    expect(keyScopeProblem(person, undefined)).toBeUndefined();
    expect(keyMay(person, 'capture-events')).toBe(true);
    expect(keyReadablePrefixes(person, ['88.118.9', '88.118.10'])).toEqual(['88.118.9', '88.118.10']);
  });

  it('allows a key its operations under its prefixes, in any case of the prefix', () => {
    expect(keyScopeProblem(key, 'register', '88.118.8')).toBeUndefined();
    const lettered: Principal = { ...key, keyScope: { prefixes: ['88.118.abc'], operations: ['register'] } };
    expect(keyScopeProblem(lettered, 'register', '88.118.ABC')).toBeUndefined();
    expect(keyMay(key, 'register')).toBe(true);
  });

  it('refuses a key another operation, another prefix, and anything no key may do (403)', () => {
    expect(keyScopeProblem(key, 'delete', '88.118.8')).toMatchObject({ code: 'FORBIDDEN', message: expect.stringMatching(/may not delete identifiers/) });
    expect(keyScopeProblem(key, 'register', '88.118.80')).toMatchObject({ code: 'FORBIDDEN', message: expect.stringMatching(/prefix 88\.118\.80/) });
    expect(keyScopeProblem(key, undefined, '88.118.8')).toMatchObject({ code: 'FORBIDDEN' });
    expect(keyMay(key, 'update')).toBe(false);
  });

  it('lets a key read only its own prefixes, and nothing without read-events', () => {
    expect(keyReadablePrefixes(key, ['88.118.8', '88.118.9', '88.200.5'])).toEqual(['88.118.8']);
    expect(keyReadablePrefixes({ ...key, keyScope: { prefixes: ['88.118.8'], operations: ['register'] } }, ['88.118.8'])).toEqual([]);
  });
});

describe('API key secrets', () => {
  it('are idk_ and 43 base64url characters, different every time, hashed with SHA-256', () => {
    const a = newApiKeySecret();
    const b = newApiKeySecret();
    expect(a).toMatch(/^idk_[A-Za-z0-9_-]{43}$/);
    expect(isApiKeySecret(a)).toBe(true);
    expect(a).not.toBe(b);
    expect(apiKeyHash(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(apiKeyHash(a)).not.toBe(apiKeyHash(b));
    expect(apiKeyHint(a)).toBe(`${a.slice(0, 10)}…`);
    expect(apiKeyHint(a).length).toBeLessThanOrEqual(16);
  });

  it.each(['idk_', 'idk_short', `idk_${'A'.repeat(44)}`, `IDK_${'A'.repeat(43)}`, `idk_${'A'.repeat(42)}=`, `xyz_${'A'.repeat(43)}`])('refuses %s as malformed', (text) => {
    expect(isApiKeySecret(text)).toBe(false);
  });
});
