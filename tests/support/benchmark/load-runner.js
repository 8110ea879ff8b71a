'use strict';
/**
 * The load generator of the resolution benchmark, run as its own process per measurement so that
 * it never shares an event loop with the server it measures (the machine's two cores it does share;
 * see stack-facts §4). Plain JavaScript on autocannon's programmatic API.
 *
 *   node load-runner.js <config.json>
 *
 * Config: { url, pathPrefix, keys, distribution, zipfS?, seed?, connections, durationSec,
 * warmupSec, serverPid?, timeoutSec?, drawSeed? } where keys is { suffixes: string[] } (an explicit working
 * set) or { series: { prefix, pad, start, count } } (suffix = prefix + zero-padded number), and
 * distribution is 'cycle' (round robin over the keys), 'uniform' or 'zipf' (rank k drawn with
 * probability ∝ 1/k^s, ranks mapped onto the keys by a seeded shuffle so hot keys are scattered).
 *
 * A warm-up of warmupSec runs first with the same generator and is not measured. The measured run
 * is bracketed by reads of /proc/<serverPid>/stat (server CPU) and /proc/stat (whole machine).
 * Prints one JSON line with the result on stdout.
 */
const { readFileSync } = require('node:fs');
const autocannon = require('autocannon');

const TICKS_PER_SECOND = 100; // USER_HZ on Linux (getconf CLK_TCK)

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function keyFunction(keys) {
  if (Array.isArray(keys.suffixes)) {
    const suffixes = keys.suffixes;
    if (suffixes.length === 0) throw new Error('keys.suffixes is empty');
    return { count: suffixes.length, suffix: (i) => suffixes[i] };
  }
  const { prefix, pad, start, count } = keys.series;
  if (!(count > 0)) throw new Error('keys.series.count must be positive');
  return { count, suffix: (i) => prefix + String(start + i).padStart(pad, '0') };
}

/** Returns a function giving the next request path. */
function pathGenerator(config) {
  const keys = keyFunction(config.keys);
  const pathPrefix = config.pathPrefix;
  const n = keys.count;
  switch (config.distribution) {
    case 'cycle': {
      let next = 0;
      return () => {
        const i = next;
        next = next + 1 === n ? 0 : next + 1;
        return pathPrefix + keys.suffix(i);
      };
    }
    case 'uniform':
      return () => pathPrefix + keys.suffix(Math.floor(Math.random() * n));
    case 'zipf': {
      const s = config.zipfS ?? 1.0;
      const cdf = new Float64Array(n);
      let sum = 0;
      for (let k = 0; k < n; k += 1) {
        sum += 1 / Math.pow(k + 1, s);
        cdf[k] = sum;
      }
      for (let k = 0; k < n; k += 1) cdf[k] /= sum;
      // rank → key: a seeded Fisher–Yates shuffle, so the hot keys are not neighbours in the index.
      const rankToKey = new Uint32Array(n);
      for (let k = 0; k < n; k += 1) rankToKey[k] = k;
      const random = mulberry32(config.seed ?? 1);
      for (let k = n - 1; k > 0; k -= 1) {
        const j = Math.floor(random() * (k + 1));
        const t = rankToKey[k];
        rankToKey[k] = rankToKey[j];
        rankToKey[j] = t;
      }
      // The draws are seeded too (drawSeed, else derived from seed): the trace of keys is the same on
      // every run, so the resolution benchmark's row (h) can replay it offline (LRU, Belady).
      const draw = mulberry32(config.drawSeed ?? ((config.seed ?? 1) ^ 0x5bd1e995));
      return () => {
        const u = draw();
        let lo = 0;
        let hi = n - 1;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (cdf[mid] < u) lo = mid + 1;
          else hi = mid;
        }
        return pathPrefix + keys.suffix(rankToKey[lo]);
      };
    }
    default:
      throw new Error(`unknown distribution ${config.distribution}`);
  }
}

function processCpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** Busy and total jiffies of the whole machine (all cores), from the first line of /proc/stat. */
function machineTicks() {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const total = fields.reduce((a, b) => a + b, 0);
    const idle = fields[3] + (fields[4] || 0);
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

function run(options) {
  return new Promise((resolve, reject) => {
    const instance = autocannon(options, (error, result) => (error ? reject(error) : resolve(result)));
    // Without a listener autocannon would print nothing anyway; keep it quiet and bounded.
    instance.on('error', () => {});
  });
}

async function main() {
  const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
  const nextPath = pathGenerator(config);
  const base = {
    url: config.url,
    connections: config.connections,
    pipelining: 1,
    timeout: config.timeoutSec ?? 10,
    requests: [{ method: 'GET', setupRequest: (request) => ((request.path = nextPath()), request) }],
  };
  const warmup = config.warmupSec > 0 ? await run({ ...base, duration: config.warmupSec }) : undefined;

  const cpuBefore = config.serverPid ? processCpuMs(config.serverPid) : undefined;
  const machineBefore = machineTicks();
  const selfBefore = process.cpuUsage();
  const result = await run({ ...base, duration: config.durationSec });
  const self = process.cpuUsage(selfBefore);
  const machineAfter = machineTicks();
  const cpuAfter = config.serverPid ? processCpuMs(config.serverPid) : undefined;

  const requests = result.requests.total;
  const seconds = result.duration;
  const serverCpuMs = cpuBefore !== undefined && cpuAfter !== undefined ? cpuAfter - cpuBefore : undefined;
  const statusCodes = {};
  for (const [code, stats] of Object.entries(result.statusCodeStats || {})) statusCodes[code] = stats.count;
  const out = {
    requests,
    warmupRequests: warmup ? warmup.requests.total : 0,
    seconds,
    reqPerSec: requests / seconds,
    latencyMs: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
      mean: result.latency.average,
    },
    statusCodes,
    ok2xx: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    resets: result.resets,
    bytesPerResponse: requests > 0 ? result.throughput.total / requests : undefined,
    serverCpuMs,
    serverCpuUsPerReq: serverCpuMs !== undefined && requests > 0 ? (serverCpuMs * 1000) / requests : undefined,
    loaderCpuMs: (self.user + self.system) / 1000,
    machineBusyCores:
      machineBefore && machineAfter && machineAfter.total > machineBefore.total
        ? ((machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total)) * require('node:os').cpus().length
        : undefined,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error && error.stack ? error.stack : String(error)}\n`);
  process.exit(1);
});
