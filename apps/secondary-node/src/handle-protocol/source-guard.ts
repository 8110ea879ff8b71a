/** Source addresses tracked at once; beyond it new sources share one bucket. */
const MAX_SOURCES = 100_000;
const OVERFLOW = '*';

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Per-source UDP limits: a token bucket of packets per second (answers beyond it are dropped and
 * counted by the caller), and the addresses verified by a TCP connection (a TCP handshake proves
 * the source address is real, so UDP replies to it may be larger than its requests).
 */
export class SourceGuard {
  private readonly buckets = new Map<string, Bucket>();
  private readonly verified = new Map<string, number>();
  private readonly sweepTimer: NodeJS.Timeout;

  constructor(
    private readonly packetsPerSecond: number,
    private readonly burst: number,
    private readonly verifiedTtlMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.sweepTimer = setInterval(() => this.sweep(), 10_000);
    this.sweepTimer.unref();
  }

  /** Takes one packet from `address`'s budget; false when the budget is spent. */
  allow(address: string): boolean {
    if (this.packetsPerSecond === 0) return true;
    const now = this.now();
    let bucket = this.buckets.get(address);
    if (bucket === undefined) {
      if (this.buckets.size >= MAX_SOURCES) {
        bucket = this.buckets.get(OVERFLOW);
        if (bucket === undefined) {
          bucket = { tokens: this.burst, at: now };
          this.buckets.set(OVERFLOW, bucket);
        }
      } else {
        bucket = { tokens: this.burst, at: now };
        this.buckets.set(address, bucket);
      }
    }
    const refill = ((now - bucket.at) * this.packetsPerSecond) / 1000;
    bucket.tokens = Math.min(this.burst, bucket.tokens + refill);
    bucket.at = now;
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  verify(address: string): void {
    if (this.verifiedTtlMs === 0) return;
    if (this.verified.size >= MAX_SOURCES && !this.verified.has(address)) return;
    this.verified.set(address, this.now() + this.verifiedTtlMs);
  }

  isVerified(address: string): boolean {
    const until = this.verified.get(address);
    return until !== undefined && until > this.now();
  }

  stop(): void {
    clearInterval(this.sweepTimer);
  }

  private sweep(): void {
    const now = this.now();
    for (const [address, bucket] of this.buckets) {
      if (bucket.tokens + ((now - bucket.at) * this.packetsPerSecond) / 1000 >= this.burst) this.buckets.delete(address);
    }
    for (const [address, until] of this.verified) if (until <= now) this.verified.delete(address);
  }
}
