import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NODE_FLAGS, NODE_MAIN } from '../node-process';
import { SpawnedProcess, trackChild } from '../spawned-process';
import { waitFor } from '../wait-for';

/** The bare Fastify server of the resolution benchmark's baselines (run with startServerProcess). */
export const BASELINE_SERVER = join(__dirname, 'baseline-server.js');

export interface ServerProcessOptions {
  /** Script run with the same V8 flags as `npm start`. */
  script: string;
  env: Record<string, string>;
  port: number;
  /** Polled until it answers 200. */
  readyPath: string;
  /** Used in error messages. */
  name: string;
  timeoutMs?: number;
  /** More Node.js flags for this process (after NODE_FLAGS and BENCH_NODE_ARGS). */
  nodeArgs?: string[];
}

/** A Node.js HTTP server a benchmark started as its own process, listening on `baseUrl`. */
export class ServerProcess extends SpawnedProcess {
  constructor(
    child: ReturnType<typeof spawn>,
    name: string,
    readonly baseUrl: string,
  ) {
    // Keep only the tail: a long benchmark must not accumulate the server's whole output.
    super(child, name, { keepOutputChars: 20_000 });
  }

  /** SIGTERM, then SIGKILL after 10 s. */
  override stop(signal: NodeJS.Signals = 'SIGTERM', killAfterMs = 10_000): Promise<number | null> {
    return super.stop(signal, killAfterMs);
  }

  /** Polls `readyPath` until it answers 200; fails at once if the process exits, and kills it if it never gets ready. */
  async waitUntilReady(readyPath: string, timeoutMs: number): Promise<void> {
    let exited = false;
    try {
      await waitFor(
        `${this.label} to answer 200 on ${readyPath}`,
        async () => {
          if (!this.running) return (exited = true);
          try {
            const response = await fetch(`${this.baseUrl}${readyPath}`, { signal: AbortSignal.timeout(5000) });
            await response.arrayBuffer();
            return response.status === 200;
          } catch {
            return false; // not listening yet
          }
        },
        { timeoutMs, intervalMs: 200 },
      );
    } catch {
      this.child.kill('SIGKILL');
      throw new Error(`${this.label} did not become ready within ${timeoutMs / 1000} s:\n${this.output}`);
    }
    if (exited) throw new Error(`${this.label} exited with ${this.child.exitCode ?? this.child.signalCode}:\n${this.output}`);
  }
}

/** The secondary node (or another server) a benchmark measures. */
export type RunningNode = ServerProcess;

/** Starts a Node.js HTTP server script as its own process and waits until readyPath answers 200. */
export async function startServerProcess(options: ServerProcessOptions): Promise<ServerProcess> {
  if (!existsSync(options.script)) throw new Error(`${options.script} is missing`);
  // The same V8 flags as `npm start`; BENCH_NODE_ARGS adds more (e.g. --cpu-prof).
  const nodeArgs = [...NODE_FLAGS, ...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean), ...(options.nodeArgs ?? [])];
  const child = spawn(process.execPath, [...nodeArgs, options.script], {
    env: { ...process.env, NODE_ENV: 'production', LOG_LEVEL: 'warn', HOST: '127.0.0.1', PORT: String(options.port), ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  trackChild(child);
  // BENCH_NODE_LOG=<file>: every server's whole output appended there (the process keeps only its tail).
  if (process.env.BENCH_NODE_LOG) {
    const log = createWriteStream(process.env.BENCH_NODE_LOG, { flags: 'a' });
    log.write(`--- ${options.name} on port ${options.port}, ${new Date().toISOString()}\n`);
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    child.once('exit', () => log.end());
  }
  const server = new ServerProcess(child, options.name, `http://127.0.0.1:${options.port}`);
  await server.waitUntilReady(options.readyPath, options.timeoutMs ?? 60_000);
  return server;
}

/** Starts the built secondary node as its own process and waits until /health answers. */
export async function startNodeProcess(env: Record<string, string>, port: number, script = process.env.BENCH_NODE_MAIN || NODE_MAIN, nodeArgs?: string[]): Promise<ServerProcess> {
  if (!existsSync(script)) throw new Error(`${script} is missing: run npm run build first`);
  // Benchmarks offer far more load from one address than the default rate limits allow: off unless a row asks.
  return startServerProcess({ script, env: { RATE_LIMITS_ENABLED: 'false', HANDLE_PROTOCOL_PORT: '0', ...env }, port, readyPath: '/health', name: script === NODE_MAIN ? 'node' : `node (${script})`, nodeArgs });
}

/** CPU time (user + system) a process has used, in ms, read from /proc. */
export function cpuMillis(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1000) / 100;
  } catch {
    return undefined;
  }
}
