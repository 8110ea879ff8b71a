import { status } from '@grpc/grpc-js';
import { waitFor } from '../support/wait-for';
import { type Credentials, ENROLMENT_TOKEN, enterprise, failureOf, TopLevelHarness } from './top-level-harness';

/** What a filing's enterprise carries that is not public (top-level-harness enterprise()). */
const PERSONAL = ['Li Lei', '13800000000', 'li@example.com', 'contactName', 'contactPhone', 'contactEmail', 'creditCode'];

function expectNoPersonalData(text: string): void {
  for (const item of PERSONAL) expect({ item, found: text.includes(item) }).toEqual({ item, found: false });
}

describe('top-level node: filings are operator-only, IIIDAP shows public data only', () => {
  const ADMIN = 'admin-token-0123456789-personal';
  let top: TopLevelHarness;
  let node: Credentials;

  beforeAll(async () => {
    top = await TopLevelHarness.start({ FILING_REVIEW: 'auto', FILING_REVIEW_DELAY_MS: '0', FILING_REVIEW_SWEEP_INTERVAL_MS: '50', TOP_LEVEL_ADMIN_TOKEN: ADMIN });
    node = await top.client.enrol('node-88.118', '88.118');
    await top.client.signed(node, 'PrefixFiling', 'Create', { clientTransactionId: 'p-1', prefix: '88.118.8', enterprise: enterprise('Huangshi Tools Co.') });
    await waitFor('the review', async () => (await top.client.signed(node, 'PrefixFiling', 'Poll', {})).queueCount === 1, { timeoutMs: 15_000, failOnError: true });
  });

  afterAll(async () => {
    await top?.stop();
  });

  it('refuses anonymous readers of the filing list and of one filing (401, problem+json), and reveals nothing', async () => {
    for (const path of ['/api/v1/filings', '/api/v1/filings?status=approved', '/api/v1/filings/88.118.8']) {
      const reply = await top.http('GET', path);
      expect({ path, status: reply.status }).toEqual({ path, status: 401 });
      expect(reply.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expectNoPersonalData(reply.text);
      expect(reply.text).not.toContain('Huangshi');
    }
  });

  it('refuses a wrong token and a node’s own credentials used as a bearer token (403)', async () => {
    for (const token of ['wrong-token-0123456789', node.secret, ENROLMENT_TOKEN]) {
      const list = await top.http('GET', '/api/v1/filings', { token });
      expect(list.status).toBe(403);
      expectNoPersonalData(list.text);
      const one = await top.http('GET', '/api/v1/filings/88.118.8', { token });
      expect(one.status).toBe(403);
      expectNoPersonalData(one.text);
    }
  });

  it('shows the operator (admin token) the full filing with its contact data', async () => {
    const list = await top.http('GET', '/api/v1/filings', { token: ADMIN });
    expect(list.status).toBe(200);
    expect(list.body.items[0].enterprise).toEqual(enterprise('Huangshi Tools Co.'));
    const one = await top.http('GET', '/api/v1/filings/88.118.8', { token: ADMIN });
    expect(one.status).toBe(200);
    expect(one.body.enterprise.contactEmail).toBe('li@example.com');
  });

  it('publishes in IIIDAP the organisation name, prefix, status and dates only', async () => {
    const reply = await top.http('GET', '/iiidap/identifier/88.118.8');
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ handle: '88.118.8', status: ['active'] });
    expect(reply.body.entities[0]).toEqual({ objectClassName: 'entity', roles: ['registrant'], fn: 'Huangshi Tools Co.' });
    expect(reply.body.events.every((e: { eventDate: string }) => !Number.isNaN(Date.parse(e.eventDate)))).toBe(true);
    expectNoPersonalData(reply.text);
    expect(reply.text).not.toContain(enterprise().creditCode);
    const identifier = await top.http('GET', '/iiidap/identifier/88.118.8/ABC?noredirect');
    expectNoPersonalData(identifier.text);
  });

  it('refuses to file or enrol a look-alike prefix with a leading zero (88.118.08 beside 88.118.8)', async () => {
    const filing = await failureOf(top.client.signed(node, 'PrefixFiling', 'Create', { clientTransactionId: 'p-2', prefix: '88.118.08', enterprise: enterprise() }));
    expect(filing.code).toBe(status.INVALID_ARGUMENT);
    expect(filing.details).toMatch(/leading zero/);
    expect((await top.db.client.query(`SELECT 1 FROM filings WHERE prefix_key = '88.118.08'`)).rowCount).toBe(0);
    const enrol = await failureOf(top.client.call('NodeEnrolment', 'Enrol', { enrolmentToken: ENROLMENT_TOKEN, nodeId: 'node-lookalike', requestedPrefix: '88.0119', softwareVersion: 'test' }));
    expect(enrol.code).toBe(status.INVALID_ARGUMENT);
    expect(enrol.details).toMatch(/leading zero/);
  });
});

describe('top-level node without an admin token (local simulator): filings show no contact data', () => {
  let top: TopLevelHarness;

  beforeAll(async () => {
    top = await TopLevelHarness.start({ FILING_REVIEW: 'manual' });
    const node = await top.client.enrol('node-88.118', '88.118');
    await top.client.signed(node, 'PrefixFiling', 'Create', { clientTransactionId: 's-1', prefix: '88.118.8', enterprise: enterprise('Huangshi Tools Co.') });
  });

  afterAll(async () => {
    await top?.stop();
  });

  it('lists filings by organisation name only', async () => {
    const list = await top.http('GET', '/api/v1/filings');
    expect(list.status).toBe(200);
    expect(list.body.items[0]).toMatchObject({ prefix: '88.118.8', status: 'pending', enterprise: { orgName: 'Huangshi Tools Co.' } });
    expectNoPersonalData(list.text);
    const one = await top.http('GET', '/api/v1/filings/88.118.8');
    expect(one.status).toBe(200);
    expectNoPersonalData(one.text);
  });
});
