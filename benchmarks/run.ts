/**
 * `npm run bench -- <suite>`: runs one benchmark suite and writes its results to
 * benchmarks/results/<suite>-<timestamp>.json and <suite>-latest.md.
 */
import { runHandleProtocolBenchmark } from './handle-protocol';
import { runHeavyReadsBenchmark } from './heavy-reads';
import { runIngestionBenchmark } from './ingestion';
import { runRegistrationBenchmark } from './registration';
import { runResolutionBenchmark } from './resolution';
import { runStatisticsBenchmark } from './statistics';

const suites: Record<string, (args: string[]) => Promise<void>> = {
  registration: runRegistrationBenchmark,
  resolution: runResolutionBenchmark,
  ingestion: runIngestionBenchmark,
  'heavy-reads': runHeavyReadsBenchmark,
  statistics: runStatisticsBenchmark,
  'handle-protocol': runHandleProtocolBenchmark,
};

async function main(): Promise<void> {
  const [suite, ...args] = process.argv.slice(2);
  const run = suite ? suites[suite] : undefined;
  if (!run) {
    process.stderr.write(`usage: npm run bench -- <suite>\nsuites: ${Object.keys(suites).join(', ')}\n`);
    process.exit(2);
  }
  await run(args);
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
});
