import { creditCodeProblem } from '@idis/identifier';
import { EnterpriseSetupError, ensureEnterprise, simCreditCode, simUsername } from './enterprises';
import type { SimEnterprise } from './flow';
import { type Application, type ApplicationInput, NodeApiError, type NodeClient } from './node-client';

/**
 * The enterprise set-up logic against a scripted stand-in for the node's HTTP API (the real node is
 * exercised in tests/integration/enterprise-sim.spec.ts): waiting through approved → filing → active,
 * bounded, and the refusals along the way.
 */
const enterprise: SimEnterprise = { tier: 'supplier', prefix: '88.118.9101', name: 'Supplier 1' };

class ScriptedNode {
  calls: string[] = [];
  accounts = new Map<string, string>();
  applications: Application[] = [];
  /** Statuses a GET of the application goes through after approval, one per poll. */
  afterApproval: Application['status'][] = ['active'];
  creditClashes = 0;

  asClient(): NodeClient {
    return this as unknown as NodeClient;
  }

  async tryLogin(username: string, password: string) {
    this.calls.push(`login ${username}`);
    if (username === 'operator') return password === 'op-pass-123' ? 'op-token' : undefined;
    return this.accounts.get(username) === password ? `token-${username}` : undefined;
  }
  async login(username: string, password: string) {
    const token = await this.tryLogin(username, password);
    if (!token) throw new NodeApiError('refused', 401, undefined);
    return token;
  }
  async snmsLogin(username: string) {
    return `snms-${username}`;
  }
  async findApplications(q: string) {
    this.calls.push(`find ${q}`);
    return this.applications.filter((a) => a.requestedPrefix.includes(q));
  }
  async apply(input: ApplicationInput) {
    this.calls.push(`apply ${input.requestedPrefix}`);
    expect(creditCodeProblem(input.creditCode)).toBeUndefined();
    if (this.creditClashes > 0) {
      this.creditClashes -= 1;
      throw new NodeApiError('POST /api/v1/enterprises/applications: HTTP 409 — an enterprise with credit code X is already registered or under review', 409, undefined);
    }
    const application: Application = { id: `app-${this.applications.length + 1}`, status: 'pending_review', requestedPrefix: input.requestedPrefix, username: input.username, enterpriseId: null, reviewReason: null };
    this.applications.push(application);
    this.accounts.set(`pending:${input.username}`, input.password);
    return { ...application };
  }
  async approve(id: string, token: string) {
    this.calls.push(`approve ${id} as ${token}`);
    const application = this.applications.find((a) => a.id === id) as Application;
    this.accounts.set(application.username, this.accounts.get(`pending:${application.username}`) as string);
    application.status = 'approved';
    return { ...application };
  }
  async getApplication(id: string) {
    this.calls.push(`get ${id}`);
    const application = this.applications.find((a) => a.id === id) as Application;
    application.status = this.afterApproval.shift() ?? application.status;
    if (application.status === 'rejected') application.reviewReason = 'rejected by the top-level node: duplicate filing';
    return { ...application };
  }
}

const options = { password: 'sim-pass-123', operator: { username: 'operator', password: 'op-pass-123' }, pollIntervalMs: 5, activationTimeoutMs: 2000 };

describe('ensureEnterprise', () => {
  it('applies, approves and waits while the prefix is filed with the top level', async () => {
    const node = new ScriptedNode();
    node.afterApproval = ['filing', 'filing', 'filing', 'active'];
    const ready = await ensureEnterprise(node.asClient(), enterprise, options);
    expect(ready).toMatchObject({ prefix: '88.118.9101', username: 'sim-88.118.9101', setup: 'created', token: 'token-sim-88.118.9101', snmsToken: 'snms-sim-88.118.9101', applicationId: 'app-1' });
    expect(node.calls.filter((c) => c.startsWith('get '))).toHaveLength(4);
    expect(node.calls).toContain('approve app-1 as op-token');
  });

  it('reuses an existing account, waiting for its filing to finish, without the operator', async () => {
    const node = new ScriptedNode();
    node.accounts.set('sim-88.118.9101', 'sim-pass-123');
    node.applications.push({ id: 'app-7', status: 'filing', requestedPrefix: '88.118.9101', username: 'sim-88.118.9101', enterpriseId: 'e', reviewReason: null });
    node.afterApproval = ['filing', 'active'];
    const ready = await ensureEnterprise(node.asClient(), enterprise, { ...options, operator: undefined });
    expect(ready.setup).toBe('reused');
    expect(node.calls.some((c) => c.startsWith('login operator') || c.startsWith('approve'))).toBe(false);
  });

  it('approves a pending application left by an interrupted run instead of applying again', async () => {
    const node = new ScriptedNode();
    node.applications.push({ id: 'app-3', status: 'pending_review', requestedPrefix: '88.118.9101', username: 'sim-88.118.9101', enterpriseId: null, reviewReason: null });
    node.accounts.set('pending:sim-88.118.9101', 'sim-pass-123');
    const ready = await ensureEnterprise(node.asClient(), enterprise, options);
    expect(ready.setup).toBe('approved');
    expect(node.calls.some((c) => c.startsWith('apply'))).toBe(false);
  });

  it('gives up, naming the status, when the prefix does not become active in time', async () => {
    const node = new ScriptedNode();
    node.afterApproval = Array.from({ length: 10_000 }, () => 'filing' as const);
    const error = await ensureEnterprise(node.asClient(), enterprise, { ...options, activationTimeoutMs: 100 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EnterpriseSetupError);
    expect((error as Error).message).toMatch(/prefix 88\.118\.9101 is still filing after 100 ms/);
  });

  it('reports a filing the top level rejected', async () => {
    const node = new ScriptedNode();
    node.afterApproval = ['filing', 'rejected'];
    await expect(ensureEnterprise(node.asClient(), enterprise, options)).rejects.toThrow(/application for 88\.118\.9101 was rejected: rejected by the top-level node: duplicate filing/);
  });

  it('derives another valid credit code when the first one is taken, a few times at most', async () => {
    const node = new ScriptedNode();
    node.creditClashes = 2;
    expect((await ensureEnterprise(node.asClient(), enterprise, options)).setup).toBe('created');
    expect(node.calls.filter((c) => c.startsWith('apply'))).toHaveLength(3);
    const stubborn = new ScriptedNode();
    stubborn.creditClashes = 100;
    await expect(ensureEnterprise(stubborn.asClient(), enterprise, options)).rejects.toThrow(/credit code/);
    expect(stubborn.calls.filter((c) => c.startsWith('apply'))).toHaveLength(5);
  });

  it('names the variable to set when an approval needs an operator and none is configured', async () => {
    await expect(ensureEnterprise(new ScriptedNode().asClient(), enterprise, { ...options, operator: undefined })).rejects.toThrow(/must be approved by an operator: set SIM_OPERATOR_PASSWORD/);
  });
});

describe('simulated enterprise identities', () => {
  it('credit codes are valid GB 32100 codes, stable per prefix and different across prefixes', () => {
    for (let code = 9000; code < 9200; code += 1) expect(creditCodeProblem(simCreditCode(`88.118.${code}`))).toBeUndefined();
    expect(simCreditCode('88.118.9101')).toBe(simCreditCode('88.118.9101'));
    expect(simCreditCode('88.118.9101')).not.toBe(simCreditCode('88.118.9102'));
    expect(simCreditCode('88.118.9101', 1)).not.toBe(simCreditCode('88.118.9101'));
    expect(simUsername('88.118.9101')).toBe('sim-88.118.9101');
  });
});
