import { waitFor } from '../support/wait-for';
import { type Credentials, enterprise, TopLevelHarness } from './top-level-harness';

describe('top-level node: IIIDAP registration data', () => {
  let top: TopLevelHarness;
  let node: Credentials;

  beforeAll(async () => {
    top = await TopLevelHarness.start({ FILING_REVIEW: 'auto', FILING_REVIEW_DELAY_MS: '0', FILING_REVIEW_SWEEP_INTERVAL_MS: '50', IIIDAP_RATE_LIMIT_PER_MINUTE: '20' });
    node = await top.client.enrol('node-88.118', '88.118', [
      { kind: 'proxy', url: 'http://127.0.0.1:18080/' },
      { kind: 'handle-rest', url: 'http://127.0.0.1:18080/api/handles' },
    ]);
    await top.client.signed(node, 'PrefixFiling', 'Create', { clientTransactionId: 'i-1', prefix: '88.118.8', enterprise: enterprise('Huangshi Tools Co.') });
    await top.client.signed(node, 'PrefixFiling', 'Create', { clientTransactionId: 'i-2', prefix: '88.118.9', enterprise: enterprise() });
    await waitFor('two reviews', async () => (await top.client.signed(node, 'PrefixFiling', 'Poll', {})).queueCount === 2, { timeoutMs: 15_000, failOnError: true });
    await top.client.signed(node, 'PrefixFiling', 'Delete', { clientTransactionId: 'i-3', prefix: '88.118.9', reason: 'gone' });
    await waitFor('the delete review', async () => (await top.client.signed(node, 'PrefixFiling', 'Poll', {})).queueCount === 3, { timeoutMs: 15_000, failOnError: true });
  });

  afterAll(async () => {
    await top?.stop();
  });

  it('describes a filed enterprise prefix: status, events, registrant, responsible node, links', async () => {
    const reply = await top.http('GET', '/iiidap/identifier/88.118.8');
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toMatch(/application\/json/);
    expect(reply.body).toMatchObject({
      objectClassName: 'prefix',
      handle: '88.118.8',
      prefixType: 'enterprise',
      status: ['active'],
      entities: [
        { objectClassName: 'entity', roles: ['registrant'], fn: 'Huangshi Tools Co.' },
        { objectClassName: 'entity', roles: ['registrar'], handle: 'node-88.118', secondaryPrefix: '88.118' },
      ],
    });
    expect(reply.body.events.map((e: { eventAction: string }) => e.eventAction)).toEqual(['registration', 'approval', 'last changed']);
    expect(reply.body.links[0]).toEqual({ rel: 'self', href: `${top.httpUrl}/iiidap/identifier/88.118.8`, type: 'application/json' });
    expect(reply.text).not.toContain('13800000000');
    expect(reply.text).not.toContain('li@example.com');

    const secondary = await top.http('GET', '/iiidap/identifier/88.118');
    expect(secondary.status).toBe(200);
    expect(secondary.body).toMatchObject({ objectClassName: 'prefix', handle: '88.118', prefixType: 'secondary' });
  });

  it('redirects an identifier to its secondary node’s proxy, and a prefix on ?redirect', async () => {
    const identifier = await top.http('GET', '/iiidap/identifier/88.118.8/JXDY2106023');
    expect(identifier.status).toBe(302);
    expect(identifier.headers.get('location')).toBe('http://127.0.0.1:18080/88.118.8/JXDY2106023');
    const deeper = await top.http('GET', '/iiidap/identifier/88.118.8/a/b c');
    expect(deeper.headers.get('location')).toBe('http://127.0.0.1:18080/88.118.8/a/b%20c');
    const shown = await top.http('GET', '/iiidap/identifier/88.118.8/JXDY2106023?noredirect');
    expect(shown.status).toBe(200);
    expect(shown.body).toMatchObject({ objectClassName: 'identifier', handle: '88.118.8/JXDY2106023', prefix: '88.118.8' });
    const prefix = await top.http('GET', '/iiidap/identifier/88.118.8?redirect');
    expect(prefix.status).toBe(302);
    expect(prefix.headers.get('location')).toBe('http://127.0.0.1:18080/api/handles?prefix=88.118.8');
  });

  it('answers 404 JSON for unknown, pending or deleted prefixes and 400 for malformed ones', async () => {
    for (const path of ['88.118.77', '88.118.9', '88.999', '88.118.77/X', '88.999.1/X']) {
      const reply = await top.http('GET', `/iiidap/identifier/${path}`);
      expect({ path, status: reply.status }).toEqual({ path, status: 404 });
      expect(reply.body).toMatchObject({ errorCode: 404, title: 'Not Found' });
    }
    expect((await top.http('GET', '/iiidap/identifier/88..1')).status).toBe(400);
  });

  it('limits each client IP per minute: 429 with Retry-After', async () => {
    let limited;
    for (let i = 0; i < 25 && !limited; i += 1) {
      const reply = await top.http('GET', '/iiidap/identifier/88.118.8');
      if (reply.status === 429) limited = reply;
      else expect(reply.status).toBe(200);
    }
    expect(limited).toBeDefined();
    const retryAfter = Number(limited!.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited!.body).toMatchObject({ errorCode: 429 });
    // The native API is not rate limited.
    expect((await top.http('GET', '/api/v1/nodes')).status).toBe(200);
  });
});
