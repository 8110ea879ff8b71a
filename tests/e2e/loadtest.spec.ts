import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ResultFile } from '@idis/loadgen';
import { freePort } from '../support/free-port';
import { request } from '../support/http';
import { NodeProcess } from '../support/node-process';
import { parsePrometheus } from '../support/prometheus';
import { SpawnedProcess, trackChild } from '../support/spawned-process';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { applicationBody, JWT_SECRET, OPERATOR_PASSWORD } from '../support/test-node';

const ROOT = resolve(__dirname, '../..');
const CLI = ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', join(ROOT, 'apps/loadtest/src/main.ts')];
const PREFIX = '88.118.61';

/** Runs idis-loadtest as `npm run loadtest` does, as its own process; resolves with its exit code and output. */
function loadtest(args: string[], env: Record<string, string>, timeoutMs = 120_000): { process: SpawnedProcess; done: Promise<{ code: number | null; output: string; stdout: string }> } {
  const child = spawn(process.execPath, [...CLI, ...args], { cwd: ROOT, env: { ...process.env, TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  trackChild(child);
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const process_ = new SpawnedProcess(child, 'idis-loadtest');
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return { process: process_, done: process_.exited.then((code) => (clearTimeout(timer), { code, output: process_.output, stdout })) };
}

async function counters(base: string): Promise<Map<string, number>> {
  return parsePrometheus((await request(base, 'GET', '/metrics')).text).samples;
}

function delta(before: Map<string, number>, after: Map<string, number>, name: string): number {
  let sum = 0;
  for (const [key, value] of after) if (key === name || key.startsWith(`${name}{`)) sum += value - (before.get(key) ?? 0);
  return sum;
}

/**
 * idis-loadtest against a real node process on loopback: seed through the SNMS batch API (and its
 * resume), a 5-second mixed run over two worker processes, capacity, Ctrl-C and the remote guard —
 * every count the tool reports checked against the node's own /metrics.
 */
describe('idis-loadtest against a node process', () => {
  let db: TestDatabase;
  let node: NodeProcess;
  let base: string;
  let mqttUrl: string;
  const scratch = mkdtempSync(join(tmpdir(), 'idis-loadtest-'));
  const env = { IDIS_USERNAME: 'lt-enterprise', IDIS_PASSWORD: 'enterprise-pass-1' };

  beforeAll(async () => {
    db = await createTestDatabase('e2e');
    const mqttPort = await freePort();
    node = NodeProcess.spawn({ DATABASE_URL: db.url, OPERATOR_PASSWORD, JWT_SECRET, PORT: '0', HOST: '127.0.0.1', MQTT_EMBEDDED: 'true', MQTT_PORT: String(mqttPort), STATS_FLUSH_INTERVAL_MS: '600000' });
    base = await node.ready();
    mqttUrl = `mqtt://127.0.0.1:${mqttPort}`;
    const operator = (await request(base, 'POST', '/api/v1/auth/token', { body: { username: 'operator', password: OPERATOR_PASSWORD } })).body.accessToken;
    const application = await request(base, 'POST', '/api/v1/enterprises/applications', { body: applicationBody(PREFIX, env.IDIS_USERNAME, env.IDIS_PASSWORD) });
    expect(application.status).toBe(201);
    expect((await request(base, 'POST', `/api/v1/enterprises/applications/${application.body.id}/approve`, { body: {}, token: operator })).status).toBe(200);
  }, 180_000);

  afterAll(async () => {
    await node?.stop();
    await db?.drop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('seed registers the identifiers through the SNMS batch API, and a second seed resumes (nothing twice)', async () => {
    const before = await counters(base);
    const state = join(scratch, 'seed.state.json');
    const first = await loadtest(['seed', '--target', base, '--prefix', PREFIX, '--count', '3000', '--batch', '500', '--state', state, '--quiet'], env).done;
    expect(first.code).toBe(0);
    const result = JSON.parse(first.stdout.trim().split('\n').pop() as string);
    expect(result).toMatchObject({ stored: 3000, alreadyThere: 0, refused: 0, interrupted: false });
    expect(delta(before, await counters(base), 'idis_registrations_total{operation="create"}')).toBe(3000);
    expect(JSON.parse(readFileSync(state, 'utf8')).batchesDone).toBe(6);
    expect((await request(base, 'GET', `/api/handles/${PREFIX}/LT-0003000`)).status).toBe(200);
    expect((await request(base, 'GET', `/api/handles/${PREFIX}/LT-0003001`)).status).toBe(404);

    const again = await loadtest(['seed', '--target', base, '--prefix', PREFIX, '--count', '3000', '--batch', '500', '--state', state, '--quiet'], env).done;
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout.trim().split('\n').pop() as string)).toMatchObject({ stored: 0, skippedByResume: 3000 });
  }, 180_000);

  it('a 5-second mixed run over 2 workers: no errors, and its counts equal the node’s /metrics', async () => {
    const out = join(scratch, 'mixed.json');
    const before = await counters(base);
    const mix = 'resolve=50,snms-detail=10,proxy=10,register=4,register-batch=1,update=4,epcis-mqtt=8,epcis-query=5,trace=5';
    const run = await loadtest(
      ['run', '--target', base, '--prefix', PREFIX, '--keys', '3000', '--distribution', 'zipf:1.1', '--unknown-share', '0.1', '--mix', mix, '--rate', '80', '--duration', '5', '--workers', '2', '--mqtt-url', mqttUrl, '--out', out],
      env,
    ).done;
    expect(run.code).toBe(0);
    const after = await counters(base);
    const result = JSON.parse(readFileSync(out, 'utf8')) as ResultFile;
    const ops = result.summary.operations;
    expect(result.summary.workers).toBe(2);
    expect(result.summary.errorsByKind).toEqual({});
    expect(result.summary.errors).toBe(0);
    // 80/s for 5 s, sent on schedule: 400 requests in all.
    expect(result.summary.requests).toBe(400);
    expect(Object.keys(ops).sort()).toEqual(['epcis-mqtt', 'epcis-query', 'proxy', 'register', 'register-batch', 'resolve', 'snms-detail', 'trace', 'update']);
    // The node counted every resolution the tool made (found and not found), every registration and update, every event.
    expect(delta(before, after, 'idis_resolutions_total')).toBe(ops.resolve.ok + ops['snms-detail'].ok + ops.proxy.ok);
    expect(delta(before, after, 'idis_registrations_total{operation="create"}')).toBe(result.summary.registered);
    expect(result.summary.registered).toBe(ops.register.ok + 100 * ops['register-batch'].ok);
    expect(delta(before, after, 'idis_registrations_total{operation="update"}')).toBe(ops.update.ok);
    expect(delta(before, after, 'idis_ingestion_messages_acknowledged_total')).toBe(ops['epcis-mqtt'].ok);
    // The tool's own reading of /metrics, in the result file, agrees.
    expect(result.targetMetrics?.['idis_registrations_total{operation="create"}']).toBe(result.summary.registered);
    // The report: self-contained HTML with charts, and Markdown; no credential anywhere.
    const html = readFileSync(out.replace(/\.json$/, '.html'), 'utf8');
    // Throughput and latency over time, the latency distribution (the errors chart says none).
    expect(html.match(/<svg /g)?.length).toBe(3);
    expect(html).toContain('Errors by kind');
    expect(html).not.toMatch(/<script|<link|src="http|href="http/);
    const md = readFileSync(out.replace(/\.json$/, '.md'), 'utf8');
    expect(md).toContain('| resolve |');
    for (const text of [html, md, readFileSync(out, 'utf8')]) expect(text).not.toContain(env.IDIS_PASSWORD);
  }, 240_000);

  it('capacity steps the rate and reports the highest that met the bound; the node saw every request', async () => {
    const out = join(scratch, 'capacity.json');
    const before = await counters(base);
    const run = await loadtest(
      ['capacity', '--target', base, '--prefix', PREFIX, '--keys', '3000', '--start-rate', '50', '--growth', '2', '--step-duration', '2', '--warmup', '1', '--max-steps', '3', '--refine', '0', '--p99', '5000', '--out', out],
      env,
    ).done;
    expect(run.code).toBe(0);
    const after = await counters(base);
    const result = JSON.parse(readFileSync(out, 'utf8')) as ResultFile;
    const capacity = result.capacity!;
    // 50, 100, 200/s all meet a 5 s bound on loopback: the highest is the last step.
    expect(capacity.steps.map((s) => s.targetRate)).toEqual([50, 100, 200]);
    expect(capacity.highestRateMet).toBe(200);
    expect(capacity.steps.every((s) => s.met && s.errors === 0)).toBe(true);
    expect(capacity.totals.requests).toBe((50 + 100 + 200) * 2);
    expect(delta(before, after, 'idis_resolutions_total')).toBe(capacity.totals.requests + capacity.totals.warmupRequests);
    expect(run.output).toMatch(/CAPACITY\s+200 requests\/s/);
    // Two result files side by side.
    const compare = await loadtest(['report', join(scratch, 'mixed.json'), out, '--name-a', 'mixed', '--name-b', 'capacity'], {}).done;
    expect(compare.code).toBe(0);
    const html = readFileSync(join(scratch, 'capacity-comparison.html'), 'utf8');
    expect(html).toContain('B ÷ A');
    expect(html).toMatch(/\d+\.\d\d×/);
  }, 240_000);

  it('Ctrl-C stops the load and still writes the partial report', async () => {
    const out = join(scratch, 'interrupted.json');
    const run = loadtest(['run', '--target', base, '--prefix', PREFIX, '--keys', '3000', '--rate', '50', '--duration', '120', '--out', out], env);
    await run.process.waitForOutput(/\d+\/120 s .*req\/s/, 60_000);
    run.process.child.kill('SIGINT');
    const done = await run.done;
    expect(done.code).toBe(0);
    const result = JSON.parse(readFileSync(out, 'utf8')) as ResultFile;
    expect(result.summary.interrupted).toBe(true);
    expect(result.summary.requests).toBeGreaterThan(0);
    expect(result.summary.measuredSeconds).toBeLessThan(60);
    expect(readFileSync(out.replace(/\.json$/, '.html'), 'utf8')).toContain('partial result');
  }, 180_000);

  it('refuses a target outside loopback without --allow-remote, and a scenario with bad input, sending nothing', async () => {
    const remoteOut = join(scratch, 'remote.json');
    const remote = await loadtest(['run', '--target', 'http://192.0.2.10:8080', '--prefix', PREFIX, '--duration', '1', '--out', remoteOut], {}).done;
    expect(remote.code).toBe(2);
    expect(remote.output).toContain('needs --allow-remote');
    const badMix = await loadtest(['run', '--target', base, '--prefix', PREFIX, '--mix', 'resolve=1,delete-everything=1'], {}).done;
    expect(badMix.code).toBe(2);
    expect(badMix.output).toContain('unknown operation "delete-everything"');
    const noToken = await loadtest(['run', '--target', base, '--prefix', PREFIX, '--mix', 'register=1', '--duration', '1'], { IDIS_USERNAME: '', IDIS_PASSWORD: '', IDIS_TOKEN: '' }).done;
    expect(noToken.code).toBe(2);
    expect(noToken.output).toContain('IDIS_TOKEN');
    expect(existsSync(remoteOut)).toBe(false);
  }, 120_000);
});
