import { status } from '@grpc/grpc-js';
import { AUTH_METADATA, MAX_CLOCK_SKEW_MS, methodPath, signCall } from '@idis/contracts';
import { ENROLMENT_TOKEN, failureOf, TopLevelHarness } from './top-level-harness';

const HEARTBEAT = methodPath('Reporting', 'Heartbeat');

function heartbeat(sequence: number) {
  return { sequence, sentAtMs: Date.now(), status: 'ok', endpoints: [], outboxDepth: 0 };
}

describe('top-level node: enrolment and signed calls', () => {
  let top: TopLevelHarness;

  beforeAll(async () => {
    top = await TopLevelHarness.start();
  });

  afterAll(async () => {
    await top?.stop();
  });

  async function nodeRows() {
    return (await top.db.client.query('SELECT node_id, prefix_key, key_id FROM nodes ORDER BY node_id')).rows;
  }

  describe('Enrol', () => {
    it('grants a free secondary prefix with fresh credentials and suggested periods', async () => {
      const reply = await top.client.call('NodeEnrolment', 'Enrol', {
        enrolmentToken: ENROLMENT_TOKEN,
        nodeId: 'node-88.118',
        requestedPrefix: '88.118',
        endpoints: [{ kind: 'proxy', url: 'http://127.0.0.1:8080' }],
        softwareVersion: '0.1.0',
      });
      expect(reply.nodeId).toBe('node-88.118');
      expect(reply.assignedPrefix).toBe('88.118');
      expect(Buffer.from(reply.credentials.secret, 'base64')).toHaveLength(32);
      expect(reply.credentials.keyId).toMatch(/^k-/);
      expect(Math.abs(reply.credentials.issuedAtMs - Date.now())).toBeLessThan(10_000);
      expect(reply.heartbeatIntervalSeconds).toBe(30);
      expect(reply.reportIntervalSeconds).toBe(60);
      const stored = (await top.db.client.query(`SELECT secret_sealed FROM nodes WHERE node_id = 'node-88.118'`)).rows[0];
      expect(stored.secret_sealed).toBe(`plain:${reply.credentials.secret}`);
    });

    it('refuses a missing token (UNAUTHENTICATED) and a wrong one (PERMISSION_DENIED), storing nothing', async () => {
      const before = await nodeRows();
      const missing = await failureOf(top.client.call('NodeEnrolment', 'Enrol', { nodeId: 'n2', requestedPrefix: '88.119' }));
      expect(missing.code).toBe(status.UNAUTHENTICATED);
      const wrong = await failureOf(top.client.call('NodeEnrolment', 'Enrol', { enrolmentToken: 'x'.repeat(20), nodeId: 'n2', requestedPrefix: '88.119' }));
      expect(wrong.code).toBe(status.PERMISSION_DENIED);
      expect(wrong.details).toMatch(/ENROLMENT_TOKEN/);
      expect(await nodeRows()).toEqual(before);
    });

    it('refuses a prefix another node holds (ALREADY_EXISTS) and invalid prefixes or node ids (INVALID_ARGUMENT)', async () => {
      const before = await nodeRows();
      const taken = await failureOf(top.client.enrol('intruder', '88.118'));
      expect(taken.code).toBe(status.ALREADY_EXISTS);
      expect(taken.details).toMatch(/held by node node-88\.118/);
      for (const prefix of ['88', '88.118.8', '88.a1', '88..1', '', '88.118/x', `88.${'1'.repeat(11)}`]) {
        const bad = await failureOf(top.client.enrol('n3', prefix));
        expect({ prefix, code: bad.code }).toEqual({ prefix, code: status.INVALID_ARGUMENT });
      }
      for (const nodeId of ['', 'has space', 'x'.repeat(65)]) {
        const bad = await failureOf(top.client.enrol(nodeId, '88.120'));
        expect({ nodeId, code: bad.code }).toEqual({ nodeId, code: status.INVALID_ARGUMENT });
      }
      const tooManyEndpoints = await failureOf(top.client.enrol('n3', '88.120', Array.from({ length: 17 }, () => ({ kind: 'proxy', url: 'http://x' }))));
      expect(tooManyEndpoints.code).toBe(status.INVALID_ARGUMENT);
      const otherPrefix = await failureOf(top.client.enrol('node-88.118', '88.121'));
      expect(otherPrefix.code).toBe(status.ALREADY_EXISTS);
      expect(await nodeRows()).toEqual(before);
    });
  });

  describe('signed calls', () => {
    let credentials: { nodeId: string; keyId: string; secret: string };

    beforeAll(async () => {
      credentials = await top.client.enrol('node-88.130', '88.130');
    });

    it('accepts a correctly signed call', async () => {
      const ack = await top.client.signed(credentials, 'Reporting', 'Heartbeat', heartbeat(1));
      expect(ack.sequence).toBe(1);
      expect(ack.missingBefore).toBe(0);
    });

    it('refuses a call without metadata', async () => {
      const error = await failureOf(top.client.call('Reporting', 'Heartbeat', heartbeat(2)));
      expect(error.code).toBe(status.UNAUTHENTICATED);
      expect(error.details).toMatch(/x-idis-node-id metadata is missing/);
    });

    it('refuses a wrong signature, a changed body and a signature made for another method', async () => {
      const body = heartbeat(3);
      const headers = signCall(credentials, HEARTBEAT, body);
      const tampered = { ...headers, [AUTH_METADATA.signature]: headers[AUTH_METADATA.signature].replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) };
      expect((await failureOf(top.client.call('Reporting', 'Heartbeat', body, tampered))).code).toBe(status.UNAUTHENTICATED);

      const changed = signCall(credentials, HEARTBEAT, body);
      const error = await failureOf(top.client.call('Reporting', 'Heartbeat', { ...body, outboxDepth: 99 }, changed));
      expect(error.code).toBe(status.UNAUTHENTICATED);
      expect(error.details).toMatch(/signature does not match/);

      const forOther = signCall(credentials, methodPath('PrefixFiling', 'Poll'), body);
      expect((await failureOf(top.client.call('Reporting', 'Heartbeat', body, forOther))).code).toBe(status.UNAUTHENTICATED);

      const otherSecret = signCall({ ...credentials, secret: Buffer.alloc(32, 1).toString('base64') }, HEARTBEAT, body);
      expect((await failureOf(top.client.call('Reporting', 'Heartbeat', body, otherSecret))).code).toBe(status.UNAUTHENTICATED);
      const unknownNode = signCall({ ...credentials, nodeId: 'nobody' }, HEARTBEAT, body);
      expect((await failureOf(top.client.call('Reporting', 'Heartbeat', body, unknownNode))).details).toMatch(/not enrolled/);
    });

    it('refuses a replay of the same metadata, even after a restart', async () => {
      const body = heartbeat(4);
      const headers = signCall(credentials, HEARTBEAT, body);
      await top.client.call('Reporting', 'Heartbeat', body, headers);
      const replay = await failureOf(top.client.call('Reporting', 'Heartbeat', body, headers));
      expect(replay.code).toBe(status.UNAUTHENTICATED);
      expect(replay.details).toMatch(/already used/);
      const sequenceBefore = (await top.db.client.query(`SELECT last_heartbeat_sequence FROM nodes WHERE node_id = $1`, [credentials.nodeId])).rows[0];

      await top.restart();
      const afterRestart = await failureOf(top.client.call('Reporting', 'Heartbeat', body, headers));
      expect(afterRestart.code).toBe(status.UNAUTHENTICATED);
      expect(afterRestart.details).toMatch(/already used/);
      expect((await top.db.client.query(`SELECT last_heartbeat_sequence FROM nodes WHERE node_id = $1`, [credentials.nodeId])).rows[0]).toEqual(sequenceBefore);
    });

    it('refuses stale and future timestamps', async () => {
      const stale = await failureOf(top.client.signed(credentials, 'Reporting', 'Heartbeat', heartbeat(5), Date.now() - MAX_CLOCK_SKEW_MS - 5_000));
      expect(stale.code).toBe(status.UNAUTHENTICATED);
      expect(stale.details).toMatch(/clock/);
      const future = await failureOf(top.client.signed(credentials, 'Reporting', 'Heartbeat', heartbeat(5), Date.now() + MAX_CLOCK_SKEW_MS + 5_000));
      expect(future.code).toBe(status.UNAUTHENTICATED);
      // Just inside the window is fine.
      await expect(top.client.signed(credentials, 'Reporting', 'Heartbeat', heartbeat(5), Date.now() - MAX_CLOCK_SKEW_MS + 10_000)).resolves.toMatchObject({ sequence: 5 });
    });

    it('re-enrolment rotates the key: the old one is refused, the new one works', async () => {
      const rotated = await top.client.enrol('node-88.130', '88.130');
      expect(rotated.keyId).not.toBe(credentials.keyId);
      expect(rotated.secret).not.toBe(credentials.secret);
      const old = await failureOf(top.client.signed(credentials, 'Reporting', 'Heartbeat', heartbeat(6)));
      expect(old.code).toBe(status.UNAUTHENTICATED);
      expect(old.details).toMatch(/not the current credential/);
      await expect(top.client.signed(rotated, 'Reporting', 'Heartbeat', heartbeat(6))).resolves.toMatchObject({ sequence: 6 });
      credentials = rotated;
    });

    it('forgets nonces only once their timestamps are outside the window', async () => {
      await top.db.client.query(`INSERT INTO request_nonces (node_id, nonce, expires_at) VALUES ('x', 'old-nonce-1', now() - interval '1 second')`);
      const count = async () => Number((await top.db.client.query(`SELECT count(*) FROM request_nonces`)).rows[0].count);
      const before = await count();
      const { NodeRepository } = await import('../../apps/top-level-node/src/nodes/node.repository');
      expect(await top.running.app.get(NodeRepository).pruneNonces(new Date())).toBe(1);
      expect(await count()).toBe(before - 1);
    });
  });
});
