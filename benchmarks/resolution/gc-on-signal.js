'use strict';
/**
 * Benchmark only, preloaded into the measured servers with `--expose-gc --require`: a full garbage
 * collection on SIGUSR2, so that the heap figures the resolution benchmark reads right after are
 * live data (the L1's entries), not garbage waiting for the next collection.
 */
process.on('SIGUSR2', () => {
  if (typeof global.gc === 'function') {
    global.gc();
    global.gc();
  }
});
