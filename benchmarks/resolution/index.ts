/**
 * Resolution benchmark (issue 4, items 6 and 7).
 *
 * Seeds identifiers straight into a scratch database on the real PostgreSQL, then measures, each
 * server in its own process and each load from a separate process (load-runner.ts: libs/loadgen on autocannon):
 *
 *   (a)  bare Fastify, the reply from a precomputed string         ┐ baselines: the physical limit
 *   (a2) bare Fastify, an ioredis GET of the reply                  │ of each tier on this machine,
 *   (a3) bare Fastify, a pg primary-key SELECT of the reply         ┘ measured in the same run
 *   (b) L1 hits   (b-rl) L1 hits with every rate limit on (compared to (b) by CPU µs/req)
 *   (c) L2 hits, L1 off   (d) database only   (e) Zipf over all identifiers, cold
 *   (f) a flood of unknown identifiers under the known prefix (negative cache)
 *
 * in the interleaved order a, b, a2, c, a3, d, e, f, a so that drift on a noisy machine reaches
 * baselines and node runs alike; each node row is divided by the nearest run of its baseline.
 *
 * `--scale` instead runs (a3) and (d) with the base count of identifiers, grows the table (default
 * to 1,000,000) and runs them again: (d) must stay within 15 % (index lookups, not scans).
 *
 * Options: --duration=10 --warmup=3 --connections=50 --identifiers=100000 --working-set=1000
 * --unknown=1000 --zipf-s=1 --rounds=1 --seed=1 --scale --scale-identifiers=1000000
 * --time-limit-minutes=60 --compare=<another checkout>/dist/apps/secondary-node/apps/secondary-node/src/main.js
 * (every node row also runs on that build, back to back with this one) --interleave[=S] (each node row
 * and a run of its own baseline at once, the load going to one of them at a time in turns of S
 * seconds, default 1: a machine whose speed drifts slows both alike). Environment: BENCH_NODE_MAIN (measure
 * another build's main.js as "this build", e.g. two earlier commits against each other), BENCH_PG_URL, BENCH_REDIS_URL, BENCH_NODE_ARGS.
 */
import { installExitHandlers, runCleanup } from '../../tests/support/benchmark/cleanup';
import { measure, measureInterleaved } from './measure';
import { pairWithBaselines, report } from './report';
import { growTables, prepareSuite } from './setup';
import { DEFAULT_STEPS, log, type Measurement, type Options, parseOptions, type ScaleFacts, type StepId } from './suite';

export async function runResolutionBenchmark(args: string[]): Promise<void> {
  const options = parseOptions(args);
  installExitHandlers(log);
  // Bound the whole suite in time: whatever hangs, the children die and the database is dropped.
  const watchdog = setTimeout(() => {
    log(`time limit of ${options.timeLimitMinutes} min reached: aborting`);
    void runCleanup(log).finally(() => process.exit(124));
  }, options.timeLimitMinutes * 60_000);
  watchdog.unref();
  try {
    await runSuite(options, args);
  } finally {
    clearTimeout(watchdog);
    await runCleanup(log);
  }
}

async function runSuite(options: Options, args: string[]): Promise<void> {
  const ctx = await prepareSuite(options);
  const measurements: Measurement[] = [];
  /** `--compare`: the other build's run of each node row, paired with this build's run of the same round. */
  const comparisons: Measurement[] = [];
  let pairs = 0;
  let scaleFacts: ScaleFacts | undefined;
  if (options.interleave !== undefined) {
    // Each node row brings its own run of its baseline, measured in turns with it; baseline steps
    // in the list are not run alone.
    for (let r = 1; r <= options.rounds; r += 1) {
      for (const step of (options.steps ?? DEFAULT_STEPS).filter((st) => !st.startsWith('a'))) {
        const [base, row] = await measureInterleaved(ctx, step, r, options.identifiers);
        measurements.push(base, row);
        row.baselineIndex = measurements.length - 2;
      }
    }
  } else if (!options.scale) {
    for (let r = 1; r <= options.rounds; r += 1) {
      pairs = 0;
      for (const step of options.steps ?? DEFAULT_STEPS) {
        if (options.compare === undefined || step.startsWith('a')) {
          measurements.push(await measure(ctx, step, r, options.identifiers));
          continue;
        }
        // The two builds back to back, taking turns at going first (row by row, and for each row round
        // by round), so that drift of a shared machine and what the previous row left behind reach both.
        const comparedFirst = ((pairs += 1) + r) % 2 === 0;
        if (comparedFirst) comparisons.push(await measure(ctx, step, r, options.identifiers, true));
        measurements.push(await measure(ctx, step, r, options.identifiers));
        if (!comparedFirst) comparisons.push(await measure(ctx, step, r, options.identifiers, true));
      }
    }
  } else {
    for (let r = 1; r <= options.rounds; r += 1) {
      for (const step of ['a3', 'd'] as StepId[]) measurements.push(await measure(ctx, step, r, options.identifiers));
    }
    scaleFacts = await growTables(ctx);
    for (let r = 1; r <= options.rounds; r += 1) {
      for (const step of ['a3', 'd'] as StepId[]) measurements.push(await measure(ctx, step, r, options.scaleIdentifiers));
    }
  }
  pairWithBaselines(measurements);
  await report(ctx, measurements, args, scaleFacts, comparisons);
}
