#!/usr/bin/env node
/**
 * `npm run demo`: builds, starts the secondary node in its embedded profile (PostgreSQL, MQTT broker
 * and top-level node in-process), runs the enterprise simulator against it for a bounded time, then
 * prints where to look at the traceability data. The node keeps running until Ctrl-C.
 *
 *   npm run demo                       build, run, keep the node up
 *   npm run demo -- --exit             stop the node after the simulator (used by a test)
 *   npm run demo -- --skip-build       use the existing dist/
 *   npm run demo -- --max-events=5000 --duration=60 --rate=500
 *
 * Environment: OPERATOR_PASSWORD (default demo-operator-pass), DATA_DIR (default .data/demo), PORT,
 * MQTT_PORT, EMBEDDED_PG_PORT and every other node variable pass through to the node; SIM_* ones to
 * the simulator.
 */
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const ROOT = join(__dirname, '..');
const NODE_MAIN = join(ROOT, 'dist/apps/secondary-node/apps/secondary-node/src/main.js');
const SIM_MAIN = join(ROOT, 'dist/apps/enterprise-sim/apps/enterprise-sim/src/main.js');
const READY_TIMEOUT_MS = 180_000;

function parseArgs(argv) {
  const options = { exit: false, build: true, maxEvents: '2000', duration: '30', rate: '200' };
  for (const arg of argv) {
    let m;
    if (arg === '--exit') options.exit = true;
    else if (arg === '--skip-build') options.build = false;
    else if ((m = /^--max-events=(\d{1,7})$/.exec(arg))) options.maxEvents = m[1];
    else if ((m = /^--duration=(\d{1,5})$/.exec(arg))) options.duration = m[1];
    else if ((m = /^--rate=(\d{1,8})$/.exec(arg))) options.rate = m[1];
    else if (arg === '--help' || arg === '-h') {
      process.stdout.write('usage: npm run demo -- [--exit] [--skip-build] [--max-events=N] [--duration=SECONDS] [--rate=EVENTS_PER_SECOND]\n');
      process.exit(0);
    } else {
      process.stderr.write(`demo: unknown argument "${arg}" (try --help)\n`);
      process.exit(2);
    }
  }
  return options;
}

/** Echoes a child's output with a label and keeps it for parsing. */
function follow(child, label, sink) {
  for (const stream of [child.stdout, child.stderr]) {
    let partial = '';
    stream.on('data', (chunk) => {
      const text = partial + chunk.toString();
      const lines = text.split('\n');
      partial = lines.pop();
      for (const line of lines) {
        sink.push(line);
        process.stdout.write(`${label} ${line}\n`);
      }
    });
  }
}

function waitFor(what, check, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const tick = () => {
      let value;
      try {
        value = check();
      } catch (error) {
        return reject(error);
      }
      if (value) return resolve(value);
      if (Date.now() > deadline) return reject(new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`));
      setTimeout(tick, 100);
    };
    tick();
  });
}

async function call(base, method, path, token, body) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) };
  } catch {
    return { status: response.status, body: text };
  }
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  if (options.build) {
    process.stdout.write('demo: building (npm run build)\n');
    const built = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
    if (built.status !== 0) throw new Error('the build failed');
  }
  for (const file of [NODE_MAIN, SIM_MAIN]) if (!existsSync(file)) throw new Error(`${file} is missing: run npm run build`);

  const operatorPassword = process.env.OPERATOR_PASSWORD || 'demo-operator-pass';
  const operatorUsername = process.env.OPERATOR_USERNAME || 'operator';
  const nodeEnv = { ...process.env, OPERATOR_PASSWORD: operatorPassword, DATA_DIR: process.env.DATA_DIR || join(ROOT, '.data', 'demo'), LOG_LEVEL: process.env.LOG_LEVEL || 'warn' };
  const nodeLines = [];
  const node = spawn(process.execPath, ['--max-semi-space-size=64', NODE_MAIN], { cwd: ROOT, env: nodeEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  follow(node, '[node]', nodeLines);
  let nodeExit = null;
  const nodeExited = new Promise((resolve) => node.once('exit', (code, signal) => resolve((nodeExit = code ?? (signal ? 1 : 0)))));
  const stopNode = async () => {
    if (nodeExit !== null) return nodeExit;
    const kill = setTimeout(() => node.kill('SIGKILL'), 20_000);
    node.kill('SIGTERM');
    const code = await nodeExited;
    clearTimeout(kill);
    return code;
  };
  let interrupted = false;
  process.on('SIGINT', () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stdout.write('\ndemo: stopping the node\n');
    stopNode().then((code) => process.exit(code ?? 0));
  });

  let base;
  let mqttUrl;
  try {
    await waitFor(
      'the node to print its URLs',
      () => {
        if (nodeExit !== null) throw new Error(`the node exited with ${nodeExit} before it was ready`);
        const text = nodeLines.join('\n');
        const health = /Health\s+(https?:\/\/\S+)\/health/.exec(text);
        const off = /MQTT ingestion\s+off \(([^)]*)\)/.exec(text);
        if (off) throw new Error(`MQTT ingestion is off on the node (${off[1]}); unset DATABASE_URL for the embedded profile or set MQTT_URL`);
        const mqtt = /MQTT broker\s+(mqtts?:\/\/\S+)/.exec(text);
        if (!health || !mqtt) return undefined;
        base = health[1];
        mqttUrl = mqtt[1];
        return true;
      },
      READY_TIMEOUT_MS,
    );
    if (mqttUrl.includes('***')) throw new Error('the node printed the MQTT URL without its password: set MQTT_URL for the simulator yourself');

    process.stdout.write(`\ndemo: node ready at ${base}, broker ${mqttUrl}; running the enterprise simulator (${options.maxEvents} events, at most ${options.duration} s)\n\n`);
    const simLines = [];
    const sim = spawn(process.execPath, [SIM_MAIN], {
      cwd: ROOT,
      env: {
        ...process.env,
        SIM_NODE_URL: base,
        SIM_OPERATOR_USERNAME: operatorUsername,
        SIM_OPERATOR_PASSWORD: operatorPassword,
        MQTT_URL: mqttUrl,
        SIM_MAX_EVENTS: process.env.SIM_MAX_EVENTS || options.maxEvents,
        SIM_MAX_DURATION_SECONDS: process.env.SIM_MAX_DURATION_SECONDS || options.duration,
        SIM_RATE: process.env.SIM_RATE || options.rate,
        SIM_ACTIVATION_TIMEOUT_SECONDS: process.env.SIM_ACTIVATION_TIMEOUT_SECONDS || '120',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    follow(sim, '[sim]', simLines);
    const simCode = await new Promise((resolve) => sim.once('exit', (code) => resolve(code ?? 1)));
    const resultLine = simLines.find((line) => line.startsWith('SIM_RESULT '));
    if (simCode !== 0 || !resultLine) throw new Error(`the simulator failed (exit ${simCode})`);
    const result = JSON.parse(resultLine.slice('SIM_RESULT '.length));

    // Wait (bounded) until the node has committed what the broker acknowledged.
    const token = (await call(base, 'POST', '/api/v1/auth/token', undefined, { username: operatorUsername, password: operatorPassword })).body.accessToken;
    let status;
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
      const reply = await call(base, 'GET', '/api/v1/ingestion/status', token).catch(() => undefined);
      if (reply && reply.status === 200) status = reply.body;
      if (status && status.storedTotal + status.duplicatesTotal >= result.expectedEvents) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    let trace;
    if (result.sampleProduct) {
      const reply = await call(base, 'GET', `/api/v1/trace/${result.sampleProduct.handle}?direction=back&depth=5`, token).catch(() => undefined);
      if (reply && reply.status === 200 && reply.body && Array.isArray(reply.body.timeline)) trace = reply.body;
    }
    summary(base, operatorUsername, operatorPassword, result, status, trace);

    if (options.exit) {
      const code = await stopNode();
      process.stdout.write(`demo: node stopped (exit ${code})\n`);
      process.exit(code === 0 ? 0 : 1);
    }
    process.stdout.write('demo: the node keeps running; Ctrl-C stops it.\n');
    await nodeExited;
  } catch (error) {
    process.stderr.write(`demo: ${error.message}\n`);
    await stopNode();
    process.exit(1);
  }
}

function summary(base, username, password, result, status, trace) {
  const sample = result.sampleProduct;
  const login = `TOKEN=$(curl -s -X POST ${base}/api/v1/auth/token -H 'content-type: application/json' -d '{"username":"${username}","password":"${password}"}' | node -pe 'JSON.parse(require("fs").readFileSync(0)).accessToken')`;
  const lines = [
    '',
    '──────────────── traceability demo ────────────────',
    `events published: ${result.eventsAcked} (acknowledged by the broker)` +
      (status ? `; node totals: ${status.storedTotal} stored, ${status.duplicatesTotal} duplicates, ${status.rejectedTotal} rejected` : ''),
    'simulated enterprises (password sim-enterprise-pass unless SIM_ENTERPRISE_PASSWORD was set):',
    ...result.enterprises.map((e) => `  ${e.tier.padEnd(12)} ${e.prefix.padEnd(14)} login ${e.username}`),
    ...(trace && result.sampleProduct
      ? [
          '',
          `trace of ${result.sampleProduct.identifier}: ${trace.timeline.length} events ` +
            `(${trace.timeline.map((e) => e.bizStep).filter(Boolean).join(' → ')}), ` +
            `${trace.graph.nodes.length} identifiers in its genealogy (raw materials, cases, pallets)`,
        ]
      : []),
    '',
    'try:',
    `  ${login}`,
  ];
  if (sample) {
    lines.push(
      `  curl -s -H "authorization: Bearer $TOKEN" '${base}/api/v1/trace/${sample.handle}?direction=back&depth=5'     # where it came from`,
      `  curl -s -H "authorization: Bearer $TOKEN" '${base}/epcis/events?MATCH_anyEPC=${encodeURIComponent(sample.identifier)}&perPage=20'   # its EPCIS events`,
      `  curl -s '${base}/${sample.handle}?noredirect' -H 'accept: application/json'     # the identifier record (registered via SNMS)`,
    );
  }
  lines.push(
    `  curl -s -H "authorization: Bearer $TOKEN" '${base}/epcis/events?EQ_bizStep=shipping&perPage=5'`,
    `  curl -s -H "authorization: Bearer $TOKEN" '${base}/api/v1/ingestion/status'`,
    `  OpenAPI: ${base}/docs`,
    '───────────────────────────────────────────────────',
    '',
  );
  process.stdout.write(lines.join('\n'));
}

main().catch((error) => {
  process.stderr.write(`demo: ${error.stack || error}\n`);
  process.exit(1);
});
