import { EventHub } from './event-hub';

describe('EventHub', () => {
  it('runs awaited listeners in subscription order and resolves after the last', async () => {
    const hub = new EventHub();
    const order: string[] = [];
    hub.on('prefix.homed', async ({ prefixKey }) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      order.push(`first ${prefixKey}`);
    });
    hub.on('prefix.homed', ({ prefixKey }) => {
      order.push(`second ${prefixKey}`);
    });
    await hub.emit('prefix.homed', { prefix: '88.118.8', prefixKey: '88.118.8' });
    expect(order).toEqual(['first 88.118.8', 'second 88.118.8']);
  });

  it('rejects with the first failure after every listener ran, so the emitter fails as a direct call would', async () => {
    const hub = new EventHub();
    const ran: string[] = [];
    hub.on('identifiers.written', () => {
      ran.push('a');
      throw new Error('redis refused the eviction');
    });
    hub.on('identifiers.written', async () => {
      ran.push('b');
      throw new Error('second failure');
    });
    hub.on('identifiers.written', () => {
      ran.push('c');
    });
    await expect(hub.emit('identifiers.written', { operation: 'create', records: [{ handleKey: '88.118.8/a', prefixKey: '88.118.8' }] })).rejects.toThrow('redis refused the eviction');
    expect(ran).toEqual(['a', 'b', 'c']);
  });

  it('resolves at once when nobody listens, and stops calling an unsubscribed listener', async () => {
    const hub = new EventHub();
    await expect(hub.emit('records.invalidate-all', { reason: 'test' })).resolves.toBeUndefined();
    const seen: string[] = [];
    const off = hub.on('records.invalidate-all', ({ reason }) => {
      seen.push(reason);
    });
    expect(hub.hasListeners('records.invalidate-all')).toBe(true);
    await hub.emit('records.invalidate-all', { reason: 'one' });
    off();
    await hub.emit('records.invalidate-all', { reason: 'two' });
    expect(seen).toEqual(['one']);
    expect(hub.hasListeners('records.invalidate-all')).toBe(false);
  });

  it('delivers signals synchronously with their positional arguments', () => {
    const hub = new EventHub();
    const seen: unknown[][] = [];
    hub.onSignal('resolution.observed', (prefixKey, outcome, seconds, door) => seen.push([prefixKey, outcome, seconds, door]));
    hub.onSignal('foreign-prefix.located', (prefixKey) => seen.push([prefixKey]));
    hub.signal('resolution.observed', '88.118.8', 'l1', 0.00003, 'handle_rest');
    hub.signal('foreign-prefix.located', '88.200.5');
    expect(seen).toEqual([['88.118.8', 'l1', 0.00003, 'handle_rest'], ['88.200.5']]);
  });

  it('lets a listener subscribed during an emit wait for the next one', async () => {
    const hub = new EventHub();
    const calls: string[] = [];
    hub.on('prefix.requested', ({ prefix }) => {
      calls.push(`outer ${prefix}`);
      hub.on('prefix.requested', ({ prefix: inner }) => {
        calls.push(`inner ${inner}`);
      });
    });
    await hub.emit('prefix.requested', { prefix: 'x' });
    expect(calls).toEqual(['outer x']);
  });
});
