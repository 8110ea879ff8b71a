import { spawn } from 'node:child_process';
import { at, transformationEvent } from './epcis-seed';

/**
 * The crafted traceability data and the trace load shared by tests/integration/heavy-reads.spec.ts
 * and the heavy-reads benchmark (benchmarks/heavy-reads.ts).
 */

export const HEAVY_PREFIX = '88.118.8';
export const LAYERS = 20;
export const WIDTH = 10;

const lot = (layer: number, i: number) => `hdl:${HEAVY_PREFIX}/LOT-${layer}-${i}`;

/** The path of the crafted trace: back from the top lot, as deep as the genealogy. */
export const HEAVY_TRACE_PATH = `/api/v1/trace/${HEAVY_PREFIX}/LOT-${LAYERS}-0?direction=back&depth=${LAYERS}`;

/**
 * 200 crafted transformation events: 20 layers of 10 lots, each lot made from all 10 lots of the
 * layer below. A depth-20 trace back from the top has 10^20 paths; without a budget it costs
 * seconds of database time per call.
 */
export function craftedGenealogy(): Array<Record<string, unknown>> {
  const events: Array<Record<string, unknown>> = [];
  for (let layer = 1; layer <= LAYERS; layer += 1) {
    for (let i = 0; i < WIDTH; i += 1) {
      const inputs = Array.from({ length: WIDTH }, (_, j) => lot(layer - 1, j));
      events.push(transformationEvent({ time: at(layer, i), inputs, outputs: [lot(layer, i)], bizStep: 'assembling' }));
    }
  }
  return events;
}

/**
 * The load generator, run with `node -e` as its own process: TRACERS loops of traces (each at
 * most 200) of TRACE_URL, the body read but not parsed; prints "running" after the first answers
 * and the statuses (a JSON array, last line) when stdin closes or the loops end.
 */
export const TRACER_SCRIPT = `
let stop = false;
const statuses = [];
process.stdin.on('end', () => { stop = true; });
process.stdin.resume();
const loops = Array.from({ length: Number(process.env.TRACERS) }, async () => {
  for (let n = 0; n < 200 && !stop; n += 1) {
    let status = 0;
    try {
      const response = await fetch(process.env.TRACE_URL, { headers: { authorization: 'Bearer ' + process.env.TRACE_TOKEN } });
      await response.arrayBuffer();
      status = response.status;
    } catch {
      status = -1; // no answer at all: counted as a failure
    }
    statuses.push(status);
    if (statuses.length === Number(process.env.TRACERS)) process.stdout.write('running\\n');
  }
});
Promise.all(loops).then(() => { process.stdout.write(JSON.stringify(statuses) + '\\n'); process.exit(0); });
`;

/** The count of active heavy-read backends in the current database. */
export const HEAVY_BACKENDS_SQL = `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'idis-secondary-node-heavy-read' AND state = 'active'`;

export interface HeavyLoadOptions {
  /** The full URL of the trace each tracer loops on. */
  traceUrl: string;
  token: string;
  tracers: number;
  /** Reads the current count of active heavy-read backends (HEAVY_BACKENDS_SQL); polled every 20 ms. */
  countHeavyBackends: () => Promise<number>;
}

export interface HeavyLoadOutcome<T> {
  result: T;
  /** The status of every trace answered meanwhile (-1: no answer). */
  statuses: number[];
  peakHeavyBackends: number;
}

/**
 * Runs `measure` while the tracers loop in a second process (the load generator apart from the
 * measuring client, as in the benchmarks): starts them, waits for their first answers, measures,
 * then stops them and collects their statuses and the peak of heavy-read backends seen meanwhile.
 */
export async function underHeavyLoad<T>(options: HeavyLoadOptions, measure: () => Promise<T>): Promise<HeavyLoadOutcome<T>> {
  const tracers = spawn(process.execPath, ['-e', TRACER_SCRIPT], {
    env: { ...process.env, TRACE_URL: options.traceUrl, TRACE_TOKEN: options.token, TRACERS: String(options.tracers) },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let output = '';
  tracers.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => tracers.on('exit', () => resolve()));
  let stop = false;
  let peakHeavyBackends = 0;
  const watcher = (async () => {
    while (!stop) {
      peakHeavyBackends = Math.max(peakHeavyBackends, await options.countHeavyBackends());
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  let result: T;
  try {
    // The traces are running: wait for their first answers before measuring.
    const deadline = Date.now() + 60_000;
    while (!output.includes('running') && Date.now() < deadline && tracers.exitCode === null) await new Promise((resolve) => setTimeout(resolve, 20));
    if (!output.includes('running')) throw new Error(`the tracers did not get their first answers within 60 s: ${output}`);
    result = await measure();
  } catch (error) {
    tracers.kill('SIGKILL');
    throw error;
  } finally {
    stop = true;
    tracers.stdin.end();
    await Promise.all([exited, watcher]);
  }
  const last = output.trim().split('\n').pop() as string;
  return { result, statuses: JSON.parse(last) as number[], peakHeavyBackends };
}
