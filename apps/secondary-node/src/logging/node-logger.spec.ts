import { Writable } from 'node:stream';
import { createPino, NodeLogger } from './node-logger';

function capture(level: 'info' | 'debug' = 'info', format: 'json' | 'pretty' = 'json'): { logger: NodeLogger; text: () => string; lines: () => Array<Record<string, unknown>> } {
  let text = '';
  // Written synchronously, as pino writes: every line is there when the call returns.
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  const logger = new NodeLogger(createPino({ level, format, resolutionSampleRate: 0 }, sink));
  return {
    logger,
    text: () => text,
    lines: () =>
      text
        .split('\n')
        .filter((line) => line.length > 0)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

describe('NodeLogger (pino behind Nest)', () => {
  it('writes one JSON line per call with the level, message and Nest context', () => {
    const { logger, lines } = capture();
    logger.log('node started', 'Node');
    logger.warn('slow', 'Upstream');
    logger.error('boom', 'Error: boom\n    at x', 'HTTP');
    logger.debug('hidden at info', 'Node');
    expect(lines()).toEqual([
      expect.objectContaining({ level: 30, msg: 'node started', context: 'Node' }),
      expect.objectContaining({ level: 40, msg: 'slow', context: 'Upstream' }),
      expect.objectContaining({ level: 50, msg: 'boom', context: 'HTTP', stack: 'Error: boom\n    at x' }),
    ]);
  });

  it('merges an object message into the line', () => {
    const { logger, lines } = capture();
    logger.log({ msg: 'ingestion batch committed', batchId: 'b-1', stored: 3 }, 'Ingestion');
    expect(lines()).toEqual([expect.objectContaining({ msg: 'ingestion batch committed', batchId: 'b-1', stored: 3, context: 'Ingestion' })]);
  });

  it('keeps the route-mapping chatter of start-up at debug', () => {
    const { logger, lines } = capture();
    logger.log('Mapped {/api/v1/audit, GET} route', 'RouterExplorer');
    logger.log('AuditController {/api/v1/audit}:', 'RoutesResolver');
    logger.log('AppModule dependencies initialized', 'InstanceLoader');
    expect(lines()).toEqual([]);
    const verbose = capture('debug');
    verbose.logger.log('Mapped {/api/v1/audit, GET} route', 'RouterExplorer');
    expect(verbose.lines()).toEqual([expect.objectContaining({ level: 20, context: 'RouterExplorer' })]);
  });

  it('never writes credentials found in a logged object', () => {
    const { logger, lines } = capture();
    logger.log({ msg: 'x', authorization: 'Bearer abc.def.ghi', password: 'hunter2', headers: { authorization: 'Basic Zm9v', 'x-api-key': 'key-secret' }, nested: { token: 't0k3n' } }, 'Test');
    const text = JSON.stringify(lines());
    for (const secret of ['abc.def.ghi', 'hunter2', 'Zm9v', 'key-secret', 't0k3n']) expect(text).not.toContain(secret);
    expect(lines()[0]).toMatchObject({ authorization: '[redacted]', password: '[redacted]' });
  });

  it('writes human-readable lines in the pretty format (a terminal), still without credentials', () => {
    const { logger, text } = capture('info', 'pretty');
    logger.log({ msg: 'request', method: 'PUT', status: 200, authorization: 'Bearer abc.def.ghi' }, 'HTTP');
    expect(text()).toMatch(/INFO.*request/);
    expect(text()).toContain('method: "PUT"');
    expect(() => JSON.parse(text())).toThrow();
    expect(text()).not.toContain('abc.def.ghi');
  });
});
