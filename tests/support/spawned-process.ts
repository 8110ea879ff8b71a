import type { ChildProcess } from 'node:child_process';
import { waitFor } from './wait-for';

/** A child process under test: its output collected, its exit awaited, stopped for sure. */
export class SpawnedProcess {
  output = '';
  /** Resolves with the exit code (null when a signal ended it). */
  readonly exited: Promise<number | null>;

  constructor(
    readonly child: ChildProcess,
    private readonly label: string,
  ) {
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Waits until the output matches `pattern` and returns the match; fails at once if the process exits first. */
  async waitForOutput(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
    try {
      return await waitFor(
        `${this.label} to print ${pattern}`,
        () => {
          const match = pattern.exec(this.output);
          if (match) return match;
          if (this.child.exitCode !== null) throw new Error(`${this.label} exited with ${this.child.exitCode}`);
          return undefined;
        },
        { timeoutMs, intervalMs: 100, failOnError: true },
      );
    } catch (error) {
      throw new Error(`${(error as Error).message}:\n${this.output}`);
    }
  }

  /** Sends `signal` (SIGTERM by default), then SIGKILL if it has not exited within 20 s; resolves with the exit code. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (!this.running) return this.child.exitCode;
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 20_000);
    this.child.kill(signal);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}
