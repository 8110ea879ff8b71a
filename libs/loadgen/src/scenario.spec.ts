import { join } from 'node:path';
import { keysConfigOf, loadScenarioFile, normaliseScenario, parseMix } from './scenario';

const SCENARIOS = join(__dirname, '..', '..', '..', 'apps', 'loadtest', 'scenarios');

describe('scenarios', () => {
  it('loads the sample YAML and JSON scenarios, filling defaults', () => {
    const mixed = loadScenarioFile(join(SCENARIOS, 'mixed.yaml'));
    expect(mixed.mix.map((m) => m.op)).toEqual(['resolve', 'snms-detail', 'proxy', 'register', 'register-batch', 'update', 'epcis-mqtt', 'epcis-query', 'trace']);
    expect(mixed.phases.map((p) => p.kind)).toEqual(['warmup', 'constant', 'ramp', 'step']);
    expect(keysConfigOf(mixed)).toMatchObject({ prefix: '88.118.8', distribution: { kind: 'zipf', s: 1.1 }, unknownShare: 0.05 });
    const json = loadScenarioFile(join(SCENARIOS, 'handle-net-resolve.json'));
    expect(json).toMatchObject({ model: 'open', rate: 1000, timeoutMs: 10_000, maxRequests: 10_000_000 });
  });

  it('refuses what it does not know, credentials included, naming every problem', () => {
    const base = { keys: { prefix: '88.118.8' }, phases: [{ kind: 'constant', duration: 5 }], mix: [{ op: 'resolve', weight: 1 }] };
    expect(() => normaliseScenario({ ...base, token: 'secret' })).toThrow(/must NOT have additional properties/);
    expect(() => normaliseScenario({ ...base, phases: [{ kind: 'constant', duration: 99_999 }] })).toThrow(/phases/);
    expect(() => normaliseScenario({ ...base, mix: [{ op: 'drop-table', weight: 1 }] })).toThrow(/mix/);
    expect(() => normaliseScenario({ ...base, mix: [{ op: 'resolve', weight: 0 }] })).toThrow(/positive weight/);
    expect(() => normaliseScenario({ ...base, keys: { prefix: '88.118.8', distribution: 'hot-set' } })).toThrow(/hotKeys/);
    expect(() => normaliseScenario({ ...base, connections: 1_000_000 })).toThrow(/connections/);
    expect(() => parseMix('resolve=abc')).toThrow(/weight/);
    expect(parseMix('resolve=80, trace=2')).toEqual([
      { op: 'resolve', weight: 80 },
      { op: 'trace', weight: 2 },
    ]);
  });
});
