import { databaseFingerprint } from '../support/test-database';
import { type EnterpriseFixture, TestNode } from '../support/test-node';

const ITEMS = Array.from({ length: 12 }, (_, k) => ({ idType: `attr${k}`, idIndex: 2000 + k, maxLength: 255 }));

function fullBatch(tag: string, valueLength: number) {
  return Array.from({ length: 2000 }, (_, i) => ({
    handle: `88.118.8/${tag}-${i}`,
    templateVersion: 'wide',
    value: ITEMS.map((item) => ({ index: item.idIndex, type: item.idType, data: { format: 'string', value: `${i}`.padEnd(valueLength, 'x') } })),
  }));
}

/** The default body limit (8 MiB) takes a full batch of 2,000 large items, and no more than the limit. */
describe('request body limit', () => {
  let node: TestNode;
  let ent: EnterpriseFixture;

  beforeAll(async () => {
    node = await TestNode.start();
    ent = await node.approvedEnterprise('88.118.8', 'wide');
    await node.createTemplate(ent.token, ent.prefix, 'wide', ITEMS);
  });
  afterAll(async () => {
    await node.stop();
  });

  it('accepts a full 2,000-item batch of several MiB', async () => {
    const body = fullBatch('big', 255);
    const size = Buffer.byteLength(JSON.stringify(body));
    expect(size).toBeGreaterThan(6 * 1024 * 1024);
    const reply = await node.request('POST', '/identityv2/data/batchCreate', { token: ent.token, body });
    expect(reply.status).toBe(200);
    expect(reply.body.data.filter((r: { code: number }) => r.code === 1)).toHaveLength(2000);
    const stored = await node.db.client.query(`SELECT count(*)::int AS n FROM identifiers WHERE handle_key LIKE '88.118.8/big-%'`);
    expect(stored.rows[0].n).toBe(2000);
  });

  it('refuses a body over the limit with 413 and stores nothing', async () => {
    const before = await databaseFingerprint(node.db.client);
    const rawBody = JSON.stringify(fullBatch('huge', 255)).replace(/x/g, 'xx');
    expect(Buffer.byteLength(rawBody)).toBeGreaterThan(8 * 1024 * 1024);
    const reply = await node.request('POST', '/identityv2/data/batchCreate', { token: ent.token, rawBody });
    expect(reply.status).toBe(413);
    expect(reply.body).toMatchObject({ status: -2, data: null });
    expect(await databaseFingerprint(node.db.client)).toEqual(before);
  });
});
