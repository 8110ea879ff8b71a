import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SpawnedProcess } from './spawned-process';

/** `command args` as run in network namespace `netns` (unchanged without one). */
export function inNetns(netns: string | undefined, command: string, args: string[]): [string, string[]] {
  return netns ? ['ip', ['netns', 'exec', netns, command, ...args]] : [command, args];
}

export const NODE_MAIN = join(__dirname, '..', '..', 'dist', 'apps', 'secondary-node', 'apps', 'secondary-node', 'src', 'main.js');

/**
 * The V8 flags of `npm start`. A 64 MiB young generation: a 2,000-item batch allocates tens of MB
 * of short-lived objects, and with the default semi-space GC took ~40 % of the node's CPU
 * (measured with --cpu-prof).
 */
export const NODE_FLAGS = ['--max-semi-space-size=64'];

/** The secondary node as a real process (the built dist, as `npm start` runs it). */
export class NodeProcess extends SpawnedProcess {
  /**
   * The Handle protocol listens on a free port unless `env` names one (several nodes run at once; 2641 is the services default).
   * `netns`: run it in that network namespace (`ip netns exec`, which execs: the pid is the node's).
   */
  static spawn(env: Record<string, string>, options: { netns?: string } = {}): NodeProcess {
    if (!existsSync(NODE_MAIN)) throw new Error(`${NODE_MAIN} is missing: npm test builds it first (npm run build)`);
    const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !['DATABASE_URL', 'OPERATOR_PASSWORD', 'JWT_SECRET', 'PORT'].includes(key)));
    const [command, args] = inNetns(options.netns, process.execPath, [...NODE_FLAGS, NODE_MAIN]);
    return new NodeProcess(spawn(command, args, { env: { ...clean, LOG_LEVEL: 'warn', RATE_LIMITS_ENABLED: 'false', HANDLE_PROTOCOL_PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] }), 'the node');
  }

  /** Waits until the start-up banner is printed and returns the base URL it names. */
  async ready(timeoutMs = 90_000): Promise<string> {
    return (await this.waitForOutput(/Health\s+(http:\/\/\S+)\/health/, timeoutMs))[1];
  }
}
