import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { inNetns } from './node-process';
import { SpawnedProcess } from './spawned-process';

export const TOP_LEVEL_MAIN = join(__dirname, '..', '..', 'dist', 'apps', 'top-level-node', 'apps', 'top-level-node', 'src', 'main.js');

/** The top-level node as a real process (the built dist, as `npm run start:top-level` runs it). */
export class TopLevelProcess extends SpawnedProcess {
  /**
   * Inherits the environment except DATABASE_URL and ENROLMENT_TOKEN; LOG_LEVEL warn unless `env` says otherwise.
   * `netns`: run it in that network namespace (as NodeProcess.spawn).
   */
  static spawn(env: Record<string, string>, options: { netns?: string } = {}): TopLevelProcess {
    if (!existsSync(TOP_LEVEL_MAIN)) throw new Error(`${TOP_LEVEL_MAIN} is missing: npm test builds it first (npm run build)`);
    const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !['DATABASE_URL', 'ENROLMENT_TOKEN'].includes(key)));
    const [command, args] = inNetns(options.netns, process.execPath, [TOP_LEVEL_MAIN]);
    return new TopLevelProcess(spawn(command, args, { env: { ...clean, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] }), 'the top level');
  }

  /** Waits for the TOP_LEVEL_READY line and returns the addresses it names. */
  async ready(timeoutMs = 60_000): Promise<{ grpcAddress: string; httpUrl: string }> {
    const [, grpcAddress, httpUrl] = await this.waitForOutput(/^TOP_LEVEL_READY grpc=(\S+) http=(\S+)$/m, timeoutMs);
    return { grpcAddress, httpUrl };
  }
}
