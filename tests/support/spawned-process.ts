import type { ChildProcess } from 'node:child_process';
import { waitFor } from './wait-for';

export interface SpawnedProcessOptions {
  /** Keep only the last this many characters of output (a long benchmark must not hoard a server's whole log). */
  keepOutputChars?: number;
}

/** A child process under test: its output collected, its exit awaited, stopped for sure. */
export class SpawnedProcess {
  output = '';
  /** Resolves with the exit code (null when a signal ended it). */
  readonly exited: Promise<number | null>;

  constructor(
    readonly child: ChildProcess,
    protected readonly label: string,
    options: SpawnedProcessOptions = {},
  ) {
    const keep = options.keepOutputChars;
    const collect = (chunk: Buffer) => {
      this.output += chunk.toString();
      if (keep !== undefined && this.output.length > keep) this.output = this.output.slice(-keep);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
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

  /** Sends `signal` (SIGTERM by default), then SIGKILL if it has not exited within `killAfterMs`; resolves with the exit code. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', killAfterMs = 20_000): Promise<number | null> {
    if (!this.running) return this.child.exitCode;
    const timer = setTimeout(() => this.child.kill('SIGKILL'), killAfterMs);
    this.child.kill(signal);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}

/**
 * Every child process registered here and not seen exiting yet, so that an exit handler can still
 * kill them when a run dies half-way (see killLiveChildren).
 */
const liveChildren = new Set<ChildProcess>();

/** Registers a child process, so that killLiveChildren also reaches it. */
export function trackChild(child: ChildProcess): void {
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
}

/** SIGKILLs every registered child that is still running; synchronous, safe in an 'exit' handler. */
export function killLiveChildren(): void {
  for (const child of liveChildren) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  liveChildren.clear();
}
