export type BreakerState = 'closed' | 'open' | 'half_open';

export interface CircuitBreakerOptions {
  /** Consecutive failures (errors or timeouts) that open the breaker. */
  failureThreshold: number;
  /** How long the breaker stays open before it probes. */
  cooldownMs: number;
  /** One cheap command (PING); its success closes the breaker, its failure opens it for another cooldown. */
  probe: () => Promise<unknown>;
  onStateChange?: (state: BreakerState, cause?: unknown) => void;
}

/**
 * Keeps a sick Redis from costing every request a timeout. Closed: commands go through and
 * consecutive failures are counted. Open: callers skip Redis at once (no timeout paid). After the
 * cooldown the breaker goes half-open and sends ONE probe itself, on a timer rather than on some
 * unlucky request, so neither a request pays for the probe nor does recovery wait for traffic.
 * While open or half-open, results of commands sent earlier are ignored: only the probe decides.
 */
export class CircuitBreaker {
  private current: BreakerState = 'closed';
  private consecutiveFailures = 0;
  private probeTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly options: CircuitBreakerOptions) {}

  get state(): BreakerState {
    return this.current;
  }

  /** Whether a command may be sent now. */
  get allowsRequests(): boolean {
    return this.current === 'closed';
  }

  recordSuccess(): void {
    if (this.current === 'closed') this.consecutiveFailures = 0;
  }

  recordFailure(cause: unknown): void {
    if (this.current !== 'closed') return;
    this.consecutiveFailures += 1;
    if (this.consecutiveFailures >= this.options.failureThreshold) this.open(cause);
  }

  /** Stops probing (module shutdown); the state no longer changes. */
  stop(): void {
    this.stopped = true;
    if (this.probeTimer) clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
  }

  private open(cause: unknown): void {
    this.current = 'open';
    this.consecutiveFailures = 0;
    this.options.onStateChange?.('open', cause);
    if (this.stopped) return;
    this.probeTimer = setTimeout(() => void this.probe(), this.options.cooldownMs);
    this.probeTimer.unref();
  }

  private async probe(): Promise<void> {
    this.probeTimer = undefined;
    if (this.stopped) return;
    this.current = 'half_open';
    this.options.onStateChange?.('half_open');
    let failure: { cause: unknown } | undefined;
    try {
      await this.options.probe();
    } catch (cause) {
      failure = { cause };
    }
    if (this.stopped) return;
    if (failure) {
      this.open(failure.cause);
      return;
    }
    this.current = 'closed';
    this.options.onStateChange?.('closed');
  }
}
