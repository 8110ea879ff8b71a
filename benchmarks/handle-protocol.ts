/**
 * Handle protocol benchmark (issue 15, item 4): `npm run bench -- handle-protocol`.
 *
 * The node (built dist, its own process, L1 only) serves identifiers seeded into a scratch
 * database; a load generator in a separate process (tests/support/benchmark/handle-load.js)
 * keeps many requests outstanding and matches replies by request id. Next to each node run, in
 * the same run and with the same generator, a bare dgram socket / bare TCP server
 * (handle-echo-server.js) answers with the same reply bytes the node sends for a cached handle.
 * Order: UDP echo, UDP node, TCP echo, TCP node, repeated `--rounds` times; each node run is
 * divided by the echo run just before it.
 *
 * Targets: UDP ≥ 0.7 × echo, TCP ≥ 0.7 × echo, p99 ≤ 5 ms.
 * Options: --duration=10 --warmup=2 --concurrency=64 --udp-sockets=4 --tcp-connections=8
 * --identifiers=10000 --working-set=1000 --rounds=3 --only=udp,tcp. Environment: BENCH_NODE_ARGS (e.g. --cpu-prof),
 * BENCH_PG_URL.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { installExitHandlers, onCleanup, runCleanup } from '../tests/support/benchmark/cleanup';
import { startServerProcess } from '../tests/support/benchmark/server-process';
import { NODE_FLAGS, NODE_MAIN } from '../tests/support/node-process';
import { round } from '../tests/support/benchmark/stats';
import { freePort } from '../tests/support/free-port';
import { SpawnedProcess, trackChild } from '../tests/support/spawned-process';
import { createScratchDatabase } from '../tests/support/test-database';
import { buildRequest, parseReply, udpExchange } from '../tests/support/handle-wire-client';
import { fetchMetrics, metricSample } from '../tests/support/metrics-text';
import { seedIdentifiers, setUpEnterprise } from './resolution/setup';
import { ADMIN_URL, PAD, PREFIX, SUFFIX_PREFIX } from './resolution/suite';

const LOAD = join(__dirname, '..', 'tests', 'support', 'benchmark', 'handle-load.js');
const ECHO = join(__dirname, '..', 'tests', 'support', 'benchmark', 'handle-echo-server.js');
const RESULTS = join(__dirname, 'results');
const TARGET_RATIO = 0.7;
const TARGET_P99_MS = 5;

interface Options {
  durationMs: number;
  warmupMs: number;
  concurrency: number;
  udpSockets: number;
  tcpConnections: number;
  identifiers: number;
  workingSet: number;
  rounds: number;
  transports: Array<'udp' | 'tcp'>;
}

interface LoadResult {
  transport: 'udp' | 'tcp';
  completed: number;
  lost: number;
  wrong: number;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
  max: number;
  /** CPU time (user + system) of the server process and of the generator in the measured window, ms. */
  serverCpuMs: number | null;
  loadCpuMs: number;
}

interface Row extends LoadResult {
  server: 'echo' | 'node';
  round: number;
}

const log = (message: string) => process.stderr.write(`[handle-protocol] ${message}\n`);

function parseOptions(args: string[]): Options {
  const value = (name: string, fallback: number) => {
    const arg = args.find((a) => a.startsWith(`--${name}=`));
    if (!arg) return fallback;
    const n = Number(arg.slice(name.length + 3));
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number`);
    return n;
  };
  return {
    durationMs: value('duration', 10) * 1000,
    warmupMs: value('warmup', 2) * 1000,
    concurrency: value('concurrency', 64),
    udpSockets: value('udp-sockets', 4),
    tcpConnections: value('tcp-connections', 8),
    identifiers: value('identifiers', 10_000),
    workingSet: value('working-set', 1000),
    rounds: value('rounds', 3),
    transports: (args.find((a) => a.startsWith('--only='))?.slice(7).split(',') ?? ['udp', 'tcp']) as Array<'udp' | 'tcp'>,
  };
}

const suffixOf = (i: number) => `${SUFFIX_PREFIX}${String(i).padStart(PAD, '0')}`;

export async function runHandleProtocolBenchmark(args: string[]): Promise<void> {
  const options = parseOptions(args);
  installExitHandlers(log);
  const watchdog = setTimeout(() => {
    log('time limit of 20 min reached: aborting');
    void runCleanup(log).finally(() => process.exit(124));
  }, 20 * 60_000);
  watchdog.unref();
  try {
    await runSuite(options);
  } finally {
    clearTimeout(watchdog);
    await runCleanup(log);
  }
}

async function runSuite(options: Options): Promise<void> {
  const run = randomBytes(4).toString('hex');
  const database = await createScratchDatabase(`idis_bench_hdl_${run}`, ADMIN_URL);
  onCleanup('drop database', () => database.drop());
  const handlePort = await freePort();
  // Started directly (not startNodeProcess) for a longer start-up allowance on a busy machine.
  const node = await startServerProcess({
    script: process.env.BENCH_NODE_MAIN || NODE_MAIN,
    name: 'node',
    readyPath: '/health',
    port: await freePort(),
    timeoutMs: 240_000,
    env: {
      RATE_LIMITS_ENABLED: 'false',
      DATABASE_URL: database.url,
      OPERATOR_PASSWORD: 'bench-operator-1',
      JWT_SECRET: randomBytes(32).toString('hex'),
      SECONDARY_PREFIX: '88.118',
      HANDLE_PROTOCOL_PORT: String(handlePort),
      HANDLE_PROTOCOL_HOST: '127.0.0.1',
      // One load generator on loopback is one source: the per-source budget would cap the run.
      HANDLE_PROTOCOL_SOURCE_PPS: '0',
    },
  });
  onCleanup('node', () => node.stop());
  await setUpEnterprise(node.baseUrl);
  const db = new Client({ connectionString: database.url });
  await db.connect();
  onCleanup('pg client', () => db.end());
  await seedIdentifiers(db, 1, options.identifiers);
  log(`seeded ${options.identifiers} identifiers; node on HTTP ${node.baseUrl}, Handle protocol udp+tcp 127.0.0.1:${handlePort}`);

  // The working set, resolved once so it is in L1 with prepared replies.
  const step = Math.max(1, Math.floor(options.identifiers / options.workingSet));
  const handles = Array.from({ length: options.workingSet }, (_, i) => `${PREFIX}/${suffixOf(1 + ((i * step) % options.identifiers))}`);
  for (let i = 0; i < handles.length; i += 1) {
    const result = await udpExchange(handlePort, [buildRequest({ requestId: i + 1, handle: handles[i] })], i + 1);
    if (!result.whole || parseReply(result.whole).responseCode !== 1) throw new Error(`warming ${handles[i]} failed`);
  }
  // The reply the echo server sends: the node's own bytes for a cached handle.
  const sample = await udpExchange(handlePort, [buildRequest({ requestId: 7, handle: handles[1] })], 7);
  const reply = sample.whole as Buffer;
  log(`typical reply ${reply.length} bytes (${parseReply(reply).values?.length} values); request ${buildRequest({ requestId: 1, handle: handles[1] }).length} bytes`);

  const echoPort = await freePort();
  const echo = new SpawnedProcess(spawn(process.execPath, [...NODE_FLAGS, ECHO, String(echoPort), reply.toString('hex')], { stdio: ['ignore', 'pipe', 'pipe'] }), 'echo server');
  trackChild(echo.child);
  onCleanup('echo server', () => echo.stop());
  await echo.waitForOutput(/ready/, 10_000);

  const rows: Row[] = [];
  for (let r = 1; r <= options.rounds; r += 1) {
    for (const transport of options.transports) {
      for (const server of ['echo', 'node'] as const) {
        const result = await load(options, transport, server === 'echo' ? echoPort : handlePort, handles, (server === 'echo' ? echo.child.pid : node.child.pid) as number);
        rows.push({ ...result, server, round: r });
        log(`round ${r} ${transport} ${server}: ${Math.round(result.rps)} req/s, p50 ${round(result.p50, 2)} ms, p99 ${round(result.p99, 2)} ms, lost ${result.lost}, wrong ${result.wrong}, server CPU ${round(cpuPerRequest(result.serverCpuMs, result.completed), 2)} µs/req`);
      }
    }
  }
  const prepared = metricSample(await fetchMetrics(node.baseUrl), 'idis_handle_protocol_events_total{event="prepared_reply"}') ?? 0;
  writeReport(options, rows, reply.length, prepared);
  // Stopped here, not by the cleanup's SIGKILL: a node run with BENCH_NODE_ARGS=--cpu-prof writes its profile on exit.
  await node.stop();
}

async function load(options: Options, transport: 'udp' | 'tcp', port: number, handles: string[], serverPid: number): Promise<LoadResult> {
  const args = { transport, host: '127.0.0.1', port, handles, concurrency: options.concurrency, connections: transport === 'udp' ? options.udpSockets : options.tcpConnections, warmupMs: options.warmupMs, durationMs: options.durationMs, serverPid };
  const child = new SpawnedProcess(spawn(process.execPath, [LOAD, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'pipe'] }), `load generator (${transport})`);
  trackChild(child.child);
  const [line] = await child.waitForOutput(/\{"transport".*\}/, options.warmupMs + options.durationMs + 30_000);
  await child.exited;
  return JSON.parse(line) as LoadResult;
}

/** Microseconds of CPU per completed request; NaN when the CPU time is unknown. */
function cpuPerRequest(cpuMs: number | null, completed: number): number {
  return cpuMs === null || !Number.isFinite(cpuMs) || completed === 0 ? Number.NaN : (cpuMs * 1000) / completed;
}

function writeReport(options: Options, rows: Row[], replyBytes: number, prepared: number): void {
  const lines: string[] = [];
  const ratios: Record<'udp' | 'tcp', number[]> = { udp: [], tcp: [] };
  const p99s: Record<'udp' | 'tcp', number[]> = { udp: [], tcp: [] };
  lines.push('# Handle protocol benchmark (issue 15)', '');
  lines.push(`Command: \`npm run bench -- handle-protocol\` · ${new Date().toISOString()} · Node ${process.version} · ${options.rounds} rounds × ${options.durationMs / 1000} s after ${options.warmupMs / 1000} s warm-up`);
  lines.push(`Load: one generator process, ${options.concurrency} requests outstanding (UDP: ${options.udpSockets} sockets; TCP: ${options.tcpConnections} kept connections, pipelined), replies matched by request id; ${options.workingSet} cached handles (L1 + prepared replies), reply ${replyBytes} bytes.`);
  lines.push('Baseline: a bare `dgram` socket / bare `net` server answering every request with the same reply bytes (request id copied in), same run, same generator.');
  lines.push('CPU µs/req: CPU time (user + system, from /proc) the server process used in the measured window, per completed request; the generator\'s beside it. Less sensitive than req/s to what else runs on the machine.', '');
  const cpuRatios: Record<'udp' | 'tcp', number[]> = { udp: [], tcp: [] };
  lines.push('| round | transport | server | req/s | ratio to echo | p50 ms | p99 ms | max ms | lost | wrong | server CPU µs/req | generator CPU µs/req |', '|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const row of rows) {
    const echo = rows.find((r) => r.round === row.round && r.transport === row.transport && r.server === 'echo') as Row;
    const ratio = row.server === 'node' ? row.rps / echo.rps : 1;
    const serverCpu = cpuPerRequest(row.serverCpuMs, row.completed);
    if (row.server === 'node') {
      ratios[row.transport].push(ratio);
      p99s[row.transport].push(row.p99);
      const echoCpu = cpuPerRequest(echo.serverCpuMs, echo.completed);
      if (Number.isFinite(serverCpu) && Number.isFinite(echoCpu) && echoCpu > 0) cpuRatios[row.transport].push(serverCpu / echoCpu);
    }
    lines.push(`| ${row.round} | ${row.transport.toUpperCase()} | ${row.server} | ${Math.round(row.rps).toLocaleString('en')} | ${row.server === 'node' ? round(ratio, 2) : '—'} | ${round(row.p50, 2)} | ${round(row.p99, 2)} | ${round(row.max, 1)} | ${row.lost} | ${row.wrong} | ${Number.isFinite(serverCpu) ? round(serverCpu, 2) : '—'} | ${round(cpuPerRequest(row.loadCpuMs, row.completed), 2)} |`);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
  lines.push('', '| target | measured (median of rounds) | met |', '|---|---:|---|');
  for (const transport of ['udp', 'tcp'] as const) {
    const ratio = median(ratios[transport]);
    const p99 = median(p99s[transport]);
    lines.push(`| ${transport.toUpperCase()} cached resolution ≥ ${TARGET_RATIO} × echo | ${round(ratio, 2)} × | ${ratio >= TARGET_RATIO ? 'yes' : 'NO'} |`);
    lines.push(`| ${transport.toUpperCase()} p99 ≤ ${TARGET_P99_MS} ms | ${round(p99, 2)} ms | ${p99 <= TARGET_P99_MS ? 'yes' : 'NO'} |`);
  }
  const cpuLines = (['udp', 'tcp'] as const).filter((t) => cpuRatios[t].length > 0).map((t) => `${t.toUpperCase()} ${round(median(cpuRatios[t]), 2)} ×`);
  if (cpuLines.length > 0) lines.push('', `Server CPU per request, node ÷ echo (median of rounds; not a target): ${cpuLines.join(', ')}.`);
  const udpNode = median(rows.filter((r) => r.server === 'node' && r.transport === 'udp').map((r) => r.rps));
  lines.push('', `For scale (issue 15): CNRI Handle.Net 9.2 answered 22,000–23,000 UDP resolutions/s on this machine; this node: ${Math.round(udpNode).toLocaleString('en')}/s (${round(udpNode / 22_500, 2)} × that).`);
  lines.push(`Prepared replies served by the node during the run: ${prepared.toLocaleString('en')}.`);
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, 'handle-protocol-latest.md'), `${lines.join('\n')}\n`);
  writeFileSync(join(RESULTS, `handle-protocol-${new Date().toISOString().replace(/[:.]/g, '-')}.json`), JSON.stringify({ options, rows, replyBytes, prepared }, null, 2));
  process.stdout.write(`${lines.join('\n')}\n`);
}
