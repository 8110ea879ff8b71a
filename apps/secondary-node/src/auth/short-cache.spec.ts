import { ShortCache } from './short-cache';

describe('ShortCache', () => {
  afterEach(() => jest.useRealTimers());

  it('answers from memory within the ttl and reads again after it', async () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const cache = new ShortCache<number>(2000);
    let loads = 0;
    const load = async () => (loads += 1);
    expect(await cache.get('a', load)).toBe(1);
    jest.setSystemTime(1_001_999);
    expect(await cache.get('a', load)).toBe(1);
    jest.setSystemTime(1_002_000);
    expect(await cache.get('a', load)).toBe(2);
  });

  it('shares one load between concurrent callers', async () => {
    const cache = new ShortCache<string>(1000);
    let loads = 0;
    const load = () => new Promise<string>((resolve) => setImmediate(() => resolve(`v${(loads += 1)}`)));
    expect(await Promise.all([cache.get('k', load), cache.get('k', load), cache.get('k', load)])).toEqual(['v1', 'v1', 'v1']);
  });

  it('reads again after forget, after a failed load, and always with a ttl of 0', async () => {
    const cache = new ShortCache<number>(60_000);
    let loads = 0;
    await cache.get('k', async () => (loads += 1));
    cache.forget('k');
    expect(await cache.get('k', async () => (loads += 1))).toBe(2);
    await expect(cache.get('f', async () => Promise.reject(new Error('db down')))).rejects.toThrow('db down');
    expect(await cache.get('f', async () => 7)).toBe(7);
    const uncached = new ShortCache<number>(0);
    let n = 0;
    await uncached.get('k', async () => (n += 1));
    expect(await uncached.get('k', async () => (n += 1))).toBe(2);
  });

  it('stays bounded', async () => {
    const cache = new ShortCache<number>(60_000, 3);
    for (let i = 0; i < 10; i += 1) await cache.get(`k${i}`, async () => i);
    expect((cache as unknown as { entries: Map<string, unknown> }).entries.size).toBeLessThanOrEqual(3);
  });

  it('peeks at a loaded, fresh entry without loading: nothing while loading, after it fails, or once expired', async () => {
    jest.useFakeTimers({ now: 1_000_000, doNotFake: ['nextTick', 'setImmediate'] });
    try {
      const cache = new ShortCache<string | null>(2_000);
      expect(cache.peek('a')).toBeUndefined();
      let release: (value: string) => void = () => undefined;
      const loading = cache.get('a', () => new Promise<string>((resolve) => (release = resolve)));
      expect(cache.peek('a')).toBeUndefined();
      release('standing');
      await loading;
      expect(cache.peek('a')).toEqual({ value: 'standing' });
      await cache.get('gone', async () => null);
      expect(cache.peek('gone')).toEqual({ value: null });
      await expect(cache.get('f', async () => Promise.reject(new Error('db down')))).rejects.toThrow('db down');
      expect(cache.peek('f')).toBeUndefined();
      jest.advanceTimersByTime(2_001);
      expect(cache.peek('a')).toBeUndefined();
    } finally {
      jest.useRealTimers();
    }
  });
});
