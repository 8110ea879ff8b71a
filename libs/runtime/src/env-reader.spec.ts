import { ConfigError, EnvReader } from './env-reader';

function reader(env: Record<string, string | undefined>): EnvReader {
  return new EnvReader(env, []);
}

describe('EnvReader', () => {
  it('treats unset and empty values alike and returns the fallback without a problem', () => {
    const read = reader({ EMPTY: '' });
    expect(read.optional('MISSING')).toBeUndefined();
    expect(read.optional('EMPTY')).toBeUndefined();
    expect(read.string('EMPTY', 'fallback')).toBe('fallback');
    expect(read.integer('EMPTY', 5, 1, 10)).toBe(5);
    expect(read.port('EMPTY', 8080)).toBe(8080);
    expect(read.fraction('EMPTY', 0.25)).toBe(0.25);
    expect(read.boolean('EMPTY', true)).toBe(true);
    expect(read.url('EMPTY', ['http:'])).toBeUndefined();
    expect(read.oneOf('EMPTY', ['a', 'b'] as const, 'b')).toBe('b');
    expect(read.problems).toEqual([]);
  });

  it('reads good values', () => {
    const read = reader({ S: 'text', I: '42', P: '0', F: '0.5', T: 'true', N: 'false', U: 'postgresql://u@h:5432/d', O: 'debug' });
    expect(read.string('S', 'x')).toBe('text');
    expect(read.integer('I', 0, 42, 42)).toBe(42);
    expect(read.port('P', 8080)).toBe(0);
    expect(read.fraction('F', 0)).toBe(0.5);
    expect(read.boolean('T', false)).toBe(true);
    expect(read.boolean('N', true)).toBe(false);
    expect(read.url('U', ['postgres:', 'postgresql:'])).toBe('postgresql://u@h:5432/d');
    expect(read.oneOf('O', ['log', 'debug'] as const, 'log')).toBe('debug');
    expect(read.problems).toEqual([]);
  });

  it('names the variable and what it expects for each bad value, and falls back', () => {
    const problems: string[] = [];
    const read = new EnvReader(
      { I: '11', NEG: '-1', DEC: '1.5', HEX: '0x10', P: '65536', F: '1.5', F2: '0.7', FN: 'lots', B: 'yes', U: 'mysql://x', BAD: 'not a url', O: 'loud' },
      problems,
    );
    expect(read.integer('I', 3, 1, 10)).toBe(3);
    expect(read.integer('NEG', 3, 0, 10)).toBe(3);
    expect(read.integer('DEC', 3, 0, 10)).toBe(3);
    expect(read.integer('HEX', 3, 0, 100)).toBe(3);
    expect(read.port('P', 80)).toBe(80);
    expect(read.fraction('F', 0)).toBe(0);
    expect(read.fraction('F2', 0, 0.5)).toBe(0);
    expect(read.fraction('FN', 0)).toBe(0);
    expect(read.boolean('B', false)).toBe(false);
    expect(read.url('U', ['postgres:', 'postgresql:'])).toBeUndefined();
    expect(read.url('BAD', ['mqtt:'], { showValue: true })).toBeUndefined();
    expect(read.oneOf('O', ['error', 'log'] as const, 'log')).toBe('log');
    read.problem('OTHER must be something else');
    expect(problems).toEqual([
      'I must be an integer from 1 to 10, got "11"',
      'NEG must be an integer from 0 to 10, got "-1"',
      'DEC must be an integer from 0 to 10, got "1.5"',
      'HEX must be an integer from 0 to 100, got "0x10"',
      'P must be an integer from 0 to 65535, got "65536"',
      'F must be a number from 0 to 1, got "1.5"',
      'F2 must be a number from 0 to 0.5, got "0.7"',
      'FN must be a number from 0 to 1, got "lots"',
      'B must be true or false, got "yes"',
      'U must be a URL starting with postgres:// or postgresql://',
      'BAD must be a URL starting with mqtt://, got "not a url"',
      'O must be one of error, log, got "loud"',
      'OTHER must be something else',
    ]);
  });

  it('does not repeat a bad URL unless asked: it may carry a password', () => {
    const read = reader({ DATABASE_URL: 'mysql://user:hunter2@db/x' });
    read.url('DATABASE_URL', ['postgres:']);
    expect(read.problems).toHaveLength(1);
    expect(read.problems[0]).not.toContain('hunter2');
  });
});

describe('ConfigError', () => {
  it('lists every problem under a heading', () => {
    const error = new ConfigError(['A is bad', 'B is bad']);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('ConfigError');
    expect(error.problems).toEqual(['A is bad', 'B is bad']);
    expect(error.message).toBe('invalid configuration:\n  - A is bad\n  - B is bad');
    expect(new ConfigError(['C'], 'invalid simulator configuration').message).toBe('invalid simulator configuration:\n  - C');
  });
});
