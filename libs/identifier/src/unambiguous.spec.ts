import { IdentifierError, checkWritableSuffix, dotSegmentProblem, parseAssignablePrefix, parsePrefix } from './index';

describe('parseAssignablePrefix', () => {
  it.each(['88.118.8', '88.118.0', '88.118.80', '88.118.abc', '88.118.a0'])('accepts %s', (prefix) => {
    expect(parseAssignablePrefix(prefix)).toEqual(parsePrefix(prefix));
  });

  it.each(['88.118.08', '88.0118', '088.118.8', '88.118.00', '88.118.0a'])('refuses the look-alike %s', (prefix) => {
    expect(() => parseAssignablePrefix(prefix)).toThrow(IdentifierError);
    expect(() => parseAssignablePrefix(prefix)).toThrow(/leading zero/);
  });

  it('still refuses what parsePrefix refuses', () => {
    expect(() => parseAssignablePrefix('88..8')).toThrow(/empty/);
  });
});

describe('dotSegmentProblem', () => {
  it.each(['.', '..', 'a/..', 'a/./b', './x', '../x', 'a/b/.'])('names the dot segment in %s', (suffix) => {
    expect(dotSegmentProblem(suffix)).toMatch(/path segment/);
    expect(() => checkWritableSuffix(suffix)).toThrow(IdentifierError);
  });

  it.each(['a', '.a', 'a.', '...', 'a/...b', 'v1.2/x', 'a//b'])('accepts %s', (suffix) => {
    expect(dotSegmentProblem(suffix)).toBeNull();
  });
});
