import { TestNode } from '../support/test-node';

describe('test node harness', () => {
  let node: TestNode;
  beforeAll(async () => {
    node = await TestNode.start();
  });
  afterAll(async () => {
    await node.stop();
  });

  it('registers an identifier end to end through SNMS and resolves it through Handle REST', async () => {
    const ent = await node.approvedEnterprise('88.118.8', 'acme');
    await node.createTemplate(ent.token, ent.prefix, '1.0', [{ idType: 'name', required: true }, { idType: 'url' }]);
    const created = await node.request('POST', '/identityv2/data', {
      token: ent.token,
      body: { handle: '88.118.8/ABC123', templateVersion: '1.0', value: [{ index: 2000, type: 'name', data: { format: 'string', value: 'Wrench' } }] },
    });
    expect(created.body).toEqual({ status: 1, message: 'success', data: true });
    const resolved = await node.request('GET', '/api/handles/88.118.8/abc123');
    expect(resolved.status).toBe(200);
    expect(resolved.body.handle).toBe('88.118.8/abc123');
    expect(resolved.body.values.map((v: { index: number }) => v.index)).toEqual([1001, 2000]);
  });
});
