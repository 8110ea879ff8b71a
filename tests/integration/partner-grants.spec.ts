import { type EnterpriseFixture, TestNode } from '../support/test-node';

/**
 * GET /api/v1/partners/me/grants: a partner lists the enterprises that granted it access (their
 * organisation and prefixes); it never sees another partner's grants, and other roles are refused.
 */
describe('GET /api/v1/partners/me/grants', () => {
  let node: TestNode;
  let operator: string;
  let alpha: EnterpriseFixture;
  let beta: EnterpriseFixture;
  let partnerA: string;
  let partnerB: string;
  let partnerC: string;

  async function partner(username: string): Promise<string> {
    const created = await node.request('POST', '/api/v1/partners', { token: operator, body: { username, password: 'partner-pass-1', orgName: `${username} Ltd.` } });
    expect(created.status).toBe(201);
    return node.token(username, 'partner-pass-1');
  }

  async function grant(enterprise: EnterpriseFixture, granteeUsername: string): Promise<void> {
    const reply = await node.request('POST', `/api/v1/enterprises/${enterprise.enterpriseId}/grants`, { token: enterprise.token, body: { granteeUsername } });
    expect(reply.status).toBe(201);
  }

  beforeAll(async () => {
    node = await TestNode.start();
    operator = await node.operatorToken();
    alpha = await node.approvedEnterprise('88.118.41', 'mine-alpha');
    beta = await node.approvedEnterprise('88.118.42', 'mine-beta');
    partnerA = await partner('mine-partner-a');
    partnerB = await partner('mine-partner-b');
    partnerC = await partner('mine-partner-c');
    await grant(alpha, 'mine-partner-a');
    await grant(beta, 'mine-partner-a');
    await grant(beta, 'mine-partner-b');
  });

  afterAll(async () => {
    await node?.stop();
  });

  const mine = (token?: string) => node.request('GET', '/api/v1/partners/me/grants', { token });

  it("lists the partner's own grants, oldest first, with the grantor's organisation and prefixes", async () => {
    const reply = await mine(partnerA);
    expect(reply.status).toBe(200);
    expect(reply.body.items).toEqual([
      { id: expect.any(String), enterpriseId: alpha.enterpriseId, orgName: 'Org of mine-alpha', prefixes: ['88.118.41'], createdAt: expect.any(String) },
      { id: expect.any(String), enterpriseId: beta.enterpriseId, orgName: 'Org of mine-beta', prefixes: ['88.118.42'], createdAt: expect.any(String) },
    ]);
  });

  it("never shows a second partner the first partner's grants", async () => {
    const reply = await mine(partnerB);
    expect(reply.status).toBe(200);
    expect(reply.body.items.map((g: { enterpriseId: string }) => g.enterpriseId)).toEqual([beta.enterpriseId]);
    expect(reply.text).not.toContain(alpha.enterpriseId);
    expect((await mine(partnerC)).body).toEqual({ items: [] });
  });

  it('follows a revocation at once', async () => {
    const list = await node.request('GET', `/api/v1/enterprises/${beta.enterpriseId}/grants`, { token: beta.token });
    const ofB = list.body.items.find((g: { grantee: { username: string } }) => g.grantee.username === 'mine-partner-b');
    expect((await node.request('DELETE', `/api/v1/enterprises/${beta.enterpriseId}/grants/${ofB.id}`, { token: beta.token })).status).toBe(204);
    expect((await mine(partnerB)).body).toEqual({ items: [] });
    expect((await mine(partnerA)).body.items).toHaveLength(2);
  });

  it('is for partners only: anonymous 401, enterprise and operator 403', async () => {
    expect((await mine()).status).toBe(401);
    for (const token of [alpha.token, operator]) {
      const reply = await mine(token);
      expect(reply.status).toBe(403);
      expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
  });

  it('is described in the OpenAPI document', async () => {
    const doc = await node.request('GET', '/docs/openapi.json');
    expect(doc.body.paths['/api/v1/partners/me/grants'].get.summary).toMatch(/grants the signed-in partner holds/);
  });
});
