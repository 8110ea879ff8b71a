import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Distribution, KeysConfig } from '@idis/loadgen';
import { trackChild } from '../spawned-process';

/** The runner: libs/loadgen's closed loop on autocannon (TypeScript, run through ts-node). */
export const LOAD_RUNNER = join(__dirname, 'load-runner.ts');
const ROOT = join(__dirname, '..', '..', '..');
const RUNNER_ARGS = ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', LOAD_RUNNER];

export type LoadKeys = { suffixes: string[] } | { series: { prefix: string; pad: number; start: number; count: number } };

export interface LoadConfig {
  url: string;
  pathPrefix: string;
  keys: LoadKeys;
  distribution: 'cycle' | 'uniform' | 'zipf';
  zipfS?: number;
  seed?: number;
  /**
   * Seed of the draws only (default: `seed`): which keys are popular stays `seed`'s, so a warm-up and
   * the measured run after it, with draw seeds of their own, ask for the same popular keys. The same
   * seeds give the same key trace (the order in which requests are sent).
   */
  drawSeed?: number;
  connections: number;
  durationSec: number;
  warmupSec: number;
  serverPid?: number;
  timeoutSec?: number;
  /** Slack for the runner's start-up on top of warm-up + duration before it is killed (default 90 s: ts-node starts it). */
  startupAllowanceSec?: number;
  /**
   * What a right answer is, checked on every reply: 'found' (default) status 200; 'not-found' 404;
   * 'the-handle' 200 naming the handle asked for (reads every body: more load-generator CPU per
   * request, so rows compared by ratio must use the same check).
   */
  answers?: 'found' | 'not-found' | 'the-handle';
  /**
   * A second server measured in the same run, in turns of `sliceSec` with this one (its own
   * durationSec and warmupSec are not used: this config's count for both).
   */
  interleave?: { other: LoadConfig; sliceSec: number };
}

/** What load-runner.ts prints. */
export interface LoadResult {
  requests: number;
  /** Answered during the unmeasured warm-up. */
  warmupRequests: number;
  seconds: number;
  reqPerSec: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  statusCodes: Record<string, number>;
  ok2xx: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  resets: number;
  /** Answers with the expected status naming another handle than the one asked for. */
  wrongAnswers?: number;
  bytesPerResponse?: number;
  serverCpuMs?: number;
  serverCpuUsPerReq?: number;
  loaderCpuMs: number;
  machineBusyCores?: number;
  /** Interleaved runs: each slice's rate and server CPU per request, in order. */
  slices?: Array<{ reqPerSec: number; serverCpuUsPerReq?: number }>;
  /** The other server of an interleaved run, with the run's turns and slice length. */
  interleaved?: LoadResult & { turns: number; sliceSec?: number };
}

/**
 * Runs load-runner.ts as its own process (the load never shares the server's event loop) and
 * returns its result. Killed if it outlives warm-up + duration + startupAllowanceSec (90 s; ts-node starts it).
 */
export function runLoad(config: LoadConfig, scratchDir: string): Promise<LoadResult> {
  const file = join(scratchDir, `load-${process.hrtime.bigint()}.json`);
  writeFileSync(file, JSON.stringify(config));
  const servers = config.interleave ? 2 : 1;
  const limitMs = ((config.warmupSec + config.durationSec) * servers + (config.startupAllowanceSec ?? 90)) * 1000;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...RUNNER_ARGS, file], { cwd: ROOT, env: { ...process.env, TS_NODE_PROJECT: join(ROOT, 'tsconfig.json') }, stdio: ['ignore', 'pipe', 'pipe'] });
    trackChild(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-10_000)));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`load runner did not finish within ${limitMs / 1000} s`));
    }, limitMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`load runner exited with ${code ?? signal}:\n${stderr}`));
      try {
        const lines = stdout.trim().split('\n');
        resolve(JSON.parse(lines[lines.length - 1]) as LoadResult);
      } catch (error) {
        reject(new Error(`load runner printed no result (${(error as Error).message}):\n${stdout}\n${stderr}`));
      }
    });
  });
}

/** /api/handles/88.118.8/ → 88.118.8: the engine builds /api/handles/{prefix}/{suffix} itself. */
function prefixOf(pathPrefix: string): string {
  const match = /^\/api\/handles\/(.+)\/$/.exec(pathPrefix);
  if (!match) throw new Error(`pathPrefix ${pathPrefix} is not /api/handles/{prefix}/`);
  return match[1];
}

/** What decides the keys a load asks for, in which order. */
export type LoadKeysOf = Pick<LoadConfig, 'pathPrefix' | 'keys' | 'distribution' | 'zipfS' | 'seed' | 'drawSeed' | 'answers'>;

/** The key picker's configuration of a load: what the runner draws from, and what a replay of its trace must use. */
export function keysConfigOf(config: LoadKeysOf): KeysConfig {
  const distribution: Distribution = config.distribution === 'zipf' ? { kind: 'zipf', s: config.zipfS ?? 1 } : { kind: config.distribution };
  return {
    prefix: prefixOf(config.pathPrefix),
    source: 'suffixes' in config.keys ? { list: config.keys.suffixes } : { series: { stem: config.keys.series.prefix, pad: config.keys.series.pad, start: config.keys.series.start, count: config.keys.series.count } },
    distribution,
    allUnknown: config.answers === 'not-found',
    seed: config.seed ?? 1,
    drawSeed: config.drawSeed,
  };
}
