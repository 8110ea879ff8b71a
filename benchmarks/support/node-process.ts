import { createServer } from 'node:net';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const NODE_MAIN = join(__dirname, '..', '..', 'dist', 'apps', 'secondary-node', 'apps', 'secondary-node', 'src', 'main.js');

/**
 * A 64 MiB young generation: a 2,000-item batch allocates tens of MB of short-lived objects, and
 * with the default semi-space GC took ~40 % of the node's CPU (measured with --cpu-prof).
 */
export const NODE_FLAGS = ['--max-semi-space-size=64'];

export interface RunningNode {
  baseUrl: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Every server process a benchmark started and has not seen exit yet, so that an exit handler can
 * still kill them when the suite dies half-way (see killLiveChildren).
 */
const liveChildren = new Set<ChildProcess>();

/** Registers a child process started elsewhere, so that killLiveChildren also reaches it. */
export function trackChild(child: ChildProcess): void {
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
}

/** SIGKILLs every child started here that is still running; synchronous, safe in an 'exit' handler. */
export function killLiveChildren(): void {
  for (const child of liveChildren) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  liveChildren.clear();
}

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
}

/** Starts a Node.js HTTP server script as its own process and waits until readyPath answers 200. */
export async function startServerProcess(options: ServerProcessOptions): Promise<RunningNode> {
  if (!existsSync(options.script)) throw new Error(`${options.script} is missing`);
  // The same V8 flags as `npm start`; BENCH_NODE_ARGS adds more (e.g. --cpu-prof).
  const nodeArgs = [...NODE_FLAGS, ...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean)];
  const child = spawn(process.execPath, [...nodeArgs, options.script], {
    env: { ...process.env, NODE_ENV: 'production', LOG_LEVEL: 'warn', HOST: '127.0.0.1', PORT: String(options.port), ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  trackChild(child);
  let output = '';
  // Keep only the tail: a long benchmark must not accumulate the server's whole output.
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const baseUrl = `http://127.0.0.1:${options.port}`;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${options.name} exited with ${child.exitCode}:\n${output}`);
    try {
      const response = await fetch(`${baseUrl}${options.readyPath}`, { signal: AbortSignal.timeout(5000) });
      await response.arrayBuffer();
      if (response.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${options.name} did not become ready within ${timeoutMs / 1000} s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    baseUrl,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

/** Starts the built secondary node as its own process and waits until /health answers. */
export async function startNodeProcess(env: Record<string, string>, port: number): Promise<RunningNode> {
  if (!existsSync(NODE_MAIN)) throw new Error(`${NODE_MAIN} is missing: run npm run build first`);
  return startServerProcess({ script: NODE_MAIN, env, port, readyPath: '/health', name: 'node' });
}

/** CPU time (user + system) a process has used, in ms, read from /proc. */
export function cpuMillis(pid: number): number | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const stat = (require('node:fs') as typeof import('node:fs')).readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1000) / 100;
  } catch {
    return undefined;
  }
}

/** A port nothing listens on right now, for a server this benchmark starts. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
