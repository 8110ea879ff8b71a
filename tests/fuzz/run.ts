/**
 * `npm run fuzz [-- --cases=100000 --seed=N]`: the long fuzz run. Cases are spread evenly over the
 * front doors and sent one at a time to one live node; the first broken invariant stops the run
 * with the case that broke it. Writes the figures to benchmarks/results/fuzz-latest.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { casesFor, DOORS } from './front-door-cases';
import { FuzzRunner } from './fuzz-runner';
import { FuzzTarget } from './fuzz-target';

function option(name: string, fallback: number): number {
  const found = process.argv.find((a) => a.startsWith(`--${name}=`));
  return found ? Number(found.slice(name.length + 3)) : fallback;
}

async function main(): Promise<void> {
  const total = option('cases', 100_000);
  const seed = option('seed', Date.now() % 2 ** 31);
  const chunk = 500;
  const target = await FuzzTarget.start();
  const runner = new FuzzRunner(target);
  const started = Date.now();
  let failure: string | undefined;
  try {
    let round = 0;
    while (runner.stats.cases + runner.stats.unsendable < total && !failure) {
      for (const door of DOORS) {
        const cases = fc.sample(casesFor(door, target.principals), { numRuns: chunk / DOORS.length, seed: seed + round * DOORS.length + DOORS.indexOf(door) });
        for (const c of cases) {
          try {
            await runner.check(c);
          } catch (error) {
            failure = (error as Error).message;
            break;
          }
        }
        if (failure) break;
      }
      round += 1;
      if (round % 10 === 0) process.stdout.write(`[fuzz] ${runner.stats.cases} cases, ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
    }
  } finally {
    await target.stop();
  }
  const seconds = (Date.now() - started) / 1000;
  const lines = [
    `# Fuzz run (${new Date().toISOString()})`,
    '',
    `Command: \`npm run fuzz -- --cases=${total} --seed=${seed}\``,
    '',
    `${runner.stats.cases.toLocaleString('en-US')} cases in ${seconds.toFixed(0)} s (${(runner.stats.cases / seconds).toFixed(0)} cases/s) against one node process; ${runner.stats.acceptedWrites.toLocaleString('en-US')} accepted writes, ${runner.stats.unsendable} cases the HTTP client could not send.`,
    '',
    '| door | cases | outcomes |',
    '|---|---:|---|',
    ...Object.entries(runner.stats.byDoor).map(([door, d]) => `| ${door} | ${d.cases.toLocaleString('en-US')} | ${Object.entries(d.statuses).sort().map(([s, n]) => `${s}: ${n}`).join(', ')} |`),
    '',
    failure ? `**Invariant broken:**\n\n\`\`\`\n${failure}\n\`\`\`` : 'No 5xx, no crash, no refused request that changed the store.',
    '',
  ];
  const dir = join(__dirname, '..', '..', 'benchmarks', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'fuzz-latest.md'), lines.join('\n'));
  process.stdout.write(`${lines.join('\n')}\n`);
  if (failure) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
});
