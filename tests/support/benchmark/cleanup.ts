import { killLiveChildren } from '../spawned-process';

/**
 * Teardown that runs exactly once however the suite ends: normally (the caller's finally), on
 * SIGINT/SIGTERM (bounded, then exit 130/143), or on a bare process exit (children SIGKILLed,
 * which is all that can still be done synchronously).
 */
type Step = { name: string; run: () => Promise<unknown> | unknown };

const steps: Step[] = [];
let running: Promise<void> | undefined;
let installed = false;

/** Adds a teardown step; steps run in reverse order of registration, each bounded in time. */
export function onCleanup(name: string, run: Step['run']): void {
  steps.push({ name, run });
}

export function runCleanup(log: (message: string) => void = () => {}): Promise<void> {
  running ??= (async () => {
    killLiveChildren();
    while (steps.length > 0) {
      const step = steps.pop() as Step;
      try {
        await Promise.race([
          Promise.resolve().then(step.run),
          new Promise((_, reject) => setTimeout(() => reject(new Error('timed out after 30 s')), 30_000).unref()),
        ]);
      } catch (error) {
        log(`cleanup "${step.name}" failed: ${(error as Error).message}`);
      }
    }
  })();
  return running;
}

export function installExitHandlers(log: (message: string) => void): void {
  if (installed) return;
  installed = true;
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.once(signal, () => {
      log(`${signal}: cleaning up`);
      const hardStop = setTimeout(() => process.exit(code), 60_000);
      hardStop.unref();
      void runCleanup(log).finally(() => process.exit(code));
    });
  }
  process.once('exit', () => killLiveChildren());
}
