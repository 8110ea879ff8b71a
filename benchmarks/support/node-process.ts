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

/** Starts the built secondary node as its own process and waits until /health answers. */
export async function startNodeProcess(env: Record<string, string>, port: number): Promise<RunningNode> {
  if (!existsSync(NODE_MAIN)) throw new Error(`${NODE_MAIN} is missing: run npm run build first`);
  // The same V8 flags as `npm start`; BENCH_NODE_ARGS adds more (e.g. --cpu-prof).
  const nodeArgs = [...NODE_FLAGS, ...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean)];
  const child = spawn(process.execPath, [...nodeArgs, NODE_MAIN], {
    env: { ...process.env, NODE_ENV: 'production', LOG_LEVEL: 'warn', HOST: '127.0.0.1', PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`node exited with ${child.exitCode}:\n${output}`);
    try {
      const response = await fetch(`${baseUrl}/health`);
      if (response.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`node did not become healthy within 60 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    baseUrl,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
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
