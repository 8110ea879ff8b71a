import { ConfigError, loadNodeConfig } from './node-config';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadNodeConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error(`expected ${JSON.stringify(env)} to be refused`);
}

describe('loadNodeConfig', () => {
  it('defaults to the embedded profile on loopback', () => {
    expect(loadNodeConfig({})).toEqual({
      profile: 'embedded',
      host: '127.0.0.1',
      port: 8080,
      databaseUrl: undefined,
      dataDir: '.data',
      embeddedPostgresPort: 54329,
      secondaryPrefix: '88.118',
      nodeId: 'secondary-1',
      operatorUsername: 'operator',
      operatorPassword: undefined,
      jwtSecret: undefined,
      tokenTtlSeconds: 86400,
      bodyLimitBytes: 8 * 1024 * 1024,
      logLevel: 'log',
    });
  });

  it('uses the services profile, listening on all interfaces, when DATABASE_URL is set', () => {
    const config = loadNodeConfig({ DATABASE_URL: 'postgres://idis:pw@db.internal:5432/idis' });
    expect(config.profile).toBe('services');
    expect(config.databaseUrl).toBe('postgres://idis:pw@db.internal:5432/idis');
    expect(config.host).toBe('0.0.0.0');
    expect(config.port).toBe(8080);
    expect(loadNodeConfig({ DATABASE_URL: 'postgresql://localhost/idis' }).profile).toBe('services');
  });

  it('reads every documented variable', () => {
    const config = loadNodeConfig({
      DATABASE_URL: 'postgres://localhost/idis',
      HOST: '10.0.0.5',
      PORT: '9090',
      SECONDARY_PREFIX: '88.200',
      NODE_ID: 'secondary-wuhan',
      OPERATOR_USERNAME: 'admin.ops',
      OPERATOR_PASSWORD: 'long-enough-password',
      JWT_SECRET: 'x'.repeat(32),
      LOG_LEVEL: 'debug',
    });
    expect(config).toMatchObject({
      host: '10.0.0.5',
      port: 9090,
      secondaryPrefix: '88.200',
      nodeId: 'secondary-wuhan',
      operatorUsername: 'admin.ops',
      operatorPassword: 'long-enough-password',
      jwtSecret: 'x'.repeat(32),
      logLevel: 'debug',
    });
  });

  it('treats an empty variable as unset', () => {
    const config = loadNodeConfig({ DATABASE_URL: '', PORT: '', OPERATOR_PASSWORD: '', JWT_SECRET: '', LOG_LEVEL: '' });
    expect(config.profile).toBe('embedded');
    expect(config.port).toBe(8080);
    expect(config.operatorPassword).toBeUndefined();
    expect(config.jwtSecret).toBeUndefined();
    expect(config.logLevel).toBe('log');
  });

  it.each([
    ['PORT', 'abc', 'PORT must be an integer from 0 to 65535, got "abc"'],
    ['PORT', '65536', 'PORT must be an integer from 0 to 65535, got "65536"'],
    ['PORT', '-1', 'PORT must be an integer from 0 to 65535, got "-1"'],
    ['PORT', '80.5', 'PORT must be an integer from 0 to 65535, got "80.5"'],
    ['DATABASE_URL', 'mysql://x', 'DATABASE_URL must be a URL starting with postgres:// or postgresql://'],
    ['DATABASE_URL', 'not a url', 'DATABASE_URL must be a URL starting with postgres:// or postgresql://'],
    ['LOG_LEVEL', 'loud', 'LOG_LEVEL must be one of error, warn, log, debug, verbose, got "loud"'],
    ['JWT_SECRET', 'short-secret', 'JWT_SECRET must be at least 32 characters'],
    ['OPERATOR_PASSWORD', 'short', 'OPERATOR_PASSWORD must be at least 8 characters'],
    ['OPERATOR_USERNAME', 'bad name', 'OPERATOR_USERNAME must be 1-50 letters, digits, ".", "_" or "-"'],
  ])('refuses %s=%s, naming the variable and what it expects', (name, value, message) => {
    expect(problemsOf({ [name]: value })).toEqual([message]);
  });

  it.each(['88..1', '88.1 18', '.88', '88.118/x', 'x'.repeat(65)])('refuses SECONDARY_PREFIX=%s', (value) => {
    const problems = problemsOf({ SECONDARY_PREFIX: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^SECONDARY_PREFIX must be a handle prefix such as 88\.118: /);
  });

  it('does not echo DATABASE_URL, which may carry a password', () => {
    const [problem] = problemsOf({ DATABASE_URL: 'mysql://root:hunter2@db/idis' });
    expect(problem).not.toContain('hunter2');
  });

  it('reports every problem at once, in a message naming each variable', () => {
    const env = {
      PORT: 'abc',
      DATABASE_URL: 'mysql://x',
      SECONDARY_PREFIX: '88..1',
      LOG_LEVEL: 'loud',
      JWT_SECRET: 'too-short',
      OPERATOR_PASSWORD: 'short',
    };
    let caught: unknown;
    try {
      loadNodeConfig(env);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const error = caught as ConfigError;
    expect(error.problems).toHaveLength(6);
    for (const name of Object.keys(env)) {
      expect(error.problems.filter((p) => p.startsWith(`${name} `))).toHaveLength(1);
      expect(error.message).toContain(`  - ${name} `);
    }
    expect(error.message.split('\n')[0]).toBe('invalid configuration:');
  });
});
