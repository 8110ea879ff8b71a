/**
 * A worker process of a run with --workers N: receives its share of the engine options from the
 * parent, streams its per-second buckets, and sends its part at the end. Ctrl-C reaches every
 * process of the terminal's group: a worker ignores SIGINT and stops when the parent says so, so
 * that its partial part still reaches the parent's report.
 */
import { type EngineOptions, runEngine } from './engine';

const controller = new AbortController();
process.on('SIGINT', () => undefined);
process.on('message', (message: { type: string; options?: Omit<EngineOptions, 'onSecond'> }) => {
  if (message.type === 'stop') controller.abort();
  if (message.type !== 'start' || !message.options) return;
  runEngine({ ...message.options, onSecond: (bucket) => process.send?.({ type: 'second', bucket }) }, controller.signal)
    .then((part) => process.send?.({ type: 'done', part }, () => process.exit(0)))
    .catch((error: Error) => process.send?.({ type: 'error', error: error.message }, () => process.exit(1)));
});
process.on('disconnect', () => controller.abort());
