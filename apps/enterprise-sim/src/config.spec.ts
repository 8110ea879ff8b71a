import { loadSimConfig, SimConfigError } from './config';

const NOW = new Date('2025-06-10T03:00:00Z'); // 11:00 in UTC+8

function problemsOf(env: Record<string, string>, argv: string[] = []): string[] {
  try {
    loadSimConfig(env, argv, NOW);
  } catch (error) {
    if (error instanceof SimConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('simulator configuration', () => {
  it('has small, bounded defaults', () => {
    const config = loadSimConfig({}, [], NOW);
    expect(config).toMatchObject({
      nodeUrl: 'http://127.0.0.1:8080',
      mqttUrl: 'mqtt://127.0.0.1:1883',
      mqttProtocol: 'auto',
      secondaryPrefix: '88.118',
      firstCode: 9101,
      counts: { supplier: 1, manufacturer: 1, distributor: 1, retailer: 2 },
      seed: '1',
      maxEvents: 1000,
      ratePerSecond: 200,
      maxDurationMs: 60_000,
      register: true,
      operator: undefined,
    });
    // 00:00 at UTC+8 fourteen days before 2025-06-10
    expect(config.startTime.toISOString()).toBe('2025-05-26T16:00:00.000Z');
  });

  it('takes the operator from SIM_OPERATOR_* or else the node variables', () => {
    expect(loadSimConfig({ OPERATOR_PASSWORD: 'node-secret-1' }, [], NOW).operator).toEqual({ username: 'operator', password: 'node-secret-1' });
    expect(loadSimConfig({ OPERATOR_PASSWORD: 'x', SIM_OPERATOR_PASSWORD: 'sim-secret-1', SIM_OPERATOR_USERNAME: 'root' }, [], NOW).operator).toEqual({
      username: 'root',
      password: 'sim-secret-1',
    });
  });

  it('lets --flags override variables', () => {
    const config = loadSimConfig({ SIM_MAX_EVENTS: '10', SIM_RATE: '5' }, ['--max-events=2000', '--rate=0', '--seed=abc', '--start-time=2025-01-15T08:00:00+08:00', '--mqtt-protocol=4'], NOW);
    expect(config).toMatchObject({ maxEvents: 2000, ratePerSecond: undefined, seed: 'abc', mqttProtocol: 4 });
    expect(config.startTime.toISOString()).toBe('2025-01-15T00:00:00.000Z');
  });

  it('names the variable of every bad value', () => {
    const problems = problemsOf({
      SIM_NODE_URL: 'ftp://x',
      MQTT_URL: 'not a url',
      SIM_MAX_EVENTS: '0',
      SIM_RATE: '-1',
      SIM_MAX_DURATION_SECONDS: '100000',
      SIM_RETAILERS: '21',
      SIM_INVALID_FRACTION: '0.7',
      SIM_DUPLICATE_FRACTION: 'lots',
      SIM_START_TIME: 'yesterday',
      SIM_MQTT_PROTOCOL: '3',
      SIM_REGISTER: 'yes',
      SIM_ENTERPRISE_PASSWORD: 'short',
      SIM_SECONDARY_PREFIX: 'abc/def',
      SIM_CLIENT_ID: 'has space',
    });
    for (const name of [
      'SIM_NODE_URL',
      'MQTT_URL',
      'SIM_MAX_EVENTS',
      'SIM_RATE',
      'SIM_MAX_DURATION_SECONDS',
      'SIM_RETAILERS',
      'SIM_INVALID_FRACTION',
      'SIM_DUPLICATE_FRACTION',
      'SIM_START_TIME',
      'SIM_MQTT_PROTOCOL',
      'SIM_REGISTER',
      'SIM_ENTERPRISE_PASSWORD',
      'SIM_SECONDARY_PREFIX',
      'SIM_CLIENT_ID',
    ]) {
      expect(problems.some((p) => p.startsWith(name))).toBe(true);
    }
    expect(problems).toHaveLength(14);
  });

  it('gets MQTT credentials per enterprise from the node unless shared ones are given', () => {
    expect(loadSimConfig({}, [], NOW).mqttCredentials).toBe('node');
    expect(loadSimConfig({ MQTT_USERNAME: 'u', MQTT_PASSWORD: 'p' }, [], NOW).mqttCredentials).toBe('shared');
    expect(loadSimConfig({ MQTT_USERNAME: 'u' }, ['--mqtt-credentials=node'], NOW).mqttCredentials).toBe('node');
    expect(problemsOf({ SIM_MQTT_CREDENTIALS: 'mine' })).toEqual(['SIM_MQTT_CREDENTIALS must be node or shared, got "mine"']);
  });

  it('draws broken messages from every kind, or from those listed', () => {
    expect(loadSimConfig({}, [], NOW).invalidKinds).toHaveLength(6);
    expect(loadSimConfig({}, ['--invalid-kinds=malformed-json, bad-time-zone'], NOW).invalidKinds).toEqual(['malformed-json', 'bad-time-zone']);
    expect(problemsOf({ SIM_INVALID_KINDS: 'malformed-json,teleport' })[0]).toMatch(/^SIM_INVALID_KINDS must be a comma-separated list of malformed-json/);
    expect(problemsOf({ SIM_INVALID_KINDS: ',' })[0]).toMatch(/^SIM_INVALID_KINDS/);
  });

  it('refuses unknown or malformed flags', () => {
    expect(problemsOf({}, ['--max-event=5'])[0]).toMatch(/unknown argument "--max-event=5"/);
    expect(problemsOf({}, ['--max-events'])[0]).toMatch(/unknown argument/);
    expect(problemsOf({}, ['extra'])[0]).toMatch(/unknown argument "extra"/);
  });
});
