import { exceedsJsonDepth, JsonDepthScanner } from './json-depth';

describe('JSON nesting depth', () => {
  const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

  it('counts objects and arrays, up to and beyond the limit', () => {
    expect(exceedsJsonDepth(nested(32), 32)).toBe(false);
    expect(exceedsJsonDepth(nested(33), 32)).toBe(true);
    expect(exceedsJsonDepth('{"a":{"b":[{"c":1}]}}', 4)).toBe(false);
    expect(exceedsJsonDepth('{"a":{"b":[{"c":1}]}}', 3)).toBe(true);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    expect(exceedsJsonDepth(JSON.stringify({ a: '[[[[[[[[[[' }), 1)).toBe(false);
    expect(exceedsJsonDepth(JSON.stringify({ a: 'say \\"[[[[\\" and \\\\' }), 1)).toBe(false);
    expect(exceedsJsonDepth('{"a":"\\"","b":[[1]]}', 2)).toBe(true);
  });

  it('counts siblings once: width is not depth', () => {
    expect(exceedsJsonDepth(JSON.stringify(Array.from({ length: 1000 }, () => [1])), 2)).toBe(false);
  });

  it('keeps its state across pieces: a string or an escape split between two chunks', () => {
    const scanner = new JsonDepthScanner(2);
    expect(scanner.exceeded(Buffer.from('{"a":"[[[\\'))).toBe(false);
    expect(scanner.exceeded(Buffer.from('"[[[", "b": [1], "c": '))).toBe(false);
    expect(scanner.exceeded(Buffer.from('[['))).toBe(true);
  });
});
