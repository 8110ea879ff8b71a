import { indexPicker, KeyPicker, seededRandom, zipfSampler } from './keys';

describe('key distributions', () => {
  it('samples Zipf ranks with the expected frequencies (s = 1.1 over 1,000 keys)', () => {
    const n = 1000;
    const s = 1.1;
    const draws = 400_000;
    const sample = zipfSampler(n, s, seededRandom(42));
    const counts = new Array<number>(n).fill(0);
    for (let i = 0; i < draws; i += 1) counts[sample()] += 1;
    const harmonic = Array.from({ length: n }, (_, k) => 1 / Math.pow(k + 1, s)).reduce((a, b) => a + b, 0);
    // The head, one by one, within 4 standard deviations of the binomial count.
    for (let k = 0; k < 20; k += 1) {
      const p = 1 / Math.pow(k + 1, s) / harmonic;
      const expected = draws * p;
      expect(Math.abs(counts[k] - expected)).toBeLessThan(4 * Math.sqrt(expected * (1 - p)));
    }
    // The tail as a whole: ranks 100..999 together.
    const tailP = Array.from({ length: n - 100 }, (_, k) => 1 / Math.pow(k + 101, s)).reduce((a, b) => a + b, 0) / harmonic;
    const tail = counts.slice(100).reduce((a, b) => a + b, 0);
    expect(Math.abs(tail - draws * tailP)).toBeLessThan(4 * Math.sqrt(draws * tailP * (1 - tailP)));
    // Monotone on average: rank 1 is drawn about 2^1.1 times as often as rank 2.
    expect(counts[0] / counts[1]).toBeGreaterThan(1.9);
    expect(counts[0] / counts[1]).toBeLessThan(2.4);
  });

  it('scatters Zipf ranks over the keys with a seeded shuffle, the same in every worker', () => {
    const keys = (worker: number) => new KeyPicker({ prefix: '88.118.8', source: { series: { stem: 'LT-', pad: 7, start: 1, count: 10_000 } }, distribution: { kind: 'zipf', s: 1.2 }, seed: 7 }, worker);
    const top = (picker: KeyPicker) => {
      const counts = new Map<string, number>();
      for (let i = 0; i < 50_000; i += 1) {
        const h = picker.next().handle;
        counts.set(h, (counts.get(h) ?? 0) + 1);
      }
      return [...counts.entries()].sort((a, b) => b[1] - a[1])[0][0];
    };
    const hottest = top(keys(0));
    expect(top(keys(1))).toBe(hottest);
    expect(hottest).not.toBe('88.118.8/LT-0000001');
  });

  it('keeps the popular keys of a seed under another draw seed, and draws them in another sequence', () => {
    const picker = (drawSeed?: number) =>
      new KeyPicker({ prefix: '88.118.8', source: { series: { stem: 'LT-', pad: 7, start: 1, count: 10_000 } }, distribution: { kind: 'zipf', s: 1.2 }, seed: 7, drawSeed });
    const draws = (p: KeyPicker, n: number) => Array.from({ length: n }, () => p.next().handle);
    const hottest = (handles: string[]) => {
      const counts = new Map<string, number>();
      for (const h of handles) counts.set(h, (counts.get(h) ?? 0) + 1);
      return [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([h]) => h);
    };
    const warmUp = draws(picker(15), 50_000);
    const measured = draws(picker(16), 50_000);
    expect(hottest(measured)).toEqual(hottest(warmUp));
    expect(measured.slice(0, 50)).not.toEqual(warmUp.slice(0, 50));
    // The same draw seed gives the same sequence; without one, the seed seeds the draws as before.
    expect(draws(picker(16), 50)).toEqual(measured.slice(0, 50));
    expect(draws(picker(), 50)).not.toEqual(measured.slice(0, 50));
    // Another seed makes other keys popular.
    const other = new KeyPicker({ prefix: '88.118.8', source: { series: { stem: 'LT-', pad: 7, start: 1, count: 10_000 } }, distribution: { kind: 'zipf', s: 1.2 }, seed: 8, drawSeed: 16 });
    expect(hottest(draws(other, 50_000))[0]).not.toBe(hottest(measured)[0]);
  });

  it('sends the hot share of the traffic to the hot share of the keys', () => {
    const pick = indexPicker(10_000, { kind: 'hot-set', hotKeys: 0.01, hotTraffic: 0.9 }, seededRandom(3));
    const counts = new Map<number, number>();
    for (let i = 0; i < 100_000; i += 1) {
      const k = pick();
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    const sorted = [...counts.values()].sort((a, b) => b - a);
    const hot = sorted.slice(0, 100).reduce((a, b) => a + b, 0);
    expect(hot / 100_000).toBeGreaterThan(0.88);
    expect(hot / 100_000).toBeLessThan(0.92);
  });

  it('asks for unknown identifiers at the configured share, and only known ones otherwise', () => {
    const picker = new KeyPicker({ prefix: '88.118.8', source: { series: { stem: 'LT-', pad: 7, start: 1, count: 500 } }, distribution: { kind: 'uniform' }, unknownShare: 0.2, seed: 1 });
    let unknown = 0;
    for (let i = 0; i < 20_000; i += 1) {
      const key = picker.next();
      if (!key.known) {
        unknown += 1;
        expect(key.handle).toMatch(/^88\.118\.8\/LT-UNKNOWN-0-\d+$/);
      } else {
        const n = Number(key.handle.slice('88.118.8/LT-'.length));
        expect(n >= 1 && n <= 500).toBe(true);
      }
    }
    expect(unknown / 20_000).toBeGreaterThan(0.18);
    expect(unknown / 20_000).toBeLessThan(0.22);
  });

  it('cycles round robin and refuses an empty key list', () => {
    const pick = indexPicker(3, { kind: 'cycle' }, Math.random);
    expect([pick(), pick(), pick(), pick()]).toEqual([0, 1, 2, 0]);
    expect(() => new KeyPicker({ prefix: 'p', source: { list: [] }, distribution: { kind: 'uniform' } })).toThrow(/empty/);
    expect(() => zipfSampler(0, 1, Math.random)).toThrow();
  });
});
