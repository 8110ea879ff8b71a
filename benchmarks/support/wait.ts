/**
 * Polls `probe` until it is true, failing after `timeoutMs`. `retryOnError`: a probe that throws
 * counts as "not yet" (a server still starting) instead of ending the wait.
 */
export async function waitUntil(
  what: string,
  probe: () => Promise<boolean> | boolean,
  options: { timeoutMs: number; intervalMs: number; retryOnError?: boolean },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  const check = async (): Promise<boolean> => {
    try {
      return await probe();
    } catch (error) {
      if (options.retryOnError) return false;
      throw error;
    }
  };
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${options.timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs));
  }
}
