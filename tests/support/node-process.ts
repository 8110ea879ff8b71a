import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const NODE_MAIN = join(__dirname, '..', '..', 'dist', 'apps', 'secondary-node', 'apps', 'secondary-node', 'src', 'main.js');

/** The secondary node as a real process (the built dist, as `npm start` runs it). */
export class NodeProcess {
  output = '';
  private readonly exited: Promise<number | null>;

  private constructor(readonly child: ChildProcess) {
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  static spawn(env: Record<string, string>): NodeProcess {
    if (!existsSync(NODE_MAIN)) throw new Error(`${NODE_MAIN} is missing: npm test builds it first (npm run build)`);
    const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !['DATABASE_URL', 'OPERATOR_PASSWORD', 'JWT_SECRET', 'PORT'].includes(key)));
    return new NodeProcess(spawn(process.execPath, ['--max-semi-space-size=64', NODE_MAIN], { env: { ...clean, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));
  }

  /** Waits until the start-up banner is printed and returns the base URL it names. */
  async ready(timeoutMs = 90_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = /Health\s+(http:\/\/\S+)\/health/.exec(this.output);
      if (match) return match[1];
      if (this.child.exitCode !== null) throw new Error(`node exited with ${this.child.exitCode}:\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`node not ready within ${timeoutMs} ms:\n${this.output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** SIGTERM, then SIGKILL if it does not exit within 20 s; resolves with the exit code. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode !== null) return this.child.exitCode;
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 20_000);
    this.child.kill('SIGTERM');
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}
