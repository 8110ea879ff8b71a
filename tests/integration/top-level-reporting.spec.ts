import { status } from '@grpc/grpc-js';
import { type Credentials, failureOf, TopLevelHarness } from './top-level-harness';

const DAY = Date.UTC(2026, 10, 3);
const HOUR = 3_600_000;

function report(sequence: number, startMs: number, volumes: Array<{ prefix: string; registrations?: number; resolutions?: number; notFound?: number; errors?: number }>) {
  return {
    sequence,
    periodStartMs: startMs,
    periodEndMs: startMs + HOUR,
    volumes: volumes.map((v) => ({ registrations: 0, resolutions: 0, notFound: 0, errors: 0, ...v })),
  };
}

describe('top-level node: statistics reports, heartbeats and simulation knobs', () => {
  let top: TopLevelHarness;
  let node: Credentials;

  beforeAll(async () => {
    top = await TopLevelHarness.start({ TOP_LEVEL_HEARTBEAT_INTERVAL_SECONDS: '10' });
    node = await top.client.enrol('node-88.118', '88.118', [{ kind: 'proxy', url: 'http://127.0.0.1:18080' }]);
  });

  afterAll(async () => {
    await top?.stop();
  });

  it('stores a report once per period: a repeat is a duplicate and adds nothing', async () => {
    const first = report(1, DAY, [{ prefix: '88.118.8', registrations: 10, resolutions: 100, notFound: 3, errors: 1 }, { prefix: '-', resolutions: 7 }]);
    expect(await top.client.signed(node, 'Reporting', 'ReportStatistics', first)).toEqual({ sequence: 1, duplicate: false, missingBefore: 0 });
    const repeat = { ...first, volumes: [{ prefix: '88.118.8', registrations: 999, resolutions: 0, notFound: 0, errors: 0 }] };
    expect(await top.client.signed(node, 'Reporting', 'ReportStatistics', repeat)).toEqual({ sequence: 1, duplicate: true, missingBefore: 0 });
    const volumes = await top.http('GET', '/api/v1/volumes?from=2026-11-01&to=2026-11-10');
    expect(volumes.status).toBe(200);
    expect(volumes.body.items).toEqual([{ nodeId: 'node-88.118', day: '2026-11-03', registrations: 10, resolutions: 107, notFound: 3, errors: 1, reports: 1 }]);
  });

  it('reports sequence gaps and records them', async () => {
    expect(await top.client.signed(node, 'Reporting', 'ReportStatistics', report(2, DAY + HOUR, [{ prefix: '88.118.8', resolutions: 5 }]))).toMatchObject({ missingBefore: 0 });
    expect(await top.client.signed(node, 'Reporting', 'ReportStatistics', report(5, DAY + 2 * HOUR, [{ prefix: '88.118.9', registrations: 2 }]))).toEqual({ sequence: 5, duplicate: false, missingBefore: 2 });
    const byPrefix = await top.http('GET', '/api/v1/volumes?from=2026-11-01&to=2026-11-10&groupBy=prefix&nodeId=node-88.118');
    expect(byPrefix.body.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ prefix: '88.118.8', resolutions: 105, registrations: 10, reports: 2 }),
        expect.objectContaining({ prefix: '88.118.9', registrations: 2 }),
        expect.objectContaining({ prefix: '-', resolutions: 7 }),
      ]),
    );
    const detail = await top.http('GET', '/api/v1/nodes/node-88.118');
    expect(detail.body.gaps.reportMissing).toBe(2);
    expect(detail.body.recentGaps).toEqual([expect.objectContaining({ stream: 'report', firstMissing: 3, lastMissing: 4 })]);
  });

  it('refuses malformed reports without storing anything', async () => {
    const count = async () => (await top.db.client.query(`SELECT (SELECT count(*) FROM statistics_reports) AS r, (SELECT count(*) FROM reported_volumes) AS v`)).rows[0];
    const before = await count();
    const cases = [
      { ...report(6, DAY + 3 * HOUR, []), periodEndMs: DAY + 3 * HOUR },
      { ...report(6, DAY + 3 * HOUR, []), periodEndMs: DAY + 3 * HOUR + 40 * 86_400_000 },
      report(6, DAY + 3 * HOUR, [{ prefix: '88..1' }]),
      report(6, DAY + 3 * HOUR, [{ prefix: '88.118.8' }, { prefix: '88.118.8' }]),
      report(6, DAY + 3 * HOUR, [{ prefix: '88.118.8', resolutions: -1 }]),
    ];
    for (const bad of cases) expect((await failureOf(top.client.signed(node, 'Reporting', 'ReportStatistics', bad))).code).toBe(status.INVALID_ARGUMENT);
    expect(await count()).toEqual(before);
  });

  it('stores heartbeats: status, endpoints, outbox depth and gaps, shown in the node list', async () => {
    const before = await top.http('GET', '/api/v1/nodes');
    expect(before.body.items[0]).toMatchObject({ nodeId: 'node-88.118', status: 'offline', lastHeartbeatAt: null });
    const ack = await top.client.signed(node, 'Reporting', 'Heartbeat', { sequence: 1, sentAtMs: Date.now(), status: 'degraded', endpoints: [{ kind: 'proxy', url: 'http://127.0.0.1:19090' }], outboxDepth: 4 });
    expect(ack.missingBefore).toBe(0);
    expect(Math.abs(ack.receivedAtMs - Date.now())).toBeLessThan(10_000);
    expect((await top.client.signed(node, 'Reporting', 'Heartbeat', { sequence: 4, sentAtMs: Date.now(), status: 'ok', endpoints: [], outboxDepth: 0 })).missingBefore).toBe(2);
    const listed = await top.http('GET', '/api/v1/nodes');
    expect(listed.body.items[0]).toMatchObject({
      nodeId: 'node-88.118',
      status: 'online',
      reportedStatus: 'ok',
      outboxDepth: 0,
      // An empty endpoint list keeps the ones announced before.
      endpoints: [{ kind: 'proxy', url: 'http://127.0.0.1:19090' }],
      lastHeartbeatSequence: 4,
      gaps: { heartbeatMissing: 2, reportMissing: 2 },
    });
    // Resolution answers with the endpoints of the latest heartbeat.
    const other = await top.client.enrol('node-88.200', '88.200');
    expect((await top.client.signed(other, 'PrefixResolution', 'Resolve', { prefix: '88.118' })).site.endpoints).toEqual([{ kind: 'proxy', url: 'http://127.0.0.1:19090' }]);

    // 3 intervals (30 s) without a heartbeat: stale; 10 intervals: offline.
    await top.db.client.query(`UPDATE nodes SET last_heartbeat_at = now() - interval '45 seconds' WHERE node_id = 'node-88.118'`);
    expect((await top.http('GET', '/api/v1/nodes')).body.items.find((n: { nodeId: string }) => n.nodeId === 'node-88.118').status).toBe('stale');
    await top.db.client.query(`UPDATE nodes SET last_heartbeat_at = now() - interval '120 seconds' WHERE node_id = 'node-88.118'`);
    expect((await top.http('GET', '/api/v1/nodes')).body.items.find((n: { nodeId: string }) => n.nodeId === 'node-88.118').status).toBe('offline');

    const bad = await failureOf(top.client.signed(node, 'Reporting', 'Heartbeat', { sequence: 5, sentAtMs: Date.now(), status: 'sleepy', endpoints: [], outboxDepth: 0 }));
    expect(bad.code).toBe(status.INVALID_ARGUMENT);
    expect((await top.http('GET', '/api/v1/nodes/nobody')).status).toBe(404);
  });

  it('simulation knobs: down answers UNAVAILABLE to every call, latency is added, and both are restored', async () => {
    expect((await top.http('GET', '/api/v1/simulation')).body).toEqual({ latencyMs: 0, errorRate: 0, down: false });
    expect((await top.http('PUT', '/api/v1/simulation', { body: { down: true } })).body).toEqual({ latencyMs: 0, errorRate: 0, down: true });
    const down = await failureOf(top.client.signed(node, 'Reporting', 'Heartbeat', { sequence: 6, sentAtMs: Date.now(), status: 'ok', endpoints: [], outboxDepth: 0 }));
    expect(down.code).toBe(status.UNAVAILABLE);
    expect((await failureOf(top.client.enrol('node-88.300', '88.300'))).code).toBe(status.UNAVAILABLE);
    expect((await top.http('GET', '/health')).status).toBe(200);

    await top.http('PUT', '/api/v1/simulation', { body: { down: false, latencyMs: 300 } });
    const started = Date.now();
    await top.client.signed(node, 'PrefixFiling', 'Poll', {});
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);

    await top.http('PUT', '/api/v1/simulation', { body: { latencyMs: 0, errorRate: 1 } });
    expect((await failureOf(top.client.signed(node, 'PrefixFiling', 'Poll', {}))).code).toBe(status.UNAVAILABLE);
    await top.http('PUT', '/api/v1/simulation', { body: { errorRate: 0 } });
    await expect(top.client.signed(node, 'PrefixFiling', 'Poll', {})).resolves.toMatchObject({ queueCount: 0 });

    for (const body of [{ errorRate: 2 }, { latencyMs: -1 }, { down: 'yes' }, { speed: 1 }, [1]]) {
      const refused = await top.http('PUT', '/api/v1/simulation', { body });
      expect({ body, status: refused.status }).toEqual({ body, status: 400 });
    }
    expect((await top.http('GET', '/api/v1/simulation')).body).toEqual({ latencyMs: 0, errorRate: 0, down: false });
  });

  it('random errors hit roughly the configured share of calls', async () => {
    await top.http('PUT', '/api/v1/simulation', { body: { errorRate: 0.5 } });
    let failed = 0;
    for (let i = 0; i < 40; i += 1) {
      try {
        await top.client.signed(node, 'PrefixFiling', 'Poll', {});
      } catch (error) {
        expect((error as { code: number }).code).toBe(status.UNAVAILABLE);
        failed += 1;
      }
    }
    await top.http('PUT', '/api/v1/simulation', { body: { errorRate: 0 } });
    expect(failed).toBeGreaterThan(4);
    expect(failed).toBeLessThan(36);
    expect((await top.http('GET', '/api/v1/simulation')).body.errorRate).toBe(0);
  });
});
