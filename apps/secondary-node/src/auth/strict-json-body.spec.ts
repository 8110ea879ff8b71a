import { duplicateKeyPath } from './strict-json-body';

describe('duplicateKeyPath', () => {
  it.each([
    ['{"username":"a","password":"b","username":"c"}', '/username'],
    ['{"username":"a","user\\u006eame":"c"}', '/username'],
    [' { "a" : { "x" : 1 , "x" : 2 } } ', '/a/x'],
    ['[{"k":1},{"k":2,"k":3}]', '/1/k'],
    ['{"a/b":1,"a/b":2}', '/a~1b'],
    ['{"":1,"":2}', '/'],
  ])('finds the duplicate in %s', (text, path) => {
    expect(duplicateKeyPath(text)).toBe(path);
  });

  it.each([
    '{"username":"a","password":"b"}',
    '{"a":{"x":1},"b":{"x":1}}',
    '[{"k":1},{"k":2}]',
    '{"s":"a \\" quote, and \\\\ a backslash","t":"{\\"k\\":1,\\"k\\":2}"}',
    '{}',
    '[]',
    '"text"',
    '12',
  ])('finds none in %s', (text) => {
    expect(duplicateKeyPath(text)).toBeUndefined();
  });

  it.each(['{"username":', '{"a" 1}', '{"a":1,,"a":2}', '{"a":"\\x"}', '', '{a:1,a:2}'])('leaves malformed JSON %s to the parser', (text) => {
    expect(duplicateKeyPath(text)).toBeUndefined();
  });

  it('stops at a depth no login body has', () => {
    expect(duplicateKeyPath(`${'['.repeat(100)}{"a":1,"a":2}${']'.repeat(100)}`)).toBeUndefined();
    expect(duplicateKeyPath(`${'['.repeat(10)}{"a":1,"a":2}${']'.repeat(10)}`)).toBe('/0/0/0/0/0/0/0/0/0/0/a');
  });
});
