export interface PeriodicTaskOptions {
  intervalMs: number;
  /** Called with whatever a tick throws (the tick then resolves undefined); errors are dropped without it. */
  onError?: (error: unknown) => void;
}

/**
 * Runs `tick` every `intervalMs` on an unref'd timer (it never keeps the process alive), never two
 * ticks at once: a tick due while one is running is skipped, and `runNow` during a tick shares it.
 * `stop` clears the timer and waits for the running tick; nothing starts after it.
 */
export class PeriodicTask<T> {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<T | undefined> | undefined;
  private stoppedFlag = false;

  constructor(
    private readonly tick: () => Promise<T>,
    private readonly options: PeriodicTaskOptions,
  ) {}

  get stopped(): boolean {
    return this.stoppedFlag;
  }

  /** True while a tick runs. */
  get busy(): boolean {
    return this.running !== undefined;
  }

  /** Starts the timer (once; not after stop). The first tick comes after one interval. */
  start(): void {
    if (this.timer || this.stoppedFlag) return;
    this.timer = setInterval(() => void this.runNow(), this.options.intervalMs);
    this.timer.unref();
  }

  /** Runs a tick now, or joins the one running; undefined once stopped or when the tick failed. Never rejects. */
  runNow(): Promise<T | undefined> {
    if (this.running) return this.running;
    if (this.stoppedFlag) return Promise.resolve(undefined);
    this.running = this.runTick().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  async stop(): Promise<void> {
    this.stoppedFlag = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private async runTick(): Promise<T | undefined> {
    try {
      return await this.tick();
    } catch (error) {
      try {
        this.options.onError?.(error);
      } catch {
        // a failing error handler must not turn into an unhandled rejection
      }
      return undefined;
    }
  }
}
