/**
 * `npm run bench -- l1-replay`: the L1 policy on row (h)'s key trace, offline and with no server,
 * so that the hit ratios do not depend on how busy the machine is. Draws the Zipf trace with the load
 * runner's own key picker and row (h)'s seeds (the requests (h) sends, in order), replays a warm-up
 * and a measured window through an LRU, W-TinyLFU (the node's L1 class) and Belady's optimum, and puts them next to the two steady-state
 * references of an independent-reference Zipf trace: LRU by Che's approximation, and the best any
 * online policy can do (holding the `capacity` most popular keys).
 *
 * Options: --identifiers=10000000 --capacity=100000 --zipf-s=0.99 --seed=1 --warmup-requests=3000000
 * --requests=1000000. Writes benchmarks/results/l1-replay-latest.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { keysConfigOf } from '../../tests/support/benchmark/load';
import { round } from '../../tests/support/benchmark/stats';
import { hRunKeys, PREFIX, ZIPF_PAD, ZIPF_SUFFIX_PREFIX } from './suite';
import { beladyHitRatio, lruHitRatio, requestTrace, tinyLfuHitRatio } from './trace';

export async function runL1ReplayBenchmark(args: string[]): Promise<void> {
  const option = (name: string, fallback: number, min: number, max: number): number => {
    const found = args.find((a) => a.startsWith(`--${name}=`));
    const value = found ? Number(found.slice(name.length + 3)) : fallback;
    if (!Number.isFinite(value) || value < min || value > max) throw new Error(`--${name} must be a number in [${min}, ${max}]`);
    return value;
  };
  const known = ['identifiers', 'capacity', 'zipf-s', 'seed', 'warmup-requests', 'requests'];
  for (const arg of args) if (!known.includes(arg.replace(/^--/, '').split('=')[0])) throw new Error(`unknown option ${arg}; known: ${known.map((k) => `--${k}`).join(' ')}`);
  const n = Math.floor(option('identifiers', 10_000_000, 1000, 99_999_999));
  const capacity = Math.floor(option('capacity', 100_000, 1, n));
  const s = option('zipf-s', 0.99, 0.1, 3);
  const seed = Math.floor(option('seed', 1, 0, 2 ** 31));
  const warm = Math.floor(option('warmup-requests', 3_000_000, 0, 50_000_000));
  const measured = Math.floor(option('requests', 1_000_000, 1000, 50_000_000));
  const log = (m: string) => process.stderr.write(`[l1-replay] ${m}\n`);
  const t0 = Date.now();
  const trace = new Int32Array(warm + measured);
  trace.set(requestTrace(keysConfigOf(hRunKeys(seed, n, s, 'warm-up')), warm));
  trace.set(requestTrace(keysConfigOf(hRunKeys(seed, n, s, 'measured')), measured), warm);
  log(`trace of ${trace.length.toLocaleString('en')} requests in ${round((Date.now() - t0) / 1000, 1)} s`);
  const timed = (name: string, f: () => number) => {
    const started = Date.now();
    const ratio = f();
    log(`${name}: ${round(ratio * 100, 2)} % in ${round((Date.now() - started) / 1000, 1)} s`);
    return ratio;
  };
  const keyOf = (k: number) => `${PREFIX}/${ZIPF_SUFFIX_PREFIX}${String(k + 1).padStart(ZIPF_PAD, '0')}`.toLowerCase();
  const lru = timed('LRU', () => lruHitRatio(trace, capacity, warm, n));
  // Equal weights, the byte bound binding at `capacity` entries (as the node's L1 in row (h)).
  const tinyLfu = timed('W-TinyLFU', () => tinyLfuHitRatio(trace, capacity * 2, capacity * 2000, 2000, warm, keyOf));
  const belady = timed('Belady', () => beladyHitRatio(trace, capacity, warm, n));
  const { che, top } = steadyState(n, s, capacity);
  const lines = [
    `# L1 policy on row (h)'s trace, replayed offline (${new Date().toISOString()})`,
    '',
    `Command: \`npm run bench -- l1-replay${args.length ? ` ${args.join(' ')}` : ''}\``,
    '',
    `Zipf s = ${s} over ${n.toLocaleString('en')} identifiers, seed ${seed} (the load runner's generator and draw seeds of row (h)); ` +
      `${warm.toLocaleString('en')} warm-up requests, then hit ratios over the next ${measured.toLocaleString('en')}; every policy holds ${capacity.toLocaleString('en')} entries.`,
    '',
    '| policy | hit ratio | − LRU (points) |',
    '|---|---:|---:|',
    `| LRU | ${round(lru * 100, 2)} % | 0 |`,
    `| W-TinyLFU (libs/runtime WTinyLfuCache, as the node's L1) | ${round(tinyLfu * 100, 2)} % | ${round((tinyLfu - lru) * 100, 2)} |`,
    `| Belady (offline optimum, knows the future) | ${round(belady * 100, 2)} % | ${round((belady - lru) * 100, 2)} |`,
    `| steady state, LRU (Che's approximation) | ${round(che * 100, 2)} % | ${round((che - lru) * 100, 2)} |`,
    `| steady state, best online policy (the ${capacity.toLocaleString('en')} most popular keys) | ${round(top * 100, 2)} % | ${round((top - lru) * 100, 2)} |`,
    '',
    `On an independent-reference Zipf trace no online policy can beat holding the most popular keys, so the largest steady-state gain over LRU here is ` +
      `${round((top - che) * 100, 1)} points; Belady exceeds it only by knowing the future.`,
  ];
  const dir = join(__dirname, '..', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'l1-replay-latest.md'), `${lines.join('\n')}\n`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** Che's approximation of LRU's hit ratio (characteristic time by bisection), and the top-`capacity` probability mass. */
function steadyState(n: number, s: number, capacity: number): { che: number; top: number } {
  const p = new Float64Array(n);
  let sum = 0;
  for (let k = 0; k < n; k += 1) sum += p[k] = 1 / Math.pow(k + 1, s);
  let top = 0;
  for (let k = 0; k < n; k += 1) {
    p[k] /= sum;
    if (k < capacity) top += p[k];
  }
  const occupancy = (t: number) => {
    let x = 0;
    for (let k = 0; k < n; k += 1) x += 1 - Math.exp(-p[k] * t);
    return x;
  };
  let lo = 0;
  let hi = 1;
  while (occupancy(hi) < capacity) hi *= 2;
  for (let i = 0; i < 50; i += 1) {
    const mid = (lo + hi) / 2;
    if (occupancy(mid) < capacity) lo = mid;
    else hi = mid;
  }
  let che = 0;
  for (let k = 0; k < n; k += 1) che += p[k] * (1 - Math.exp(-p[k] * hi));
  return { che, top };
}
