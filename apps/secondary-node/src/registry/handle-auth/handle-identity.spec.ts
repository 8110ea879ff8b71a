import { HandleIdentityError, parseBasicCredentials, parseHandleIdentity } from './handle-identity';

const basic = (text: string) => Buffer.from(text, 'utf8').toString('base64');

describe('parseHandleIdentity', () => {
  it('reads index:prefix/suffix', () => {
    const identity = parseHandleIdentity('300:88.118.8/ADMIN');
    expect(identity).toMatchObject({ kind: 'stored', index: 300, text: '300:88.118.8/ADMIN' });
    expect(identity.kind === 'stored' && identity.handle.key).toBe('88.118.8/admin');
  });

  it('reads the prefix handle 0.NA/<prefix> (any case) as the prefix identity', () => {
    const identity = parseHandleIdentity('300:0.na/88.118.8');
    expect(identity).toMatchObject({ kind: 'prefix', index: 300 });
    expect(identity.kind === 'prefix' && identity.prefix.prefixKey).toBe('88.118.8');
  });

  it('a handle without an index is index 0, as in Handle.Net', () => {
    expect(parseHandleIdentity('88.118.8/ADMIN')).toMatchObject({ kind: 'stored', index: 0, text: '0:88.118.8/ADMIN' });
  });

  it('a colon inside the suffix stays part of the handle', () => {
    const identity = parseHandleIdentity('300:88.118.8/a:b');
    expect(identity.kind === 'stored' && identity.handle.suffix).toBe('a:b');
  });

  it.each([
    ['empty', ''],
    ['no slash', '300:88.118.8'],
    ['an index above 2^32-1', '4294967296:88.118.8/ADMIN'],
    ['an invalid prefix', '300:88..8/ADMIN'],
    ['0.NA/ with an invalid prefix', '300:0.NA/88..8'],
    ['a control character', '300:88.118.8/AD\u0000MIN'],
    ['too long', `300:88.118.8/${'x'.repeat(300)}`],
  ])('refuses %s', (_what, text) => {
    expect(() => parseHandleIdentity(text)).toThrow(HandleIdentityError);
  });
});

describe('parseBasicCredentials', () => {
  it('reads the percent-encoded identity pyhandle sends (quote() keeps "/", encodes ":")', () => {
    expect(parseBasicCredentials(basic('300%3A88.118.8/ADMIN:secret-1'))).toEqual({ identity: '300:88.118.8/ADMIN', passwords: ['secret-1'] });
    expect(parseBasicCredentials(basic('300%3A88.118.8%2FADMIN:secret-1')).identity).toBe('300:88.118.8/ADMIN');
  });

  it('reads a raw colon after an all-digit index (curl -u 300:88.118.8/ADMIN:pw)', () => {
    expect(parseBasicCredentials(basic('300:88.118.8/ADMIN:pa:ss'))).toEqual({ identity: '300:88.118.8/ADMIN', passwords: ['pa:ss'] });
  });

  it('offers the percent-decoded password too: pyhandle percent-encodes it', () => {
    expect(parseBasicCredentials(basic('300%3A88.118.8/ADMIN:p%40ss%21')).passwords).toEqual(['p%40ss%21', 'p@ss!']);
    // A lone % that does not decode: only the password as sent.
    expect(parseBasicCredentials(basic('300%3A88.118.8/ADMIN:100%')).passwords).toEqual(['100%']);
  });

  it('keeps a plus sign (Handle.Net decodes without turning + into a space)', () => {
    expect(parseBasicCredentials(basic('300%3A88.118.8/A+B:x')).identity).toBe('300:88.118.8/A+B');
  });

  it.each([
    ['not base64', '***'],
    ['no colon', basic('300%3A88.118.8/ADMIN')],
    ['an empty password', basic('300%3A88.118.8/ADMIN:')],
    ['a broken percent sequence in the identity', basic('300%3A88.118.8/%E9:x')],
    ['too long', 'A'.repeat(4000)],
  ])('refuses %s', (_what, token) => {
    expect(() => parseBasicCredentials(token)).toThrow(HandleIdentityError);
  });
});
