import { randomBytes } from 'node:crypto';
import { request } from '../support/http';
import { NodeProcess } from '../support/node-process';
import { PgReplicaPair } from '../support/pg-replica';
import { parsePrometheus } from '../support/prometheus';
import { applicationBody, JWT_SECRET, OPERATOR_PASSWORD } from '../support/test-node';
import { waitFor } from '../support/wait-for';

/** Kept small so that the test sees the replica leave the rotation within seconds. */
const MAX_LAG_MS = 1500;
const POLL_INTERVAL_MS = 100;
const PREFIX = '88.118.8';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** The invalidation channel of this test's node processes. */
const REDIS_KEY_PREFIX = `e2e-replicas-${randomBytes(4).toString('hex')}:`;
const HANDLES = Array.from({ length: 10 }, (_, i) => `${PREFIX}/replicated-${i}`);
/** The resolution statement as pg_stat_statements normalises it (IdentifierRepository.fetchForResolution). */
const RESOLUTION_STATEMENT = `%JOIN identifiers i ON i.handle_key = k.key%`;

function call(base: string, method: string, path: string, body?: unknown, token?: string) {
  return request(base, method, path, { body, token, redirect: 'follow', requireJson: true });
}

interface ReplicaCheck {
  status: string;
  replicas: Array<{ replica: string; up: boolean; inRotation: boolean; lagSeconds?: number; replayPaused: boolean; error?: string }>;
  pendingMarks: { keys: number; global: boolean };
}

/**
 * The node on a real PostgreSQL primary and a streaming replica made by the test (initdb +
 * pg_basebackup -R from the machine's PostgreSQL 15), DATABASE_READ_URLS naming the replica, no
 * caches (every resolution is a database read). Where a read ran is counted by the servers
 * themselves (pg_stat_statements on each) as well as by the node's /metrics.
 */
describe('PostgreSQL read replicas (DATABASE_READ_URLS)', () => {
  let pair: PgReplicaPair;
  let node: NodeProcess;
  let base: string;
  let operator: string;
  let token: string;
  let replicaLabel: string;

  /** Calls of the resolution statement as the given server counted them. */
  async function resolutionCalls(server: 'primary' | 'replica'): Promise<number> {
    const rows = await pair[server].query<{ n: number }>(`SELECT coalesce(sum(calls), 0)::int AS n FROM pg_stat_statements WHERE query LIKE $1`, [RESOLUTION_STATEMENT], 'idis');
    return rows[0].n;
  }

  async function metric(name: string, labels: Record<string, string>, of = base): Promise<number | undefined> {
    const { samples } = parsePrometheus((await request(of, 'GET', '/metrics')).text);
    for (const [key, value] of samples) {
      if (!key.startsWith(`${name}{`)) continue;
      if (Object.entries(labels).every(([label, wanted]) => key.includes(`${label}="${wanted}"`))) return value;
    }
    return undefined;
  }

  async function health(of = base): Promise<{ status: string; check: ReplicaCheck }> {
    const reply = await call(of, 'GET', '/health', undefined, operator);
    return { status: reply.body.status, check: reply.body.checks['database-replicas'] };
  }

  async function resolve(handle: string, of = base): Promise<string> {
    const reply = await call(of, 'GET', `/api/handles/${handle}`);
    expect(reply.status).toBe(200);
    return reply.body.values[0].data.value;
  }

  beforeAll(async () => {
    pair = await PgReplicaPair.start();
    await pair.primary.query('CREATE DATABASE idis');
    await pair.primary.query('CREATE EXTENSION pg_stat_statements', [], 'idis');
    replicaLabel = `127.0.0.1:${pair.replica.port}/idis`;
    node = NodeProcess.spawn({
      DATABASE_URL: pair.primary.url('idis'),
      DATABASE_READ_URLS: pair.replica.url('idis'),
      DATABASE_READ_MAX_LAG_MS: String(MAX_LAG_MS),
      DATABASE_READ_POLL_INTERVAL_MS: String(POLL_INTERVAL_MS),
      CACHE_L1_ENABLED: 'false',
      CACHE_L2_ENABLED: 'false',
      REDIS_URL,
      REDIS_KEY_PREFIX,
      // Two node processes here, and other suites' nodes on this machine: no fixed Handle protocol port (2641).
      HANDLE_PROTOCOL_PORT: 'off',
      OPERATOR_PASSWORD,
      JWT_SECRET,
      PORT: '0',
      HOST: '127.0.0.1',
      NODE_ID: 'replicas-e2e',
    });
    base = await node.ready();
    operator = (await call(base, 'POST', '/api/v1/auth/token', { username: 'operator', password: OPERATOR_PASSWORD })).body.accessToken;
    const application = await call(base, 'POST', '/api/v1/enterprises/applications', applicationBody(PREFIX, 'replicated'));
    expect((await call(base, 'POST', `/api/v1/enterprises/applications/${application.body.id}/approve`, {}, operator)).status).toBeLessThan(300);
    token = (await call(base, 'POST', '/api/v1/auth/token', { username: 'replicated', password: 'enterprise-pass-1' })).body.accessToken;
    for (const handle of HANDLES) {
      expect((await call(base, 'PUT', `/api/handles/${handle}`, [{ index: 1, type: 'URL', data: `https://${handle.split('/')[1]}.v0.example.cn` }], token)).status).toBe(200);
    }
    // Generous: other suites share the machine's two cores (initdb, pg_basebackup and the node's build of its schema).
  }, 300_000);

  afterAll(async () => {
    await node?.stop();
    await pair?.stop();
  }, 60_000);

  /** The replica is in rotation and every write mark has been replayed past (nothing pins a key to the primary). */
  async function settled(of = base): Promise<ReplicaCheck> {
    return waitFor(
      'the replica to be in rotation with no write pending replay',
      async () => {
        const { check } = await health(of);
        return check.replicas[0].inRotation && check.pendingMarks.keys === 0 && !check.pendingMarks.global ? check : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
  }

  it('refuses to start with a replica URL that is the primary itself, in one line naming the variable', async () => {
    const refused = NodeProcess.spawn({ DATABASE_URL: pair.primary.url('idis'), DATABASE_READ_URLS: `postgresql://postgres@localhost:${pair.primary.port}/idis`, OPERATOR_PASSWORD, JWT_SECRET, PORT: '0' });
    expect(await refused.exited).toBe(2);
    expect(refused.output).toContain(`DATABASE_READ_URLS entry 1 (127.0.0.1:${pair.primary.port}/idis) is DATABASE_URL itself; a read replica must be a streaming standby of it`);
  });

  it('sends resolution misses and listings to the replica, never the primary, once the writes are replayed', async () => {
    const check = await settled();
    expect(check.status).toBe('up');
    expect(check.replicas[0]).toMatchObject({ replica: replicaLabel, up: true, inRotation: true, replayPaused: false });
    const before = { replica: await resolutionCalls('replica'), primary: await resolutionCalls('primary') };
    const heavyBefore = (await metric('idis_db_replica_statements_total', { kind: 'heavy' })) ?? 0;
    for (const handle of HANDLES) expect(await resolve(handle)).toBe(`https://${handle.split('/')[1]}.v0.example.cn`);
    const after = { replica: await resolutionCalls('replica'), primary: await resolutionCalls('primary') };
    expect(after.replica - before.replica).toBeGreaterThanOrEqual(HANDLES.length);
    expect(after.primary - before.primary).toBe(0);
    expect(await metric('idis_db_replica_statements_total', { replica: replicaLabel, kind: 'resolution' })).toBeGreaterThanOrEqual(HANDLES.length);

    const listing = await call(base, 'GET', `/api/v1/identifiers?prefix=${PREFIX}&pageSize=50`, undefined, token);
    expect(listing.status).toBe(200);
    expect(JSON.stringify(listing.body)).toContain(HANDLES[3]);
    expect(((await metric('idis_db_replica_statements_total', { replica: replicaLabel, kind: 'heavy' })) ?? 0) - heavyBefore).toBeGreaterThan(0);
    expect(await metric('idis_db_replica_up', { replica: replicaLabel })).toBe(1);
    // The gauge is published and stays under the bound. It need not read 0: any WAL the primary writes meanwhile
    // (the statistics flush, this test's own reads counted) starts the lag clock until the next poll sees it replayed.
    const lag = await metric('idis_db_replica_lag_seconds', { replica: replicaLabel });
    expect(lag).toBeGreaterThanOrEqual(0);
    expect(lag).toBeLessThan(MAX_LAG_MS / 1000);
  }, 60_000);

  it('reads its own writes while the replica is paused; the lag shows, the replica leaves the rotation past the bound and comes back after resume', async () => {
    await settled();
    const [written, untouched] = [HANDLES[0], HANDLES[1]];
    await pair.replica.query('SELECT pg_wal_replay_pause()');
    const pausedAt = performance.now();
    try {
      for (let version = 1; version <= 5; version += 1) {
        const value = `https://replicated-0.v${version}.example.cn`;
        expect((await call(base, 'PUT', `/api/handles/${written}`, [{ index: 1, type: 'URL', data: value }], token)).status).toBe(200);
        // At once, no wait: the new value, from the primary (the replica still has the first one).
        expect(await resolve(written)).toBe(value);
      }
      const onReplica = await pair.replica.query<{ values: Array<{ data: { value: string } }> }>(`SELECT "values" FROM identifiers WHERE handle = $1`, [written], 'idis');
      expect(onReplica[0].values[0].data.value).toBe('https://replicated-0.v0.example.cn');

      // The lag grows while replay is paused: in /metrics and /health.
      const lagging = await waitFor(
        'the replica lag to show',
        async () => {
          const lag = await metric('idis_db_replica_lag_seconds', { replica: replicaLabel });
          return lag !== undefined && lag > 0 ? lag : undefined;
        },
        { timeoutMs: 15_000, intervalMs: 50 },
      );
      expect(lagging).toBeGreaterThan(0);
      const seen = await health();
      expect(seen.check.replicas[0].replayPaused).toBe(true);
      expect(seen.check.replicas[0].lagSeconds).toBeGreaterThan(0);

      // Past DATABASE_READ_MAX_LAG_MS it leaves the rotation: /health degraded, reads on the primary.
      const left = await waitFor('the replica to leave the rotation', async () => ((await metric('idis_db_replica_in_rotation', { replica: replicaLabel })) === 0 ? performance.now() - pausedAt : undefined), {
        timeoutMs: 30_000,
        intervalMs: 50,
      });
      // Not before the bound. The lag is the age of the oldest primary WAL position the replica has not
      // replayed, as the node's poll first saw it: a position written just before the pause (not
      // replayed when replay stopped) may have been seen up to one poll interval before pausedAt.
      expect(left).toBeGreaterThanOrEqual(MAX_LAG_MS - POLL_INTERVAL_MS);
      const out = await health();
      expect(out.status).toBe('degraded');
      expect(out.check.status).toBe('down');
      expect(out.check.replicas[0]).toMatchObject({ up: true, inRotation: false, replayPaused: true });
      expect(out.check.replicas[0].lagSeconds).toBeGreaterThan(MAX_LAG_MS / 1000);
      const replicaBefore = await resolutionCalls('replica');
      const primaryReadsBefore = (await metric('idis_db_primary_reads_total', { kind: 'resolution' })) ?? 0;
      expect(await resolve(untouched)).toBe('https://replicated-1.v0.example.cn');
      expect(await resolutionCalls('replica')).toBe(replicaBefore);
      expect(await metric('idis_db_primary_reads_total', { kind: 'resolution' })).toBeGreaterThan(primaryReadsBefore);
      process.stdout.write(`read-replicas: lag ${lagging.toFixed(3)} s first seen; left the rotation ${left.toFixed(0)} ms after the pause at lag ${out.check.replicas[0].lagSeconds?.toFixed(3)} s\n`);
    } finally {
      await pair.replica.query('SELECT pg_wal_replay_resume()');
    }

    const resumedAt = performance.now();
    const back = await settled();
    const rejoinedMs = performance.now() - resumedAt;
    expect(back.replicas[0].lagSeconds).toBe(0);
    expect((await health()).status).toBe('ok');
    expect(await metric('idis_db_replica_in_rotation', { replica: replicaLabel })).toBe(1);
    // The written identifier is served by the replica again, with its last value.
    const replicaBefore = await resolutionCalls('replica');
    expect(await resolve(written)).toBe('https://replicated-0.v5.example.cn');
    expect(await resolutionCalls('replica')).toBe(replicaBefore + 1);
    process.stdout.write(`read-replicas: back in rotation ${rejoinedMs.toFixed(0)} ms after pg_wal_replay_resume()\n`);
  }, 120_000);

  it('another node process reads a write made through this one from the primary while the replica lags (the invalidation channel carries the mark)', async () => {
    // B keeps the paused replica in rotation all along (a bound of a minute): only the mark keeps the old row from it.
    const other = NodeProcess.spawn({
      DATABASE_URL: pair.primary.url('idis'),
      DATABASE_READ_URLS: pair.replica.url('idis'),
      DATABASE_READ_MAX_LAG_MS: '60000',
      DATABASE_READ_POLL_INTERVAL_MS: String(POLL_INTERVAL_MS),
      CACHE_L1_ENABLED: 'false',
      CACHE_L2_ENABLED: 'false',
      REDIS_URL,
      REDIS_KEY_PREFIX,
      // Two node processes here, and other suites' nodes on this machine: no fixed Handle protocol port (2641).
      HANDLE_PROTOCOL_PORT: 'off',
      OPERATOR_PASSWORD,
      JWT_SECRET,
      PORT: '0',
      HOST: '127.0.0.1',
      NODE_ID: 'replicas-e2e-b',
    });
    try {
      const baseB = await other.ready();
      await Promise.all([settled(), settled(baseB)]);
      await waitFor('B to be attached to the invalidation channel', async () => (await call(baseB, 'GET', '/health', undefined, operator)).body.checks.cache.invalidationChannel === 'up', { timeoutMs: 30_000, intervalMs: 100 });
      const [written, untouched] = [HANDLES[5], HANDLES[6]];
      await pair.replica.query('SELECT pg_wal_replay_pause()');
      try {
        const value = 'https://replicated-5.v1-through-a.example.cn';
        expect((await call(base, 'PUT', `/api/handles/${written}`, [{ index: 1, type: 'URL', data: value }], token)).status).toBe(200);
        const acknowledged = performance.now();
        await waitFor('B to resolve the new value', async () => (await resolve(written, baseB)) === value, { timeoutMs: 10_000, intervalMs: 10 });
        const seenAfterMs = performance.now() - acknowledged;
        // Still paused, still in B's rotation, still the old row on the replica: the new value came from the primary.
        const onReplica = await pair.replica.query<{ values: Array<{ data: { value: string } }> }>(`SELECT "values" FROM identifiers WHERE handle = $1`, [written], 'idis');
        expect(onReplica[0].values[0].data.value).toBe('https://replicated-5.v0.example.cn');
        expect(await metric('idis_db_replica_in_rotation', { replica: replicaLabel }, baseB)).toBe(1);
        for (let i = 0; i < 20; i += 1) expect(await resolve(written, baseB)).toBe(value);
        // B's other reads still go to the replica.
        const replicaBefore = await resolutionCalls('replica');
        expect(await resolve(untouched, baseB)).toBe('https://replicated-6.v0.example.cn');
        expect(await resolutionCalls('replica')).toBe(replicaBefore + 1);
        process.stdout.write(`read-replicas: node B served the write made through A ${seenAfterMs.toFixed(0)} ms after A acknowledged it, replica paused and in B's rotation\n`);
      } finally {
        await pair.replica.query('SELECT pg_wal_replay_resume()');
      }
      await settled(baseB);
      expect(await resolve(written, baseB)).toBe('https://replicated-5.v1-through-a.example.cn');
    } finally {
      await other.stop();
    }
  }, 180_000);

  it('fails no resolution when the replica is killed (SIGKILL) under load, shows it down, and puts it back once restarted', async () => {
    await settled();
    const total = 400;
    const killAfter = 100;
    let started = 0;
    let done = 0;
    const failures: string[] = [];
    let killed = false;
    const deadline = performance.now() + 60_000;
    const worker = async () => {
      while (started < total && performance.now() < deadline) {
        const handle = HANDLES[started % HANDLES.length];
        started += 1;
        const reply = await request(base, 'GET', `/api/handles/${handle}`);
        done += 1;
        const value = (reply.body as { values?: Array<{ data: { value: string } }> } | undefined)?.values?.[0]?.data.value;
        if (reply.status !== 200 || !value?.startsWith(`https://${handle.split('/')[1]}.v`)) failures.push(`${handle}: ${reply.status} ${reply.text.slice(0, 200)}`);
        if (!killed && done >= killAfter) {
          killed = true;
          pair.replica.child.kill('SIGKILL');
        }
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    expect(killed).toBe(true);
    expect(done).toBe(total);
    expect(failures).toEqual([]);

    const down = await waitFor('the replica to show as down', async () => ((await metric('idis_db_replica_up', { replica: replicaLabel })) === 0 ? health() : undefined), { timeoutMs: 15_000, intervalMs: 100 });
    expect(down.status).toBe('degraded');
    expect(down.check.replicas[0]).toMatchObject({ up: false, inRotation: false });
    expect(down.check.replicas[0].error).toEqual(expect.any(String));
    // Heavy reads and resolutions keep answering from the primary.
    expect(await resolve(HANDLES[2])).toBe('https://replicated-2.v0.example.cn');
    expect((await call(base, 'GET', `/api/v1/identifiers?prefix=${PREFIX}`, undefined, token)).status).toBe(200);

    // Restarted, it catches up and is put back in rotation: misses go to it again.
    const restartedAt = performance.now();
    await pair.restartReplica();
    await settled();
    const rejoinedMs = performance.now() - restartedAt;
    expect((await health()).status).toBe('ok');
    const replicaBefore = await resolutionCalls('replica');
    expect(await resolve(HANDLES[4])).toBe('https://replicated-4.v0.example.cn');
    expect(await resolutionCalls('replica')).toBe(replicaBefore + 1);
    process.stdout.write(`read-replicas: ${total} resolutions, ${failures.length} failed, replica SIGKILLed after ${killAfter}; back in rotation ${rejoinedMs.toFixed(0)} ms after its restart began\n`);
  }, 180_000);

  it('fails no resolution while the replica is frozen (SIGSTOP): it leaves the rotation, and comes back after SIGCONT', async () => {
    await settled();
    const replica = pair.replica;
    const frozenAt = performance.now();
    replica.freeze();
    const failures: string[] = [];
    let resolved = 0;
    try {
      // Resolutions in the first seconds meet the frozen replica (a timeout, then the primary); later ones skip it.
      while (resolved < 60 && performance.now() - frozenAt < 60_000) {
        const handle = HANDLES[resolved % HANDLES.length];
        const reply = await request(base, 'GET', `/api/handles/${handle}`);
        resolved += 1;
        if (reply.status !== 200) failures.push(`${handle}: ${reply.status} ${reply.text.slice(0, 200)}`);
      }
      const down = await waitFor('the frozen replica to leave the rotation', async () => ((await metric('idis_db_replica_in_rotation', { replica: replicaLabel })) === 0 ? health() : undefined), { timeoutMs: 15_000, intervalMs: 100 });
      expect(down.status).toBe('degraded');
      expect(down.check.replicas[0]).toMatchObject({ up: false, inRotation: false });
    } finally {
      replica.thaw();
    }
    expect(resolved).toBe(60);
    expect(failures).toEqual([]);
    await settled();
    expect((await health()).status).toBe('ok');
    process.stdout.write(`read-replicas: ${resolved} resolutions while frozen, ${failures.length} failed; ${(performance.now() - frozenAt).toFixed(0)} ms from SIGSTOP to back in rotation\n`);
  }, 120_000);
});
