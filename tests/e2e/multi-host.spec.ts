import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { observeEventMessages } from '../support/observe-events';
import { publishMessages, type PublishResult } from '../../apps/enterprise-sim/src/publisher';
import { freePort } from '../support/free-port';
import { type HttpReply, request } from '../support/http';
import { bootstrapDynsec } from '../support/mosquitto-dynsec';
import { NetnsLab, netnsUnavailable } from '../support/netns';
import { NodeProcess } from '../support/node-process';
import { PgReplicaPair } from '../support/pg-replica';
import { parsePrometheus } from '../support/prometheus';
import { RedisCluster } from '../support/redis-cluster';
import { SpawnedProcess, trackChild } from '../support/spawned-process';
import { applicationBody, JWT_SECRET, OPERATOR_PASSWORD } from '../support/test-node';
import { TopLevelProcess } from '../support/top-level-process';
import { waitFor } from '../support/wait-for';

/**
 * Issue 13 item 4: several replicas on several hosts. The test builds its own network with
 * `ip netns`: a bridge in the root namespace (x.y.z.1) and four "hosts" (namespaces joined to it
 * by veth pairs): the top-level node on one, a secondary-node replica on each of the other three,
 * every replica on port 8080 of its own address. PostgreSQL primary + streaming replica
 * (pg_basebackup), a 3-master 3-replica Redis Cluster, Mosquitto (deploy/mosquitto/mosquitto.conf,
 * dynamic security) and nginx (deploy/compose/nginx.conf with the hosts' addresses) run in the
 * root namespace on the bridge address. The test talks to nginx only, except for /metrics and the
 * ingestion status of each replica (as Prometheus would).
 *
 * Under a bounded mixed load — resolutions, SNMS batch registrations, enterprise approvals (which
 * file prefixes with the top level through the outbox) and MQTT events through the shared
 * subscription — replica 2 is SIGKILLed and started again on its host. Then: no acknowledged write,
 * approval or event is lost (events stored exactly once), the only failed requests are ones that
 * were in flight on the killed replica, the statistics of the replicas add up (per replica to
 * what nginx says it answered, in the database to the sum, at the top level to the database), and
 * the outbox is drained with every filing and report received once in effect.
 *
 * Needs root (or CAP_NET_ADMIN + CAP_SYS_ADMIN) for `ip netns`; skipped, saying why, only where
 * making a network namespace is refused.
 */
const unavailable = process.platform === 'linux' ? netnsUnavailable() : `not Linux (${process.platform})`;
if (unavailable) {
  process.stdout.write(`multi-host: SKIPPED — network namespaces cannot be made here (${unavailable}); run as root on Linux\n`);
}
const describeWithNetns = unavailable ? describe.skip : describe;

const SECONDARY_PREFIX = '88.118';
const NODE_ID = 'node-88.118';
const PREFIX = '88.118.8';
const ENROLMENT_TOKEN = 'multi-host-e2e-token-0123456789';
const REPLICAS = ['n1', 'n2', 'n3'] as const;
const VICTIM = 'n2';
const MQTT_CONNECTIONS = 2;
const STATS_FLUSH_INTERVAL_MS = 200;
/** The bounded load. */
const SEEDED = 40;
const RESOLUTION_WORKERS = 3;
/** Each resolution worker sends at most one request per this many ms (about 300/s in all). */
const RESOLUTION_PACE_MS = 10;
const BATCH_WORKERS = 2;
const BATCH_SIZE = 50;
const MAX_BATCHES = 400;
const APPROVALS = 6;
const EVENTS = Number(process.env.MULTI_HOST_EVENTS ?? 1500);
const EVENT_RATE = 150;
const MAX_REQUESTS = 40_000;
const MAX_LOAD_MS = 90_000;
/** Load before the kill, and after the restarted replica is back, subscribed and answering through nginx. */
const LOAD_BEFORE_KILL_MS = 3000;
const LOAD_AFTER_RESTART_MS = 2000;

/** One request the load sent through nginx, as the client saw it. */
interface Sent {
  kind: 'resolve' | 'batch' | 'apply' | 'approve';
  started: number;
  ended: number;
  status: number;
  /** nginx's $upstream_addr: every replica tried, the one that answered last. */
  upstream: string;
  ok: boolean;
  /** Identifiers the reply acknowledged (batches). */
  items: number;
  detail?: string;
}

/** The last address in nginx's `$upstream_addr` ("a:p, b:p" when it moved on to another replica). */
function answeredBy(upstream: string): string {
  return upstream.split(',').pop()?.trim() ?? '';
}

describeWithNetns('several replicas on several hosts (ip netns): SIGKILL of one replica under mixed load', () => {
  let lab: NetnsLab;
  let pg: PgReplicaPair;
  let redis: RedisCluster;
  let broker: SpawnedProcess | undefined;
  let nginx: SpawnedProcess | undefined;
  let top: TopLevelProcess | undefined;
  const replicas = new Map<string, NodeProcess>();
  const dirs: string[] = [];
  let front: string;
  let topHttp: string;
  let operator: string;
  let mqttUrl: string;
  let admin: { username: string; password: string };
  const consumerPassword = randomBytes(12).toString('hex');
  const redisKeyPrefix = `mh-${randomBytes(3).toString('hex')}:`;
  /** One statement on the node's database (the primary). */
  const sql = <R,>(text: string, params: unknown[] = []) => pg.primary.query<R>(text, params, 'idis');

  const replicaEnv = (name: string): Record<string, string> => {
    const br = lab.bridgeAddress;
    return {
      DATABASE_URL: `postgres://postgres@${br}:${pg.primary.port}/idis`,
      DATABASE_READ_URLS: `postgres://postgres@${br}:${pg.replica.port}/idis`,
      REDIS_CLUSTER_NODES: redis.seeds,
      REDIS_KEY_PREFIX: redisKeyPrefix,
      MQTT_URL: mqttUrl,
      MQTT_CLIENT_ID: `mh-${name}`,
      MQTT_CONNECTIONS: String(MQTT_CONNECTIONS),
      MQTT_SESSION_EXPIRY_SECONDS: '300',
      MQTT_BROKER_ACCOUNTS: 'dynsec',
      MQTT_ADMIN_USERNAME: admin.username,
      MQTT_ADMIN_PASSWORD: admin.password,
      MQTT_USERNAME: 'idis-node-consumer',
      MQTT_PASSWORD: consumerPassword,
      OPERATOR_PASSWORD,
      JWT_SECRET,
      HOST: lab.host(name).address,
      PORT: '8080',
      HANDLE_PROTOCOL_PORT: 'off',
      NODE_ID,
      SECONDARY_PREFIX,
      TOP_LEVEL_URL: `${lab.host('top').address}:50051`,
      ENROLMENT_TOKEN,
      STATS_FLUSH_INTERVAL_MS: String(STATS_FLUSH_INTERVAL_MS),
      UPSTREAM_POLL_INTERVAL_MS: '200',
      UPSTREAM_HEARTBEAT_INTERVAL_MS: '1000',
      UPSTREAM_REPORT_INTERVAL_MS: '1000',
      UPSTREAM_RETRY_BASE_MS: '200',
      UPSTREAM_RETRY_MAX_MS: '1000',
      TOP_LEVEL_CALL_TIMEOUT_MS: '2000',
    };
  };
  const replicaBase = (name: string) => `http://${lab.host(name).address}:8080`;
  const startReplica = (name: string) => {
    const node = NodeProcess.spawn(replicaEnv(name), { netns: lab.host(name).netns });
    trackChild(node.child);
    replicas.set(name, node);
    return node;
  };
  const call = (method: string, path: string, body?: unknown, token?: string, base = front) => request(base, method, path, { body, token, redirect: 'manual' });
  const consumerUp = async (name: string) => {
    const status = await call('GET', '/api/v1/ingestion/status', undefined, operator, replicaBase(name));
    return status.status === 200 && status.body.consumer?.connections.subscribed === MQTT_CONNECTIONS ? status.body : undefined;
  };
  /**
   * idis_resolutions_total and idis_registrations_total (creations) of one replica, summed over
   * outcomes; and, to show the shared engines at work, its resolutions answered from L2 (the Redis
   * Cluster) and its statements on the PostgreSQL replica.
   */
  const counters = async (name: string) => {
    const { samples } = parsePrometheus((await request(replicaBase(name), 'GET', '/metrics')).text);
    let resolutions = 0;
    let registrations = 0;
    let fromL2 = 0;
    let onReadReplica = 0;
    for (const [key, value] of samples) {
      if (key.startsWith('idis_resolutions_total{')) resolutions += value;
      if (key === 'idis_resolutions_total{outcome="l2"}') fromL2 += value;
      if (key.startsWith('idis_registrations_total{') && key.includes('operation="create"')) registrations += value;
      if (key.startsWith('idis_db_replica_statements_total{')) onReadReplica += value;
    }
    return { resolutions, registrations, fromL2, onReadReplica };
  };
  const stored = async () => {
    const [row] = await sql<{ resolutions: string; registrations: string }>(
      `SELECT coalesce(sum(count) FILTER (WHERE kind = 'resolution'), 0)::text AS resolutions,
              coalesce(sum(count) FILTER (WHERE kind = 'registration' AND outcome = 'create'), 0)::text AS registrations FROM usage_counts`,
    );
    return { resolutions: Number(row.resolutions), registrations: Number(row.registrations) };
  };
  /** The database's statistics once nothing changes for two flush periods and more. */
  const settledStatistics = () => {
    let last = '';
    return waitFor(
      'the statistics counters to be flushed and settle',
      async () => {
        const now = await stored();
        const key = JSON.stringify(now);
        const same = key === last;
        last = key;
        if (!same) await new Promise((resolve) => setTimeout(resolve, STATS_FLUSH_INTERVAL_MS * 3));
        return same ? now : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 10 },
    );
  };

  beforeAll(async () => {
    lab = NetnsLab.create(['top', ...REPLICAS]);
    const br = lab.bridgeAddress;
    const subnet = `${br.replace(/\.1$/, '.0')}/24`;

    // PostgreSQL primary + streaming replica, reachable from the lab's hosts.
    const pgStarted = PgReplicaPair.start({ settings: [`listen_addresses = '127.0.0.1,${br}'`, 'max_connections = 200'], hba: [`host all all ${subnet} trust`] });
    const redisStarted = RedisCluster.start({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 2000, host: br });
    [pg, redis] = await Promise.all([pgStarted, redisStarted]);
    await pg.primary.query('CREATE DATABASE idis');
    await pg.primary.query('CREATE DATABASE toplevel');

    // Mosquitto as deploy/mosquitto/mosquitto.conf, on the bridge address.
    const mqttPort = await freePort();
    const mqttDir = mkdtempSync(join(tmpdir(), 'idis-mh-mosquitto-'));
    dirs.push(mqttDir);
    admin = { username: 'idis-admin', password: randomBytes(12).toString('hex') };
    const dynsecFile = bootstrapDynsec(mqttDir, admin);
    const mqttConf = readFileSync(join(__dirname, '..', '..', 'deploy', 'mosquitto', 'mosquitto.conf'), 'utf8')
      .replace(/^listener 1883$/m, `listener ${mqttPort} ${br}`)
      .replace(/^plugin_opt_config_file .*$/m, `plugin_opt_config_file ${dynsecFile}`);
    expect(mqttConf).toContain(`listener ${mqttPort} ${br}`);
    writeFileSync(join(mqttDir, 'mosquitto.conf'), mqttConf);
    broker = new SpawnedProcess(spawn('/usr/sbin/mosquitto', ['-c', join(mqttDir, 'mosquitto.conf')], { stdio: ['ignore', 'pipe', 'pipe'] }), 'mosquitto', { keepOutputChars: 20_000 });
    trackChild(broker.child);
    await broker.waitForOutput(new RegExp(`port ${mqttPort}`), 10_000);
    mqttUrl = `mqtt://${br}:${mqttPort}`;

    // The top-level node on its own host.
    top = TopLevelProcess.spawn(
      {
        DATABASE_URL: `postgres://postgres@${br}:${pg.primary.port}/toplevel`,
        ENROLMENT_TOKEN,
        TOP_LEVEL_GRPC_PORT: '50051',
        TOP_LEVEL_HTTP_PORT: '8090',
        HOST: lab.host('top').address,
        FILING_REVIEW: 'auto',
        FILING_REVIEW_DELAY_MS: '0',
      },
      { netns: lab.host('top').netns },
    );
    trackChild(top.child);
    topHttp = (await top.ready(90_000)).httpUrl;

    // The three replicas, each on its host, at once (migrations run under an advisory lock).
    for (const name of REPLICAS) startReplica(name);
    const bases = await Promise.all(REPLICAS.map((name) => replicas.get(name)!.ready(120_000)));
    expect(bases).toEqual(REPLICAS.map((name) => replicaBase(name)));

    // nginx as deploy/compose/nginx.conf, the hosts' addresses for the compose services, and the
    // answering replica in a response header (for the test's accounting).
    const nginxPort = await freePort();
    const nginxDir = mkdtempSync(join(tmpdir(), 'idis-mh-nginx-'));
    dirs.push(nginxDir);
    chmodSync(nginxDir, 0o755);
    mkdirSync(join(nginxDir, 'logs'));
    let nginxConf = readFileSync(join(__dirname, '..', '..', 'deploy', 'compose', 'nginx.conf'), 'utf8')
      .replace(/^pid .*$/m, `pid ${join(nginxDir, 'nginx.pid')};`)
      .replace(/^    listen 8080;\n    listen \[::\]:8080;$/m, `    listen 127.0.0.1:${nginxPort};\n    add_header X-Upstream $upstream_addr always;`)
      .replace(/^  access_log off;$/m, `  access_log off;\n  client_body_temp_path ${join(nginxDir, 'body')};\n  proxy_temp_path ${join(nginxDir, 'proxy')};`);
    REPLICAS.forEach((name, i) => {
      nginxConf = nginxConf.replace(`server node-${i + 1}:8080`, `server ${lab.host(name).address}:8080`);
    });
    for (const name of REPLICAS) expect(nginxConf).toContain(`server ${lab.host(name).address}:8080 max_fails=2 fail_timeout=5s;`);
    expect(nginxConf).toContain(`listen 127.0.0.1:${nginxPort};`);
    writeFileSync(join(nginxDir, 'nginx.conf'), nginxConf);
    nginx = new SpawnedProcess(spawn('nginx', ['-p', nginxDir, '-c', join(nginxDir, 'nginx.conf'), '-e', 'stderr', '-g', 'daemon off;'], { stdio: ['ignore', 'pipe', 'pipe'] }), 'nginx', { keepOutputChars: 20_000 });
    trackChild(nginx.child);
    front = `http://127.0.0.1:${nginxPort}`;
    await waitFor('nginx to answer /health through a replica', async () => {
      if (!nginx!.running) throw new Error(`nginx exited:\n${nginx!.output}`);
      return (await request(front, 'GET', '/health')).status === 200;
    }, { timeoutMs: 20_000, intervalMs: 100 });

    operator = (await call('POST', '/api/v1/auth/token', { username: 'operator', password: OPERATOR_PASSWORD })).body.accessToken;
    expect(operator).toEqual(expect.any(String));
  }, 240_000);

  afterAll(async () => {
    const steps: Array<() => Promise<unknown> | unknown> = [
      () => Promise.all([...replicas.values()].map((node) => node.stop('SIGTERM', 10_000))),
      () => top?.stop('SIGTERM', 10_000),
      () => nginx?.stop('SIGQUIT', 5000),
      () => broker?.stop('SIGTERM', 5000),
      () => redis?.stop(),
      () => pg?.stop(),
      () => lab?.destroy(),
      () => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })),
    ];
    for (const step of steps) {
      try {
        await step();
      } catch (error) {
        process.stderr.write(`multi-host cleanup: ${(error as Error).message}\n`);
      }
    }
  }, 120_000);

  it('loses no acknowledged write or event, fails only requests in flight on the killed replica, and its statistics and outbox add up', async () => {
    // An enterprise, filed with the top level (through the outbox), with identifiers, a template and an MQTT credential.
    const activeApplication = (id: string) =>
      waitFor(`application ${id} to become active`, async () => (await call('GET', `/api/v1/enterprises/applications/${id}`, undefined, operator)).body?.status === 'active', { timeoutMs: 30_000, intervalMs: 200 });
    const application = await call('POST', '/api/v1/enterprises/applications', applicationBody(PREFIX, 'mh-acme'));
    expect(application.status).toBe(201);
    const approved = await call('POST', `/api/v1/enterprises/applications/${application.body.id}/approve`, undefined, operator);
    expect(approved.status).toBe(200);
    await activeApplication(application.body.id);
    const token = (await call('POST', '/api/v1/auth/token', { username: 'mh-acme', password: 'enterprise-pass-1' })).body.accessToken as string;
    const handles = Array.from({ length: SEEDED }, (_, i) => `${PREFIX}/seed-${i}`);
    for (const handle of handles) {
      expect((await call('PUT', `/api/handles/${handle}`, [{ index: 1, type: 'URL', data: `https://${handle.replace('/', '-')}.example.cn` }], token)).status).toBe(200);
    }
    const template = await call('POST', '/snms/api/v5/template', {
      prefix: PREFIX,
      version: '1.0',
      industryCategory: 'C',
      industrySpecific: '38',
      industryTrade: '384',
      industrySubclass: '3841',
      type: 1,
      description: 'multi-host batches',
      items: [{ name: 'name', idType: 'name', required: true, metadata: { type: 'string', minLength: 1, maxLength: 64 } }],
    }, token);
    expect(template.status).toBe(200);
    const credential = await call('POST', `/api/v1/enterprises/${approved.body.enterpriseId}/mqtt-credentials`, {}, token);
    expect(credential.status).toBe(201);
    for (const name of REPLICAS) await waitFor(`the consumer of ${name} to subscribe`, () => consumerUp(name), { timeoutMs: 30_000, intervalMs: 200 });

    // Baselines: every replica's counters and the database's, once flushed.
    const baseline = { db: await settledStatistics(), ...Object.fromEntries(await Promise.all(REPLICAS.map(async (name) => [name, await counters(name)] as const))) } as Record<string, { resolutions: number; registrations: number }>;
    const eventsBefore = Number((await sql<{ n: string }>('SELECT count(*)::text AS n FROM epcis_events'))[0].n);
    expect(eventsBefore).toBe(0);

    // The load, through nginx.
    const sent: Sent[] = [];
    let stop = false;
    const loadStarted = Date.now();
    const going = () => !stop && sent.length < MAX_REQUESTS && Date.now() - loadStarted < MAX_LOAD_MS;
    const send = async (kind: Sent['kind'], method: string, path: string, body: unknown, auth: string | undefined, judge: (reply: HttpReply) => { ok: boolean; items?: number }) => {
      const started = Date.now();
      let reply: HttpReply | undefined;
      let entry: Sent;
      try {
        reply = await call(method, path, body, auth);
        const verdict = judge(reply);
        entry = { kind, started, ended: Date.now(), status: reply.status, upstream: reply.headers.get('x-upstream') ?? '', ok: verdict.ok, items: verdict.items ?? 0 };
        if (!verdict.ok) entry.detail = reply.text.slice(0, 200);
      } catch (error) {
        entry = { kind, started, ended: Date.now(), status: 0, upstream: '', ok: false, items: 0, detail: (error as Error).message };
      }
      sent.push(entry);
      return reply;
    };
    const resolver = async (w: number) => {
      for (let i = w; going(); i += RESOLUTION_WORKERS) {
        // Paced, so that the restarted replica boots on a loaded machine, not a saturated one.
        const due = loadStarted + ((i - w) / RESOLUTION_WORKERS) * RESOLUTION_PACE_MS;
        if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
        const handle = handles[i % handles.length];
        await send('resolve', 'GET', `/api/handles/${handle}`, undefined, undefined, (reply) => ({ ok: reply.status === 200 && reply.body?.values?.[0]?.data?.value === `https://${handle.replace('/', '-')}.example.cn` }));
      }
    };
    /** Identifiers whose batch was acknowledged (HTTP 200, SNMS status 1, every item code 1). */
    const acknowledged: string[] = [];
    const batcher = async (w: number) => {
      for (let b = 0; going() && b < MAX_BATCHES; b += 1) {
        const items = Array.from({ length: BATCH_SIZE }, (_, i) => ({ handle: `${PREFIX}/mh-${w}-${b}-${i}`, templateVersion: '1.0', value: [{ index: 2000, type: 'name', data: { format: 'string', value: `item ${w}-${b}-${i}` } }] }));
        await send('batch', 'POST', '/identityv2/data/batchCreate', items, token, (reply) => {
          const ok = reply.status === 200 && reply.body?.status === 1 && Array.isArray(reply.body.data) && reply.body.data.length === BATCH_SIZE && reply.body.data.every((r: { code: number }) => r.code === 1);
          if (ok) acknowledged.push(...items.map((item) => item.handle));
          return { ok, items: ok ? BATCH_SIZE : 0 };
        });
      }
    };
    /** Applications approved during the load (each files its prefix with the top level). */
    const approvedDuringLoad: Array<{ id: string; prefix: string }> = [];
    const approver = async () => {
      for (let i = 0; going() && i < APPROVALS; i += 1) {
        const prefix = `${PREFIX.replace(/\.8$/, '')}.${20 + i}`;
        const applied = await send('apply', 'POST', '/api/v1/enterprises/applications', applicationBody(prefix, `mh-ent-${i}`), undefined, (reply) => ({ ok: reply.status === 201 }));
        if (applied?.status !== 201) continue;
        const done = await send('approve', 'POST', `/api/v1/enterprises/applications/${applied.body.id}/approve`, undefined, operator, (reply) => ({ ok: reply.status === 200 && reply.body?.status === 'filing' }));
        if (done?.status === 200) approvedDuringLoad.push({ id: applied.body.id, prefix });
        await new Promise((resolve) => setTimeout(resolve, 700));
      }
    };
    const eventsStored = async () => Number((await sql<{ n: string }>('SELECT count(*)::text AS n FROM epcis_events'))[0].n);
    let publishing: Promise<PublishResult> | undefined;
    let killedAt = 0;
    let eventsAtKill = 0;
    /** When the killed process had exited: what its address answered after that, the restarted process answered. */
    let restartedAt = 0;
    let backAt = 0;
    const load = Promise.all([...Array.from({ length: RESOLUTION_WORKERS }, (_, w) => resolver(w)), ...Array.from({ length: BATCH_WORKERS }, (_, w) => batcher(w)), approver()]);
    try {
      publishing = publishMessages(observeEventMessages('idis/v1', PREFIX, EVENTS, 'MH'), {
        mqttUrl,
        username: credential.body.username,
        password: credential.body.password,
        protocolVersion: 5,
        ratePerSecond: EVENT_RATE,
        inFlight: 50,
        maxDurationMs: 60_000,
        drainTimeoutMs: 60_000,
      });
      await new Promise((resolve) => setTimeout(resolve, LOAD_BEFORE_KILL_MS));
      await waitFor('a fifth of the events stored', async () => (await eventsStored()) >= EVENTS / 5, { timeoutMs: 30_000, intervalMs: 100 });

      // SIGKILL replica 2 (the node process itself: ip netns exec execs it), and start it again on its host.
      const victim = replicas.get(VICTIM)!;
      eventsAtKill = await eventsStored();
      killedAt = Date.now();
      victim.child.kill('SIGKILL');
      await victim.exited;
      expect(victim.child.signalCode).toBe('SIGKILL');
      restartedAt = Date.now();
      await startReplica(VICTIM).ready(120_000);
      await waitFor('the restarted consumer to subscribe', () => consumerUp(VICTIM), { timeoutMs: 30_000, intervalMs: 100 });
      backAt = Date.now();
      // nginx leaves a failed replica out for fail_timeout (5 s) before it tries it again: the load goes on
      // until the restarted replica has answered resolutions and batches through it, and a little longer.
      const victimAddress = `${lab.host(VICTIM).address}:8080`;
      await waitFor(
        'the restarted replica to answer resolutions and batches through nginx',
        () => (['resolve', 'batch'] as const).every((kind) => sent.filter((entry) => entry.ok && entry.kind === kind && entry.started > backAt && answeredBy(entry.upstream) === victimAddress).length >= 5),
        { timeoutMs: 30_000, intervalMs: 100 },
      );
      await new Promise((resolve) => setTimeout(resolve, LOAD_AFTER_RESTART_MS));
    } finally {
      stop = true;
      await load;
    }
    const loadEnded = Date.now();
    const published = await publishing!;

    // Requests: the only failures were in flight on the killed replica when it died.
    const victimAddress = `${lab.host(VICTIM).address}:8080`;
    const failed = sent.filter((entry) => !entry.ok);
    // In flight at the kill: sent before the process was gone, answered (or not) after the signal.
    const inFlightAtKill = sent.filter((entry) => entry.started <= restartedAt && entry.ended >= killedAt);
    const unexplained = failed.filter((entry) => !(inFlightAtKill.includes(entry) && entry.upstream.split(',').map((a) => a.trim()).includes(victimAddress)));
    const byKind = (kind: Sent['kind']) => {
      const of = sent.filter((entry) => entry.kind === kind);
      return `${of.filter((entry) => entry.ok).length}/${of.length}`;
    };
    const duringKill = sent.filter((entry) => entry.started >= killedAt && entry.started <= backAt);
    process.stdout.write(
      `multi-host: ${sent.length} requests through nginx in ${((loadEnded - loadStarted) / 1000).toFixed(1)} s (ok/sent: resolutions ${byKind('resolve')}, batches ${byKind('batch')}, applications ${byKind('apply')}, approvals ${byKind('approve')}); ` +
        `${failed.length} failed (${failed.map((entry) => `${entry.kind} HTTP ${entry.status} via ${entry.upstream}`).join(', ') || 'none'}), ${inFlightAtKill.length} in flight at the SIGKILL; ${duringKill.filter((e) => e.ok).length}/${duringKill.length} ok from the kill until the replica was back (${((backAt - killedAt) / 1000).toFixed(1)} s, restart ${((backAt - restartedAt) / 1000).toFixed(1)} s)\n`,
    );
    expect(unexplained.map((entry) => `${entry.kind} ${entry.status} via ${entry.upstream}: ${entry.detail}`)).toEqual([]);
    expect(failed.length).toBeLessThanOrEqual(inFlightAtKill.length);
    expect(duringKill.length).toBeGreaterThan(0);
    for (const kind of ['resolve', 'batch'] as const) expect(sent.filter((entry) => entry.kind === kind && entry.ok && entry.started > backAt).length).toBeGreaterThan(0);
    // Every replica answered, the restarted one too.
    for (const name of REPLICAS) expect(sent.some((entry) => entry.ok && answeredBy(entry.upstream) === `${lab.host(name).address}:8080` && entry.started > backAt)).toBe(true);

    // Statistics add up: per replica to what nginx says it answered, in the database to the sum.
    const db0 = baseline.db;
    const dbNow = await settledStatistics();
    const live = Object.fromEntries(await Promise.all(REPLICAS.map(async (name) => [name, await counters(name)] as const)));
    const servedBy = (address: string, kind: Sent['kind']) => sent.filter((entry) => entry.ok && entry.kind === kind && answeredBy(entry.upstream) === address);
    /** What the killed process answered (sent before it was gone), and what the restarted one answered. */
    const servedByKilled = (kind: Sent['kind']) => servedBy(victimAddress, kind).filter((entry) => entry.started < restartedAt);
    const servedByRestarted = (kind: Sent['kind']) => servedBy(victimAddress, kind).filter((entry) => entry.started >= restartedAt);
    const sum = (entries: Sent[], of: (entry: Sent) => number) => entries.reduce((total, entry) => total + of(entry), 0);
    for (const name of REPLICAS.filter((candidate) => candidate !== VICTIM)) {
      const address = `${lab.host(name).address}:8080`;
      expect({ name, resolutions: live[name].resolutions - baseline[name].resolutions }).toEqual({ name, resolutions: servedBy(address, 'resolve').length });
      expect({ name, registrations: live[name].registrations - baseline[name].registrations }).toEqual({ name, registrations: sum(servedBy(address, 'batch'), (e) => e.items) });
    }
    // The restarted replica counts from zero; it answered everything of its address after the kill.
    expect(live[VICTIM].resolutions).toBe(servedByRestarted('resolve').length);
    expect(live[VICTIM].registrations).toBe(sum(servedByRestarted('batch'), (e) => e.items));
    const figures = (['resolutions', 'registrations'] as const).map((what) => {
      const kind = what === 'resolutions' ? 'resolve' : 'batch';
      const weight = (entry: Sent) => (kind === 'batch' ? entry.items : 1);
      const liveSum = REPLICAS.reduce((total, name) => total + live[name][what] - (name === VICTIM ? 0 : baseline[name][what]), 0);
      const victimBeforeKill = sum(servedByKilled(kind), weight);
      // What the killed process had counted but not flushed is lost with it: at most its last flush periods' worth.
      const unflushable = sum(servedByKilled(kind).filter((entry) => entry.ended >= killedAt - 2000), weight);
      // A request in flight on the killed replica may have been counted there and then answered by another (a GET nginx moved on).
      const inFlight = inFlightAtKill.filter((entry) => entry.kind === kind).length * (kind === 'batch' ? BATCH_SIZE : 1);
      const inDatabase = dbNow[what] - db0[what];
      const lost = liveSum + victimBeforeKill - inDatabase;
      return { what, inDatabase, liveSum, victimBeforeKill, lost, unflushable, inFlight };
    });
    process.stdout.write(`multi-host: statistics ${figures.map((f) => `${f.what}: database +${f.inDatabase} = live replicas ${f.liveSum} + killed replica's flushed part (${f.victimBeforeKill} answered before the kill, ${f.lost} lost with it, bound ${f.unflushable})`).join('; ')}\n`);
    for (const f of figures) {
      expect(f.lost).toBeGreaterThanOrEqual(-f.inFlight);
      expect(f.lost).toBeLessThanOrEqual(f.unflushable);
    }
    // The shared engines served: resolutions from L2 (the Redis Cluster), statements on the PostgreSQL replica.
    const fromL2 = REPLICAS.map((name) => live[name].fromL2);
    const onReadReplica = REPLICAS.map((name) => live[name].onReadReplica);
    process.stdout.write(`multi-host: resolutions from L2 per replica ${fromL2.join(' / ')}; statements on the PostgreSQL replica per replica ${onReadReplica.join(' / ')}\n`);
    expect(fromL2.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(onReadReplica.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);

    // No acknowledged write lost: every acknowledged identifier is stored, and resolves through nginx.
    expect(acknowledged.length).toBeGreaterThan(0);
    const missing = await sql<{ n: number }>(`SELECT count(*)::int AS n FROM unnest($1::text[]) AS h WHERE NOT EXISTS (SELECT 1 FROM identifiers i WHERE i.handle = h)`, [acknowledged]);
    expect(missing[0].n).toBe(0);
    for (const handle of [acknowledged[0], acknowledged[Math.floor(acknowledged.length / 2)], acknowledged[acknowledged.length - 1]]) {
      expect({ handle, status: (await call('GET', `/api/handles/${handle}`)).status }).toEqual({ handle, status: 200 });
    }

    // No event lost, none twice: exactly the acknowledged events are stored, across the three replicas.
    expect(published.messagesFailed).toBe(0);
    expect(published.unacknowledged).toBe(0);
    expect(published.expectedEventIds).toHaveLength(EVENTS);
    await waitFor(`all ${EVENTS} events stored`, async () => (await eventsStored()) >= EVENTS, { timeoutMs: 60_000, intervalMs: 200 });
    await waitFor('ingestion to settle on every replica', async () => {
      for (const name of REPLICAS) {
        const status = await consumerUp(name);
        if (!status || status.inFlight !== 0) return false;
      }
      return true;
    }, { timeoutMs: 30_000, intervalMs: 200 });
    const eventsAfter = await eventsStored();
    const eventsMissing = await sql<{ n: number }>(`SELECT count(*)::int AS n FROM unnest($1::text[]) AS id WHERE NOT EXISTS (SELECT 1 FROM epcis_events e WHERE e.event_id = id)`, [published.expectedEventIds]);
    const rejects = await sql<{ n: number }>(`SELECT count(*)::int AS n FROM epcis_rejects`);
    const receivedPerReplica = await Promise.all(REPLICAS.map(async (name) => (await consumerUp(name))?.receivedSinceStart ?? 0));
    process.stdout.write(`multi-host: events ${EVENTS} published at QoS 1 (${eventsAtKill} stored when the replica was killed), ${published.messagesAcked} acknowledged, ${eventsAfter} stored (${published.duplicatesAcked} duplicate acks); received since start per replica ${receivedPerReplica.join(' / ')}\n`);
    expect(eventsAfter).toBe(EVENTS);
    // The shared subscription spread them: every replica (the restarted one since its start) took a share.
    for (const [i, received] of receivedPerReplica.entries()) expect({ replica: REPLICAS[i], received: received > 0 }).toEqual({ replica: REPLICAS[i], received: true });
    expect(eventsMissing[0].n).toBe(0);
    expect(rejects[0].n).toBe(0);

    // The outbox is drained, each filing received once in effect; the approvals of the load are active.
    expect(approvedDuringLoad.length).toBeGreaterThan(0);
    for (const { id } of approvedDuringLoad) await activeApplication(id);
    for (const { prefix } of approvedDuringLoad) {
      const filing = await request(topHttp, 'GET', `/api/v1/filings/${prefix}`);
      expect({ prefix, status: filing.body?.status }).toEqual({ prefix, status: 'approved' });
      expect({ prefix, creates: filing.body.transactions.filter((t: { operation: string }) => /create/i.test(String(t.operation))).length }).toEqual({ prefix, creates: 1 });
    }

    // Statistics at the top level: once the minute of the load's end is reported, the node's reported volumes equal its database's.
    const reported = await waitFor(
      'a delivered statistics report covering the end of the load',
      async () => {
        const [row] = await sql<{ start: string; end: string }>(
          `SELECT min((payload->>'periodStartMs')::bigint)::text AS start, max((payload->>'periodEndMs')::bigint)::text AS end FROM upstream_outbox WHERE kind = 'statistics-report' AND status = 'delivered'`,
        );
        return row.end !== null && Number(row.end) > loadEnded ? { start: Number(row.start), end: Number(row.end) } : undefined;
      },
      { timeoutMs: 100_000, intervalMs: 500 },
    );
    await waitFor('an empty outbox', async () => (await sql<{ n: number }>(`SELECT count(*)::int AS n FROM upstream_outbox WHERE status <> 'delivered'`))[0].n === 0, { timeoutMs: 30_000, intervalMs: 200 });
    const reports = await sql<{ sequence: string; start: string; end: string }>(
      `SELECT payload->>'sequence' AS sequence, payload->>'periodStartMs' AS start, payload->>'periodEndMs' AS end FROM upstream_outbox WHERE kind = 'statistics-report' ORDER BY (payload->>'sequence')::bigint`,
    );
    // One report per period whatever the number of replicas: consecutive sequences, periods end to end.
    reports.forEach((report, i) => {
      expect(Number(report.sequence)).toBe(i + 1);
      if (i > 0) expect(report.start).toBe(reports[i - 1].end);
    });
    const filingRows = await sql<{ n: number }>(`SELECT count(*)::int AS n FROM upstream_outbox WHERE kind = 'filing-create'`);
    // An approval whose reply was lost with the killed replica may have committed (and filed) all the same.
    const approvalsInFlight = inFlightAtKill.filter((entry) => entry.kind === 'approve').length;
    expect(filingRows[0].n).toBeGreaterThanOrEqual(1 + approvedDuringLoad.length);
    expect(filingRows[0].n).toBeLessThanOrEqual(1 + approvedDuringLoad.length + approvalsInFlight);
    const [counted] = await sql<{ resolutions: number }>(
      `SELECT coalesce(sum(count) FILTER (WHERE kind = 'resolution' AND outcome IN ('l1','l2','db','not_found')), 0)::int AS resolutions FROM usage_counts WHERE minute >= to_timestamp($1 / 1000.0) AND minute < to_timestamp($2 / 1000.0)`,
      [reported.start, reported.end]
    );
    const volumes = await request(topHttp, 'GET', `/api/v1/volumes?nodeId=${NODE_ID}&groupBy=prefix`);
    expect(volumes.status).toBe(200);
    const atTop = volumes.body.items.reduce((total: number, item: { resolutions: number; notFound: number }) => total + Number(item.resolutions) + Number(item.notFound), 0);
    process.stdout.write(`multi-host: ${reports.length} statistics reports, ${counted.resolutions} resolutions counted in the reported periods, ${atTop} at the top level; ${filingRows[0].n} filings delivered once each\n`);
    expect(atTop).toBe(counted.resolutions);
    expect(atTop).toBeGreaterThanOrEqual(sent.filter((entry) => entry.kind === 'resolve' && entry.ok && entry.ended < loadEnded).length - figures[0].unflushable);
  }, 300_000);
});
