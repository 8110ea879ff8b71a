export interface WaitOptions {
  /** How long to keep polling before failing (default 15 s). */
  timeoutMs?: number;
  /** Pause between two probes (default 50 ms). */
  intervalMs?: number;
  /**
   * false (default): a probe that throws counts as "not yet", and its last error is named in the
   * timeout message. true: the first error ends the wait with that error — for probes that assert
   * or that detect a condition that can never come right (a process that exited).
   */
  failOnError?: boolean;
}

/** What a probe returns while the condition does not hold yet. */
export type NotYet = undefined | null | false;

/**
 * Polls `probe` until it returns something other than undefined, null or false, and returns that.
 * Bounded in time, never a fixed sleep: fails after `timeoutMs` naming `what`.
 */
export async function waitFor<T>(what: string, probe: () => T | NotYet | Promise<T | NotYet>, options: WaitOptions = {}): Promise<T> {
  const { timeoutMs = 15_000, intervalMs = 50, failOnError = false } = options;
  const started = performance.now();
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== null && value !== false) return value as T;
    } catch (error) {
      if (failOnError) throw error;
      last = error;
    }
    if (performance.now() - started > timeoutMs) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message ?? String(last)})` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * `waitFor` for a boolean condition, resolving with the milliseconds it took to hold — for tests
 * that bound a propagation delay. Tuned for that: polls every 20 ms, fails at once if the condition
 * throws (it may assert), and gives up after 5 s unless told otherwise.
 */
export async function waitForElapsed(what: string, condition: () => boolean | Promise<boolean>, options: WaitOptions = {}): Promise<number> {
  const started = performance.now();
  await waitFor(what, condition, { timeoutMs: 5000, intervalMs: 20, failOnError: true, ...options });
  return performance.now() - started;
}

/**
 * Awaits `promise`, failing naming `what` if it has not settled within `timeoutMs` — for an
 * operation that must finish by itself (a boot that must not wait for a service that is down),
 * with a generous bound rather than a measured duration.
 */
export async function settlesWithin<T>(what: string, promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
