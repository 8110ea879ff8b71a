import {
  HandleAuthorizationError,
  handleAuthorizationFromJson,
  isAuthenticating,
  isHandleScheme,
  parseHandleAuthorization,
} from './handle-authorization-header';

describe('parseHandleAuthorization', () => {
  it('reads quoted and bare parameters, percent-decoding the id only', () => {
    const header =
      'Handle version="0", sessionId="abc_-1", id="300%3A88.118.8%2FADMIN", type="HS_PUBKEY", cnonce="Y24=", alg=SHA256, signature="c2ln+/=="';
    expect(parseHandleAuthorization(header)).toEqual({
      version: '0',
      sessionId: 'abc_-1',
      id: '300:88.118.8/ADMIN',
      type: 'HS_PUBKEY',
      cnonce: 'Y24=',
      alg: 'SHA256',
      signature: 'c2ln+/==',
    });
  });

  it('is case-insensitive in the scheme and the parameter names, and ignores unknown parameters', () => {
    expect(parseHandleAuthorization('handle SESSIONID="s1", realm="x" ')).toEqual({ sessionId: 's1' });
  });

  it('unescapes backslashes in quoted strings', () => {
    expect(parseHandleAuthorization('Handle sessionId="a\\"b"').sessionId).toBe('a"b');
  });

  it('reads the clientCert request pyhandle sends', () => {
    expect(parseHandleAuthorization('Handle clientCert="true"')).toEqual({ clientCert: 'true' });
  });

  it('tells a session reference from an authentication', () => {
    expect(isAuthenticating(parseHandleAuthorization('Handle sessionId="s"'))).toBe(false);
    expect(isAuthenticating(parseHandleAuthorization('Handle sessionId="s", id="300:88.1/A"'))).toBe(true);
  });

  it.each([
    ['another scheme', 'Bearer abc'],
    ['no parameters', 'Handle '],
    ['a parameter without a value', 'Handle sessionId='],
    ['a missing comma', 'Handle sessionId="a" id="b"'],
    ['an unterminated quote', 'Handle sessionId="abc'],
    ['a control character', 'Handle sessionId="a\u0001b"'],
    ['an id that is not percent-decodable', 'Handle id="300%3A%E9"'],
    ['too many parameters', `Handle ${Array.from({ length: 20 }, (_, i) => `p${i}=1`).join(', ')}`],
    ['an oversized header', `Handle sessionId="${'a'.repeat(9000)}"`],
  ])('refuses %s', (_what, header) => {
    expect(() => parseHandleAuthorization(header)).toThrow(HandleAuthorizationError);
  });

  it('isHandleScheme only looks at the scheme', () => {
    expect(isHandleScheme('Handle sessionId="x"')).toBe(true);
    expect(isHandleScheme('Basic abc')).toBe(false);
    expect(isHandleScheme('Handler x')).toBe(false);
  });
});

describe('handleAuthorizationFromJson', () => {
  it('reads the members of a JSON body; the id is taken as written', () => {
    expect(handleAuthorizationFromJson({ sessionId: 's', id: '300:88.118.8/A%B', other: 1 })).toEqual({ sessionId: 's', id: '300:88.118.8/A%B' });
    expect(handleAuthorizationFromJson(undefined)).toEqual({});
  });

  it.each([
    ['an array', []],
    ['a string', 'x'],
    ['a number member', { signature: 5 }],
  ])('refuses %s', (_what, body) => {
    expect(() => handleAuthorizationFromJson(body)).toThrow(HandleAuthorizationError);
  });
});
