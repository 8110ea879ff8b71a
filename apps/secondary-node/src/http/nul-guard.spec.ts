import { findNulPointer, nulProblem } from './nul-guard';

const request = (fields: { params?: unknown; query?: unknown; body?: unknown; url?: string }) => ({ params: {}, query: {}, body: undefined, url: '/x', ...fields });

describe('nulProblem', () => {
  it('finds nothing in ordinary input', () => {
    expect(nulProblem(request({ params: { '*': '88.118.8/a' }, query: { q: ['a', 'b'] }, body: { a: [1, 'x', { b: null }] } }))).toBeNull();
  });

  it('names a path parameter, a query parameter (also repeated) and a body field by JSON pointer', () => {
    expect(nulProblem(request({ params: { '*': 'a\u0000' } }))).toMatchObject({ path: 'path' });
    expect(nulProblem(request({ query: { index: ['1', '2\u0000'] } }))).toMatchObject({ path: 'index', message: expect.stringMatching(/control characters/) });
    expect(nulProblem(request({ body: { values: [{ data: { value: 'ok' } }, { data: { value: 'a\u0000b' } }] } }))).toEqual({
      path: '/values/1/data/value',
      message: '/values/1/data/value contains the NUL character U+0000 at position 1, which cannot be stored',
    });
  });

  it('escapes "/" and "~" in keys and finds a NUL in a key', () => {
    expect(findNulPointer({ 'a/b': { '~': '\u0000' } })).toEqual({ pointer: '/a~1b/~0', position: 0 });
    expect(findNulPointer({ ['k\u0000']: 1 })).toMatchObject({ position: 1 });
  });

  it('leaves SNMS batch bodies to their per-item answers, but not their query strings', () => {
    expect(nulProblem(request({ url: '/identityv2/data/batchCreate', body: [{ handle: 'a\u0000' }] }))).toBeNull();
    expect(nulProblem(request({ url: '/identityv2/data/batchCreate?x=1', query: { x: '\u0000' }, body: [] }))).toMatchObject({ path: 'x' });
  });
});
