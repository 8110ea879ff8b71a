import { acceptRequestId, currentRequestContext, notePrincipal, openRequestContext, releaseRequestContext, runWithRequestContext } from './request-context';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('request context', () => {
  it('accepts a bounded X-Request-Id of safe characters and replaces anything else with a UUID', () => {
    for (const good of ['a', 'req-1', 'ABC_def.9:0@host/x+y=z', 'x'.repeat(128), '0f8fad5b-d9cb-469f-a165-70867728950e']) {
      expect(acceptRequestId(good)).toBe(good);
    }
    for (const bad of [undefined, '', 'x'.repeat(129), 'two words', 'a;b', 'line\nbreak', '<script>', 'quote"', 'é', ['a', 'b']]) {
      expect(acceptRequestId(bad as string | string[] | undefined)).toMatch(UUID);
    }
    expect(acceptRequestId(undefined)).not.toBe(acceptRequestId(undefined));
  });

  it('is the context of everything the work awaits, and of nothing outside it', async () => {
    expect(currentRequestContext()).toBeUndefined();
    const context = { requestId: 'r-1', clientIp: '127.0.0.1' };
    await runWithRequestContext(context, async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      expect(currentRequestContext()).toBe(context);
      notePrincipal({ accountId: 'a-1', username: 'acme', role: 'enterprise', enterpriseId: 'e-1' }, 'key-1');
    });
    expect(context).toMatchObject({ principal: { username: 'acme' }, apiKeyId: 'key-1' });
    expect(currentRequestContext()).toBeUndefined();
    // Outside any context, noting a principal is a no-op (start-up code, periodic tasks).
    expect(() => notePrincipal({ accountId: 'a', username: 'b', role: 'operator', enterpriseId: null })).not.toThrow();
  });

  it('an opened context lasts as long as the work, also when it fails, and none is left once released', async () => {
    const context = openRequestContext({ requestId: 'r-2' });
    try {
      await expect(runWithRequestContext(context, async () => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        return currentRequestContext()?.requestId;
      })).resolves.toBe('r-2');
      await expect(runWithRequestContext(context, async () => {
        throw new Error('refused');
      })).rejects.toThrow('refused');
    } finally {
      releaseRequestContext(context);
    }
    expect(currentRequestContext()).toBeUndefined();
  });
});
