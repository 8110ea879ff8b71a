import type { ResolutionCache } from '../resolution/resolution-cache';
import { hashHandleBytes, type ReplyTemplate, ReplyTemplates } from './reply-templates';

describe('ReplyTemplates', () => {
  const cache = { memoryTrusted: true, invalidationSequence: 1, changedSince: (key: string) => key === 'changed' };
  const make = (spelling: string, overrides: Partial<ReplyTemplate> = {}): ReplyTemplate => {
    const key = Buffer.from(spelling, 'utf8');
    return { key, hash: hashHandleBytes(key, 0, key.length), next: undefined, handleKey: spelling.toLowerCase(), prefixKey: '88.118.8', outcome: 'l1', hasPrivateValues: false, foreign: false, expiresAt: Date.now() + 60_000, sequence: 1, packet: Buffer.from(spelling), unreported: 0, unreportedSeconds: 0, ...overrides };
  };
  const find = (templates: ReplyTemplates, spelling: string, now = Date.now()) => {
    const request = Buffer.concat([Buffer.from('xx'), Buffer.from(spelling, 'utf8'), Buffer.from('yy')]);
    return templates.current(request, 2, request.length - 4, now);
  };

  beforeEach(() => {
    cache.memoryTrusted = true;
    cache.invalidationSequence = 1;
  });

  it('finds a template by the bytes of the request, spelling by spelling', () => {
    const templates = new ReplyTemplates(cache as unknown as ResolutionCache, 10);
    templates.remember(make('88.118.8/A'));
    templates.remember(make('88.118.8/a'));
    expect(find(templates, '88.118.8/A')?.packet.toString()).toBe('88.118.8/A');
    expect(find(templates, '88.118.8/a')?.packet.toString()).toBe('88.118.8/a');
    expect(find(templates, '88.118.8/B')).toBeUndefined();
    expect(templates.size).toBe(2);
  });

  it('keeps templates whose hashes collide apart, and removes either without losing the other', () => {
    const templates = new ReplyTemplates(cache as unknown as ResolutionCache, 10);
    // Two real spellings with the same hash (30 bits: a collision within some 10^5 tries).
    const seen = new Map<number, string>();
    let pair: [string, string] | undefined;
    for (let i = 0; pair === undefined; i += 1) {
      const spelling = `88.118.8/${i}`;
      const key = Buffer.from(spelling);
      const hash = hashHandleBytes(key, 0, key.length);
      const earlier = seen.get(hash);
      if (earlier !== undefined) pair = [earlier, spelling];
      seen.set(hash, spelling);
    }
    const first = make(pair[0]);
    const second = make(pair[1]);
    expect(second.hash).toBe(first.hash);
    templates.remember(first);
    templates.remember(second);
    expect(find(templates, pair[0])).toBe(first);
    expect(find(templates, pair[1])).toBe(second);
    // The older one (second in its chain) expires: found no more, the other still is.
    first.expiresAt = 0;
    expect(find(templates, pair[0])).toBeUndefined();
    expect(find(templates, pair[1])).toBe(second);
    expect(templates.size).toBe(1);
    second.expiresAt = 0;
    expect(find(templates, pair[1])).toBeUndefined();
    expect(templates.size).toBe(0);
  });

  it('retires a template whose handle changed since it was built, and keeps one whose handle did not', () => {
    const templates = new ReplyTemplates(cache as unknown as ResolutionCache, 10);
    templates.remember(make('changed', { handleKey: 'changed' }));
    templates.remember(make('kept', { handleKey: 'kept' }));
    cache.invalidationSequence = 2;
    expect(find(templates, 'changed')).toBeUndefined();
    expect(find(templates, 'kept')?.sequence).toBe(2);
    cache.memoryTrusted = false;
    expect(find(templates, 'kept')).toBeUndefined();
  });

  it('replaces a template of the same spelling, and stays within its bound', () => {
    const templates = new ReplyTemplates(cache as unknown as ResolutionCache, 2);
    templates.remember(make('a'));
    templates.remember(make('a', { packet: Buffer.from('newer') }));
    expect(templates.size).toBe(1);
    expect(find(templates, 'a')?.packet.toString()).toBe('newer');
    for (const spelling of ['b', 'c', 'd', 'e', 'f']) {
      templates.remember(make(spelling));
      expect(templates.size).toBeLessThanOrEqual(2);
      expect(find(templates, spelling)?.packet.toString()).toBe(spelling);
    }
    expect(['a', 'b', 'c', 'd', 'e', 'f'].filter((spelling) => find(templates, spelling) !== undefined).length).toBe(templates.size);
  });
});
