import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import type { OutputBundle, OutputChunk } from 'rollup';
import type { Plugin } from 'vite';

export interface BundleBudgetOptions {
  /** The most gzipped JavaScript the first page may load before any route's own chunk. */
  maxInitialGzipBytes: number;
  /** Where the figure is written (JSON) for the README, the note and the tests. */
  reportFile: string;
}

/**
 * The JavaScript a browser must fetch before the console shows anything: the entry chunk and
 * every chunk it imports statically, transitively (route pages are dynamic imports and load later).
 * Logs the gzipped total and fails the build above the budget.
 */
export function bundleBudget(options: BundleBudgetOptions): Plugin {
  return {
    name: 'idis-bundle-budget',
    apply: 'build',
    generateBundle(_output, bundle) {
      const initial = initialChunks(bundle);
      const gzipBytes = initial.reduce((sum, chunk) => sum + gzipSync(chunk.code, { level: 9 }).length, 0);
      const rawBytes = initial.reduce((sum, chunk) => sum + Buffer.byteLength(chunk.code), 0);
      const report = { initialJsGzipBytes: gzipBytes, initialJsBytes: rawBytes, budgetGzipBytes: options.maxInitialGzipBytes, chunks: initial.map((chunk) => chunk.fileName) };
      writeFileSync(options.reportFile, `${JSON.stringify(report, null, 2)}\n`);
      const line = `initial JavaScript: ${(gzipBytes / 1024).toFixed(1)} KB gzipped (${(rawBytes / 1024).toFixed(1)} KB) in ${initial.length} chunk(s); budget ${(options.maxInitialGzipBytes / 1024).toFixed(0)} KB`;
      if (gzipBytes > options.maxInitialGzipBytes) this.error(`console bundle over budget — ${line}`);
      this.info(line);
    },
  };
}

function initialChunks(bundle: OutputBundle): OutputChunk[] {
  const chunks = new Map<string, OutputChunk>();
  for (const item of Object.values(bundle)) if (item.type === 'chunk') chunks.set(item.fileName, item);
  const seen = new Set<string>();
  const queue = [...chunks.values()].filter((chunk) => chunk.isEntry).map((chunk) => chunk.fileName);
  while (queue.length > 0) {
    const name = queue.pop() as string;
    if (seen.has(name)) continue;
    seen.add(name);
    for (const imported of chunks.get(name)?.imports ?? []) queue.push(imported);
  }
  return [...seen].map((name) => chunks.get(name) as OutputChunk);
}
