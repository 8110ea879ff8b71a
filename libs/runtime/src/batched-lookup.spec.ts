import { BatchedLookup } from './batched-lookup';

/** A fetch whose statements the test completes by hand, recording the keys of each. */
function controlledFetch() {
  const calls: Array<{ keys: string[]; finish(found: Record<string, number>): void; fail(error: Error): void }> = [];
  const fetch = (keys: string[]) =>
    new Promise<Map<string, number>>((resolve, reject) => {
      calls.push({ keys, finish: (found) => resolve(new Map(Object.entries(found))), fail: reject });
    });
  return { calls, fetch };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('BatchedLookup', () => {
  it('sends a key at once while statements are free', async () => {
    const { calls, fetch } = controlledFetch();
    const lookup = new BatchedLookup(fetch, 2, 10);
    const a = lookup.load('a');
    expect(calls.map((c) => c.keys)).toEqual([['a']]);
    calls[0].finish({ a: 1 });
    await expect(a).resolves.toBe(1);
  });

  it('queues keys behind the running statements and sends them together, bounded by maxBatch', async () => {
    const { calls, fetch } = controlledFetch();
    const lookup = new BatchedLookup(fetch, 1, 3);
    const first = lookup.load('k0');
    const rest = ['k1', 'k2', 'k3', 'k4', 'k2'].map((k) => lookup.load(k));
    expect(calls).toHaveLength(1);
    expect(lookup.queued).toBe(4);
    calls[0].finish({ k0: 0 });
    await expect(first).resolves.toBe(0);
    expect(calls.map((c) => c.keys)).toEqual([['k0'], ['k1', 'k2', 'k3']]);
    calls[1].finish({ k1: 1, k3: 3 });
    await flush();
    expect(calls.map((c) => c.keys)).toEqual([['k0'], ['k1', 'k2', 'k3'], ['k4']]);
    calls[2].finish({ k4: 4 });
    // k2 was asked for twice and is absent: both callers get undefined from the one statement.
    await expect(Promise.all(rest)).resolves.toEqual([1, undefined, 3, 4, undefined]);
    expect(lookup.queued).toBe(0);
  });

  it('never runs more than maxInFlight statements', async () => {
    const { calls, fetch } = controlledFetch();
    const lookup = new BatchedLookup(fetch, 2, 100);
    const loads = Array.from({ length: 50 }, (_, i) => lookup.load(`k${i}`));
    expect(calls).toHaveLength(2);
    calls[0].finish({});
    await flush();
    expect(calls).toHaveLength(3);
    expect(calls[2].keys).toHaveLength(48);
    calls[1].finish({});
    calls[2].finish({ k49: 49 });
    const values = await Promise.all(loads);
    expect(values[49]).toBe(49);
    expect(values.filter((v) => v === undefined)).toHaveLength(49);
  });

  it('rejects every caller of a failed statement and keeps serving the next ones', async () => {
    const { calls, fetch } = controlledFetch();
    const lookup = new BatchedLookup(fetch, 1, 10);
    const a = lookup.load('a');
    const b = lookup.load('b');
    const c = lookup.load('c');
    calls[0].fail(new Error('connection lost'));
    await expect(a).rejects.toThrow('connection lost');
    await flush();
    calls[1].fail(new Error('still down'));
    await expect(b).rejects.toThrow('still down');
    await expect(c).rejects.toThrow('still down');
    const d = lookup.load('d');
    calls[2].finish({ d: 4 });
    await expect(d).resolves.toBe(4);
  });

  it('turns a fetch that throws synchronously into rejections', async () => {
    const lookup = new BatchedLookup<string, number>(() => {
      throw new Error('bad statement');
    }, 1, 10);
    await expect(lookup.load('a')).rejects.toThrow('bad statement');
    await expect(lookup.load('b')).rejects.toThrow('bad statement');
  });

  it('refuses nonsensical limits', () => {
    expect(() => new BatchedLookup(async () => new Map(), 0, 1)).toThrow();
    expect(() => new BatchedLookup(async () => new Map(), 1, 0)).toThrow();
  });
});
