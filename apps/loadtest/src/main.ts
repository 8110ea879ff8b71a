/**
 * idis-loadtest: load tests against an IDIS secondary node or any Handle.Net-compatible REST server.
 *
 *   npm run loadtest -- seed|run|capacity|report [options]      (npm bin: idis-loadtest)
 *
 * `--help` prints every option. The engine is libs/loadgen (@idis/loadgen); this file reads flags,
 * credentials and scenario files, shows live progress, handles Ctrl-C and writes the results.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  assertResultFile,
  CAPACITY_DEFAULTS,
  type CapacityOptions,
  DEFAULTS,
  findCapacity,
  loadScenarioFile,
  normaliseScenario,
  parseMix,
  redact,
  renderComparisonHtml,
  renderComparisonMarkdown,
  renderHtml,
  renderMarkdown,
  type ResultFile,
  type RunInputs,
  runScenario,
  type Scenario,
  seedViaApi,
  seedViaCopy,
  seedViaImport,
  type TimelinePoint,
} from '@idis/loadgen';
import { USAGE } from './usage';

const OPTIONS = {
  target: { type: 'string' },
  scenario: { type: 'string' },
  duration: { type: 'string' },
  warmup: { type: 'string' },
  rate: { type: 'string' },
  connections: { type: 'string' },
  model: { type: 'string' },
  driver: { type: 'string' },
  workers: { type: 'string' },
  mix: { type: 'string' },
  prefix: { type: 'string' },
  keys: { type: 'string' },
  stem: { type: 'string' },
  pad: { type: 'string' },
  'key-start': { type: 'string' },
  distribution: { type: 'string' },
  'unknown-share': { type: 'string' },
  seed: { type: 'string' },
  'max-requests': { type: 'string' },
  timeout: { type: 'string' },
  out: { type: 'string' },
  html: { type: 'string' },
  md: { type: 'string' },
  'allow-remote': { type: 'boolean' },
  insecure: { type: 'boolean' },
  credentials: { type: 'string' },
  'mqtt-url': { type: 'string' },
  'mqtt-topic-root': { type: 'string' },
  template: { type: 'string' },
  // seed
  count: { type: 'string' },
  batch: { type: 'string' },
  concurrency: { type: 'string' },
  state: { type: 'string' },
  'database-url': { type: 'string' },
  bulk: { type: 'boolean' },
  // capacity
  'start-rate': { type: 'string' },
  'step-rate': { type: 'string' },
  growth: { type: 'string' },
  'step-duration': { type: 'string' },
  p99: { type: 'string' },
  'max-errors': { type: 'string' },
  'max-rate': { type: 'string' },
  'max-steps': { type: 'string' },
  refine: { type: 'string' },
  // report
  'name-a': { type: 'string' },
  'name-b': { type: 'string' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Flags = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

class UsageError extends Error {
  override name = 'UsageError';
}

function number(flags: Flags, name: keyof Flags, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const raw = flags[name];
  if (raw === undefined) return fallback;
  const text = String(raw);
  // Durations may carry a unit: 30s, 2m, 500ms.
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text);
  if (!match) throw new UsageError(`--${name}: "${text}" is not a number`);
  const value = Number(match[1]) * (match[2] === 'm' ? 60 : match[2] === 'ms' ? 0.001 : 1);
  if (value < min || value > max) throw new UsageError(`--${name} must be between ${min} and ${max}`);
  return value;
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[?::1\]?|\[?::ffff:127(?:\.\d{1,3}){3}\]?)$/i;

export function isLoopback(url: string): boolean {
  const host = new URL(url).hostname;
  return LOOPBACK.test(host);
}

function checkTarget(url: string, flags: Flags, what: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`${what} "${redact(url)}" is not a URL`);
  }
  if (!isLoopback(url) && !flags['allow-remote']) {
    throw new UsageError(`${what} ${parsed.hostname} is not a loopback address: load against another machine needs --allow-remote (and its operator's permission)`);
  }
}

interface Credentials {
  token?: string;
  username?: string;
  password?: string;
  mqttUsername?: string;
  mqttPassword?: string;
}

/** IDIS_TOKEN or IDIS_USERNAME/IDIS_PASSWORD (and IDIS_MQTT_USERNAME/IDIS_MQTT_PASSWORD), or a file with those keys (KEY=value lines or JSON). */
export function readCredentials(file: string | undefined, env: NodeJS.ProcessEnv): Credentials {
  const values: Record<string, string> = {};
  if (file) {
    const text = readFileSync(file, 'utf8');
    if (text.trim().startsWith('{')) Object.assign(values, JSON.parse(text));
    else
      for (const line of text.split('\n')) {
        const m = /^\s*([A-Z_]+)\s*=\s*(.*?)\s*$/.exec(line);
        if (m) values[m[1]] = m[2].replace(/^["']|["']$/g, '');
      }
  }
  const get = (k: string) => env[k] || values[k] || undefined;
  return { token: get('IDIS_TOKEN'), username: get('IDIS_USERNAME'), password: get('IDIS_PASSWORD'), mqttUsername: get('IDIS_MQTT_USERNAME'), mqttPassword: get('IDIS_MQTT_PASSWORD') };
}

async function tokenFor(target: string, c: Credentials): Promise<string | undefined> {
  if (c.token) return c.token;
  if (!c.username || !c.password) return undefined;
  const response = await fetch(`${target.replace(/\/$/, '')}/api/v1/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: c.username, password: c.password }),
    signal: AbortSignal.timeout(30_000),
  });
  const body = (await response.json().catch(() => ({}))) as { accessToken?: string };
  if (response.status !== 200 || !body.accessToken) throw new Error(`signing in as ${c.username} failed: HTTP ${response.status}`);
  return body.accessToken;
}

/** An MQTT credential for the enterprise the token belongs to (POST /api/v1/enterprises/{id}/mqtt-credentials). */
async function mqttCredentialFor(target: string, token: string): Promise<{ username: string; password: string }> {
  const base = target.replace(/\/$/, '');
  const me = (await (await fetch(`${base}/api/v1/auth/me`, { headers: { authorization: `Bearer ${token}` } })).json()) as { enterpriseId?: string };
  if (!me.enterpriseId) throw new Error('epcis-mqtt: the token is not an enterprise\'s; set IDIS_MQTT_USERNAME / IDIS_MQTT_PASSWORD');
  const response = await fetch(`${base}/api/v1/enterprises/${me.enterpriseId}/mqtt-credentials`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ label: 'idis-loadtest' }),
  });
  const body = (await response.json()) as { username?: string; password?: string };
  if (response.status !== 201 || !body.username || !body.password) throw new Error(`creating an MQTT credential: HTTP ${response.status}`);
  return { username: body.username, password: body.password };
}

function scenarioFrom(flags: Flags): Scenario {
  try {
    return readScenario(flags);
  } catch (error) {
    // A scenario or flag the tool refuses is the caller's to fix: exit code 2, as for bad flags.
    throw error instanceof UsageError ? error : new UsageError((error as Error).message);
  }
}

function readScenario(flags: Flags): Scenario {
  let base: Partial<Scenario> & { keys?: Partial<Scenario['keys']> } = {};
  if (flags.scenario) base = loadScenarioFile(flags.scenario);
  const fromFile = flags.scenario !== undefined;
  const duration = flags.duration !== undefined || !fromFile ? number(flags, 'duration', 10, 0.1, 3600) : undefined;
  const warmup = number(flags, 'warmup', 0, 0, 600);
  const raw: Record<string, unknown> = {
    ...base,
    model: flags.model ?? base.model ?? DEFAULTS.model,
    rate: number(flags, 'rate', base.rate ?? DEFAULTS.rate, 0, 1_000_000),
    connections: number(flags, 'connections', base.connections ?? DEFAULTS.connections, 1, 10_000),
    maxRequests: number(flags, 'max-requests', base.maxRequests ?? DEFAULTS.maxRequests, 1, 100_000_000),
    timeoutMs: number(flags, 'timeout', base.timeoutMs ?? DEFAULTS.timeoutMs, 1, 120_000),
  };
  if (flags.driver) raw.driver = flags.driver;
  const keys: Record<string, unknown> = { ...(base.keys ?? {}) };
  if (flags.prefix) keys.prefix = flags.prefix;
  if (flags.keys) keys.count = number(flags, 'keys', 0, 1, 100_000_000);
  if (flags.stem !== undefined) keys.stem = flags.stem;
  if (flags.pad) keys.pad = number(flags, 'pad', 7, 0, 20);
  if (flags['key-start']) keys.start = number(flags, 'key-start', 1, 0);
  if (flags['unknown-share']) keys.unknownShare = number(flags, 'unknown-share', 0, 0, 1);
  if (flags.seed) keys.seed = number(flags, 'seed', 1);
  if (flags.distribution) {
    const [kind, a, b] = flags.distribution.split(':');
    keys.distribution = kind;
    if (kind === 'zipf') keys.zipfS = a === undefined ? 1 : Number(a);
    if (kind === 'hot-set') Object.assign(keys, { hotKeys: a === undefined ? 0.01 : Number(a), hotTraffic: b === undefined ? 0.9 : Number(b) });
  }
  if (keys.prefix === undefined) throw new UsageError('say which identifiers to ask for: --prefix (e.g. 88.118.8) or keys.prefix in the scenario');
  raw.keys = keys;
  if (flags.mix) raw.mix = parseMix(flags.mix);
  raw.mix ??= [{ op: 'resolve', weight: 1 }];
  if (duration !== undefined) raw.phases = [...(warmup > 0 ? [{ kind: 'warmup', duration: warmup }] : []), { kind: 'constant', duration }];
  else if (warmup > 0) raw.phases = [{ kind: 'warmup', duration: warmup }, ...((base.phases as unknown[]) ?? [])];
  if (flags.template) raw.register = { ...(base.register ?? {}), templateVersion: flags.template };
  if (flags['mqtt-url'] || flags['mqtt-topic-root']) raw.mqtt = { ...(base.mqtt ?? {}), ...(flags['mqtt-url'] ? { url: flags['mqtt-url'] } : {}), ...(flags['mqtt-topic-root'] ? { topicRoot: flags['mqtt-topic-root'] } : {}) };
  // The scenario as it will be recorded: credentials never appear (the schema has no place for them).
  if (typeof raw.target === 'string') raw.target = redact(raw.target);
  const scenario = normaliseScenario(raw, flags.scenario ?? 'flags');
  if (scenario.mqtt?.url) scenario.mqtt.url = scenario.mqtt.url;
  return scenario;
}

function stamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
}

function outputs(flags: Flags, kind: string): { json: string; html: string; md: string } {
  const json = resolve(flags.out ?? join('loadtest-results', `${kind}-${stamp()}.json`));
  const base = json.replace(/\.json$/i, '');
  return { json, html: resolve(flags.html ?? `${base}.html`), md: resolve(flags.md ?? `${base}.md`) };
}

function write(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}

const fmt = (n: number, d = 0) => n.toLocaleString('en', { maximumFractionDigits: d });

class Progress {
  private readonly tty = process.stderr.isTTY === true;
  constructor(private readonly quiet: boolean) {}
  line(text: string): void {
    if (this.quiet) return;
    if (this.tty) process.stderr.write(`\r\x1b[2K${text}`);
    else process.stderr.write(`${text}\n`);
  }
  done(): void {
    if (!this.quiet && this.tty) process.stderr.write('\n');
  }
}

function progressLine(p: TimelinePoint, elapsed: number, total: number, prefix = ''): string {
  const target = p.targetRate !== undefined ? ` (target ${fmt(p.targetRate)})` : '';
  const errorShare = p.requests > 0 ? (p.errors / p.requests) * 100 : 0;
  return `${prefix}${fmt(elapsed, 0)}/${fmt(total, 0)} s${p.measured ? '' : ' warm-up'}  ${fmt(p.requests)} req/s${target}  p50 ${fmt(p.p50, 2)} ms  p99 ${fmt(p.p99, 2)} ms  errors ${fmt(p.errors)} (${errorShare.toFixed(2)} %)  ${fmt(Math.max(0, total - elapsed), 0)} s left`;
}

/** Counters of the target's /metrics worth comparing with the report (absent on servers without them). */
async function scrapeCounters(target: string): Promise<Map<string, number> | undefined> {
  try {
    const response = await fetch(`${target.replace(/\/$/, '')}/metrics`, { signal: AbortSignal.timeout(5000) });
    if (response.status !== 200) return undefined;
    const counters = new Map<string, number>();
    for (const line of (await response.text()).split('\n')) {
      const m = /^(idis_(?:resolutions|registrations|ingestion_[a-z_]+)_total)(\{[^}]*\})?\s+(\S+)/.exec(line);
      if (m) counters.set(`${m[1]}${m[2] ?? ''}`, Number(m[3]));
    }
    return counters.size > 0 ? counters : undefined;
  } catch {
    return undefined;
  }
}

function deltas(before?: Map<string, number>, after?: Map<string, number>): Record<string, number> | undefined {
  if (!before || !after) return undefined;
  const out: Record<string, number> = {};
  for (const [k, v] of after) if (v - (before.get(k) ?? 0) !== 0) out[k] = v - (before.get(k) ?? 0);
  return out;
}

function printSummary(r: ResultFile, files: { json: string; html: string; md: string }): void {
  const s = r.summary;
  const lines = [
    '',
    `${r.kind === 'capacity' ? 'capacity' : 'run'} against ${r.target}${s.interrupted ? ' — INTERRUPTED, partial result' : ''}`,
    `  requests   ${fmt(s.requests)} in ${fmt(s.measuredSeconds, 1)} s = ${fmt(s.rate, 1)}/s; errors ${fmt(s.errors)} (${(s.errorRate * 100).toFixed(3)} %)`,
    `  latency    p50 ${s.latency.p50} ms  p90 ${s.latency.p90} ms  p99 ${s.latency.p99} ms  p99.9 ${s.latency.p999} ms  max ${s.latency.max} ms`,
    ...Object.entries(s.operations).map(([k, o]) => `  ${k.padEnd(14)} ${fmt(o.requests)} (${fmt(o.errors)} errors)  p50 ${o.latency.p50} ms  p99 ${o.latency.p99} ms`),
    ...Object.entries(s.errorsByKind).map(([k, n]) => `  error      ${k}: ${fmt(n)}`),
    `  generator  CPU ${s.generator.cpuOfCorePerWorker.map((c) => `${Math.round(c * 100)} %`).join(', ')} of a core; load average ${s.generator.loadAverage.join(' ')}`,
    ...s.generator.warnings.map((w) => `  WARNING    ${w}`),
  ];
  if (r.capacity) lines.push(`  CAPACITY   ${fmt(r.capacity.highestRateMet)} requests/s with p99 ≤ ${r.capacity.options.p99BoundMs} ms and errors ≤ ${(r.capacity.options.errorBound * 100).toFixed(2)} % (${r.capacity.stoppedBecause})`);
  lines.push(`  results    ${files.json}`, `             ${files.html}`, `             ${files.md}`, '');
  process.stderr.write(lines.join('\n'));
}

interface Prepared {
  scenario: Scenario;
  target: string;
  inputs: Omit<RunInputs, 'onSecond'>;
}

async function prepare(flags: Flags): Promise<Prepared> {
  const scenario = scenarioFrom(flags);
  const target = (flags.target ?? scenario.target ?? 'http://127.0.0.1:8080').replace(/\/$/, '');
  checkTarget(target, flags, '--target');
  const credentials = readCredentials(flags.credentials, process.env);
  const needsToken = scenario.mix.some((m) => m.weight > 0 && ['register', 'register-batch', 'update', 'epcis-query', 'trace', 'epcis-mqtt'].includes(m.op));
  const token = await tokenFor(target, credentials);
  if (needsToken && !token) throw new UsageError('this mix writes or reads private data: set IDIS_TOKEN, or IDIS_USERNAME and IDIS_PASSWORD (or --credentials FILE)');
  let mqtt: RunInputs['mqtt'];
  if (scenario.mix.some((m) => m.op === 'epcis-mqtt' && m.weight > 0)) {
    const url = scenario.mqtt?.url;
    if (!url) throw new UsageError('epcis-mqtt needs --mqtt-url (or mqtt.url in the scenario)');
    checkTarget(url, flags, '--mqtt-url');
    const login = credentials.mqttUsername && credentials.mqttPassword ? { username: credentials.mqttUsername, password: credentials.mqttPassword } : await mqttCredentialFor(target, token as string);
    mqtt = { url, ...login, topicRoot: scenario.mqtt?.topicRoot ?? 'idis/v1' };
  }
  const workers = number(flags, 'workers', 1, 1, 64);
  return { scenario, target, inputs: { scenario, target, workers, token, mqtt, runTag: Date.now().toString(36), tls: flags.insecure ? { rejectUnauthorized: false } : undefined } };
}

function stopOnCtrlC(): AbortController {
  const controller = new AbortController();
  process.on('SIGINT', () => {
    if (controller.signal.aborted) {
      process.stderr.write('\nsecond Ctrl-C: exiting without a report\n');
      process.exit(130);
    }
    process.stderr.write('\nCtrl-C: stopping the load, writing the partial report (Ctrl-C again to quit at once)\n');
    controller.abort();
  });
  return controller;
}

function commandLine(): string[] {
  return ['idis-loadtest', ...process.argv.slice(2)].map(redact);
}

async function commandRun(flags: Flags): Promise<void> {
  const { scenario, target, inputs } = await prepare(flags);
  const files = outputs(flags, 'run');
  const controller = stopOnCtrlC();
  const progress = new Progress(flags.quiet === true);
  const before = await scrapeCounters(target);
  const startedAt = new Date().toISOString();
  const summary = await runScenario({ ...inputs, onSecond: (p, elapsed, total) => progress.line(progressLine(p, elapsed, total)) }, controller.signal);
  progress.done();
  const after = await scrapeCounters(target);
  const result: ResultFile = { tool: 'idis-loadtest', format: 1, kind: 'run', startedAt, finishedAt: new Date().toISOString(), command: commandLine(), target: redact(target), scenario, summary, targetMetrics: deltas(before, after) };
  write(files.json, `${JSON.stringify(result, null, 1)}\n`);
  write(files.html, renderHtml(result));
  write(files.md, renderMarkdown(result));
  printSummary(result, files);
}

async function commandCapacity(flags: Flags): Promise<void> {
  const { target, inputs } = await prepare({ ...flags, duration: flags.duration ?? '5' });
  const options: CapacityOptions = {
    startRate: number(flags, 'start-rate', CAPACITY_DEFAULTS.startRate, 1, 1_000_000),
    stepRate: flags['step-rate'] !== undefined ? number(flags, 'step-rate', 0, 1, 1_000_000) : undefined,
    growth: number(flags, 'growth', CAPACITY_DEFAULTS.growth, 1.01, 10),
    stepSeconds: number(flags, 'step-duration', CAPACITY_DEFAULTS.stepSeconds, 1, 600),
    warmupSeconds: number(flags, 'warmup', CAPACITY_DEFAULTS.warmupSeconds, 0, 600),
    maxRate: number(flags, 'max-rate', CAPACITY_DEFAULTS.maxRate, 1, 1_000_000),
    maxSteps: number(flags, 'max-steps', CAPACITY_DEFAULTS.maxSteps, 1, 200),
    refine: number(flags, 'refine', CAPACITY_DEFAULTS.refine, 0, 10),
    p99BoundMs: number(flags, 'p99', CAPACITY_DEFAULTS.p99BoundMs, 0.001, 60_000),
    errorBound: number(flags, 'max-errors', CAPACITY_DEFAULTS.errorBound, 0, 1),
  };
  if (inputs.scenario.model !== 'open') throw new UsageError('capacity steps an arrival rate: it needs the open loop (--model open)');
  const files = outputs(flags, 'capacity');
  const controller = stopOnCtrlC();
  const progress = new Progress(flags.quiet === true);
  const before = await scrapeCounters(target);
  const startedAt = new Date().toISOString();
  const { result: capacity, summaries } = await findCapacity(
    { ...inputs, onSecond: (p, elapsed, total) => progress.line(progressLine(p, elapsed, total, 'step  ')) },
    options,
    controller.signal,
    (step) => {
      progress.done();
      progress.line(`step ${fmt(step.targetRate)}/s: achieved ${fmt(step.achievedRate)}/s, p50 ${step.p50} ms, p99 ${step.p99} ms, errors ${(step.errorRate * 100).toFixed(2)} % → ${step.met ? 'met' : `NOT met (${step.why})`}`);
      progress.done();
    },
  );
  const after = await scrapeCounters(target);
  const shown = summaries[capacity.steps.findIndex((s) => s.met && s.targetRate === capacity.highestRateMet)] ?? summaries[0];
  if (!shown) throw new Error('capacity ran no step');
  const result: ResultFile = {
    tool: 'idis-loadtest',
    format: 1,
    kind: 'capacity',
    startedAt,
    finishedAt: new Date().toISOString(),
    command: commandLine(),
    target: redact(target),
    scenario: inputs.scenario,
    summary: { ...shown, interrupted: controller.signal.aborted },
    capacity,
    targetMetrics: deltas(before, after),
  };
  write(files.json, `${JSON.stringify(result, null, 1)}\n`);
  write(files.html, renderHtml(result));
  write(files.md, renderMarkdown(result));
  printSummary(result, files);
}

async function commandSeed(flags: Flags): Promise<void> {
  const prefix = flags.prefix;
  if (!prefix) throw new UsageError('seed needs --prefix (an enterprise prefix the token may register under)');
  const count = number(flags, 'count', 100_000, 1, 100_000_000);
  const controller = stopOnCtrlC();
  const progress = new Progress(flags.quiet === true);
  const onProgress = (p: { done: number; total: number; perSecond: number; elapsedSec: number }) =>
    progress.line(`seed ${fmt(p.done)}/${fmt(p.total)} (${((p.done / p.total) * 100).toFixed(1)} %)  ${fmt(p.perSecond)} ids/s  ${fmt(p.elapsedSec)} s`);
  const common = { prefix, stem: flags.stem ?? DEFAULTS.keys.stem, pad: number(flags, 'pad', DEFAULTS.keys.pad, 0, 20), start: number(flags, 'key-start', DEFAULTS.keys.start, 0), count, batch: number(flags, 'batch', 2000, 1, 2000), templateVersion: flags.template ?? '1.0', timeoutMs: number(flags, 'timeout', 60_000, 1, 600_000) };
  let result;
  if (flags['database-url']) {
    checkTarget(flags['database-url'].replace(/^postgres(ql)?:/, 'http:'), flags, '--database-url');
    result = await seedViaCopy({ ...common, databaseUrl: flags['database-url'] }, controller.signal, onProgress);
  } else {
    const target = (flags.target ?? 'http://127.0.0.1:8080').replace(/\/$/, '');
    checkTarget(target, flags, '--target');
    const token = await tokenFor(target, readCredentials(flags.credentials, process.env));
    if (!token) throw new UsageError('seed through the API needs IDIS_TOKEN, or IDIS_USERNAME and IDIS_PASSWORD (or --credentials FILE); or --database-url for COPY');
    if (flags.bulk) {
      // One streamed file; a file of millions of rows takes minutes, so the default timeout is 30 min.
      result = await seedViaImport({ ...common, target, timeoutMs: flags.timeout ? common.timeoutMs : 1_800_000 }, token, controller.signal, onProgress);
    } else {
      const state = resolve(flags.state ?? join('loadtest-results', `seed-${prefix}-${common.stem}${common.start}-${count}.state.json`));
      mkdirSync(dirname(state), { recursive: true });
      result = await seedViaApi({ ...common, target, concurrency: number(flags, 'concurrency', 2, 1, 64), stateFile: state }, token, controller.signal, onProgress);
    }
  }
  progress.done();
  const line = `seed: ${fmt(result.stored)} stored, ${fmt(result.alreadyThere)} already there, ${fmt(result.skippedByResume)} skipped (done in an earlier run), ${fmt(result.refused)} refused; ${fmt(result.perSecond)} ids/s over ${fmt(result.seconds, 1)} s${result.interrupted ? ' — INTERRUPTED (run again to resume)' : ''}`;
  process.stderr.write(`${line}\n${result.firstRefusal ? `first refusal: ${result.firstRefusal}\n` : ''}`);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  if (result.refused > 0) process.exitCode = 1;
}

function commandReport(flags: Flags, files: string[]): void {
  if (files.length < 1 || files.length > 2) throw new UsageError('report takes one result file, or two to compare');
  const results = files.map((f) => assertResultFile(JSON.parse(readFileSync(f, 'utf8')), f));
  const base = resolve(flags.out ?? files[files.length === 2 ? 1 : 0]).replace(/\.json$/i, files.length === 2 ? '-comparison' : '');
  const out = { html: resolve(flags.html ?? `${base}.html`), md: resolve(flags.md ?? `${base}.md`) };
  if (results.length === 1) {
    write(out.html, renderHtml(results[0]));
    write(out.md, renderMarkdown(results[0]));
  } else {
    const names: [string, string] = [flags['name-a'] ?? files[0], flags['name-b'] ?? files[1]];
    write(out.html, renderComparisonHtml(results[0], results[1], names));
    write(out.md, renderComparisonMarkdown(results[0], results[1], names));
  }
  process.stderr.write(`report: ${out.html}\n        ${out.md}\n`);
}

export async function main(argv: string[]): Promise<void> {
  const { values: flags, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  const [command, ...rest] = positionals;
  if (flags.help || !command) {
    process.stdout.write(USAGE);
    return;
  }
  switch (command) {
    case 'seed':
      return commandSeed(flags);
    case 'run':
      return commandRun(flags);
    case 'capacity':
      return commandCapacity(flags);
    case 'report':
      return commandReport(flags, rest);
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    () => process.exit(process.exitCode ?? 0),
    (error: Error) => {
      const usage = error instanceof UsageError || (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS');
      process.stderr.write(`idis-loadtest: ${redact(error.message)}${usage ? '\n(idis-loadtest --help lists the commands and options)' : ''}\n`);
      process.exit(usage ? 2 : 1);
    },
  );
}
