import { randomBytes } from 'node:crypto';
import { seededRandom, WTinyLfuCache } from '@idis/runtime';
import { type EnterpriseFixture, TestNode } from '../support/test-node';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const IDENTIFIERS = 240;
const L1_ENTRIES = 40;
const REQUESTS = 2_400;

/** The L1 hit count read off /metrics. */
async function l1Hits(node: TestNode): Promise<number> {
  const text = (await node.request('GET', '/metrics')).text;
  const line = text.split('\n').find((l) => l.startsWith('idis_resolutions_total{') && l.includes('outcome="l1"'));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/**
 * The node's L1 makes the decisions of the policy it is built on: a trace of anonymous Handle REST
 * reads, sent one at a time, hits L1 exactly as often as the same trace replayed on a
 * WTinyLfuCache of the same size. A front door that read L1 twice per miss (its own look-up, then
 * resolve()'s) counted each miss twice in the frequency sketch and admitted the long tail; the
 * offline replay of the benchmark could not see that.
 */
describe('L1 admission through the Handle REST front door', () => {
  let node: TestNode;
  let acme: EnterpriseFixture;
  const handle = (i: number) => `88.118.8/l1-policy-${i}`;

  beforeAll(async () => {
    node = await TestNode.start({
      REDIS_URL,
      REDIS_KEY_PREFIX: `it-l1p-${randomBytes(4).toString('hex')}:`,
      CACHE_L2_ENABLED: 'false',
      CACHE_L1_MAX_ENTRIES: String(L1_ENTRIES),
      STATS_FLUSH_INTERVAL_MS: '600000',
    });
    acme = await node.approvedEnterprise('88.118.8', 'acme');
    for (let i = 0; i < IDENTIFIERS; i += 1) {
      const put = await node.request('PUT', `/api/handles/${handle(i)}`, { token: acme.token, body: [{ index: 1, type: 'URL', data: `https://tools.example.cn/p/${i}` }] });
      expect(put.status).toBeLessThan(300);
    }
  }, 120_000);
  afterAll(async () => {
    await node?.stop();
  });

  it('hits L1 exactly as often as the same trace on a W-TinyLFU of the same size', async () => {
    // A skewed trace (Zipf-like: key ⌊n·u³⌋), seeded so every run sends the same one.
    const random = seededRandom(17);
    const trace = Array.from({ length: REQUESTS }, () => Math.floor(IDENTIFIERS * random() ** 3));

    const model = new WTinyLfuCache<true>({ maxEntries: L1_ENTRIES, maxBytes: 1 << 30 });
    let expected = 0;
    for (const i of trace) {
      const key = handle(i).toLowerCase();
      if (model.get(key) !== undefined) expected += 1;
      else model.set(key, true, 1, 86_400_000);
    }
    // The model itself is no LRU: it keeps the popular keys (a sanity check of the trace).
    expect(expected).toBeGreaterThan(REQUESTS * 0.4);

    const before = await l1Hits(node);
    for (const i of trace) {
      const reply = await node.request('GET', `/api/handles/${handle(i)}`);
      expect(reply.status).toBe(200);
    }
    const hits = (await l1Hits(node)) - before;
    expect(hits).toBe(expected);
  }, 120_000);
});
