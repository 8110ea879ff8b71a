/**
 * The ceiling of retry number `attempt` (1 = the first retry): `baseMs` doubled for each attempt
 * after the first, capped at `maxMs`. A retry loop that wants no jitter waits exactly this long.
 */
export function backoffCeilingMs(attempt: number, baseMs: number, maxMs: number): number {
  const exponent = Math.min(Math.max(attempt, 1) - 1, 30);
  return Math.min(maxMs, baseMs * 2 ** exponent);
}

/**
 * Delay before retry number `attempt` (1 = the first retry): exponential from `baseMs`, capped at
 * `maxMs`, with "full jitter" in the upper half so replicas retrying together spread out.
 */
export function retryDelayMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = backoffCeilingMs(attempt, baseMs, maxMs);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/**
 * A short, single-line description of a failed call, for a last-error column or a status page:
 * `NAME: detail`, NAME from `codeNames` for a numeric `code` (gRPC's `status` enum, say), `code N`
 * for a code it does not name, `ERROR` without a code.
 */
export function describeFailure(error: unknown, codeNames: Readonly<Record<number, string>> = {}): string {
  const e = error as { code?: number; details?: string; message?: string };
  const name = typeof e?.code === 'number' ? (codeNames[e.code] ?? `code ${e.code}`) : 'ERROR';
  const detail = (e?.details || e?.message || String(error)).replace(/\s+/g, ' ');
  return `${name}: ${detail}`.slice(0, 1000);
}
