import { redactPassword, redactQuery, redactUrl } from './url';

describe('redactPassword', () => {
  it('hides the password and keeps the rest', () => {
    expect(redactPassword('postgres://postgres:hunter2@127.0.0.1:5432/idis')).toBe('postgres://postgres:***@127.0.0.1:5432/idis');
  });

  it('leaves a URL without a password as it is', () => {
    expect(redactPassword('postgres://postgres@127.0.0.1:5432/idis')).toBe('postgres://postgres@127.0.0.1:5432/idis');
  });

  it('throws for a malformed URL', () => {
    expect(() => redactPassword('not a url')).toThrow(/Invalid URL/);
  });
});

describe('redactUrl', () => {
  it('hides the user name and the password', () => {
    expect(redactUrl('mqtt://sim:hunter2@127.0.0.1:1883')).toBe('mqtt://***:***@127.0.0.1:1883');
    expect(redactUrl('mqtts://user@broker.example:8883')).toBe('mqtts://***@broker.example:8883');
  });

  it('drops a trailing slash and leaves a URL without credentials as it is', () => {
    expect(redactUrl('mqtt://127.0.0.1:1883/')).toBe('mqtt://127.0.0.1:1883');
    expect(redactUrl('http://u:p@127.0.0.1:8080')).toBe('http://***:***@127.0.0.1:8080');
    expect(redactUrl('mqtt://127.0.0.1:1883')).toBe('mqtt://127.0.0.1:1883');
  });

  it('says so for a malformed URL instead of throwing', () => {
    expect(redactUrl('not a url')).toBe('(unparseable URL)');
  });
});

describe('redactQuery', () => {
  it('hides the values of credential-like query parameters and keeps the rest', () => {
    expect(redactQuery('/epcis/queries/q1/events?stream=true&access_token=eyJhbGc.x.y&perPage=5')).toBe('/epcis/queries/q1/events?stream=true&access_token=***&perPage=5');
    expect(redactQuery('/x?apiKey=k1&signatureToken=s&password=p&sig=1&Authorization=Bearer%20t')).toBe('/x?apiKey=***&signatureToken=***&password=***&sig=***&Authorization=***');
    expect(redactQuery('/x?to%6Ben=abc')).toBe('/x?to%6Ben=***');
  });

  it('leaves paths and harmless parameters alone', () => {
    expect(redactQuery('/api/handles/88.118.8/token-1')).toBe('/api/handles/88.118.8/token-1');
    expect(redactQuery('/api/handles?prefix=88.118.8&page=2')).toBe('/api/handles?prefix=88.118.8&page=2');
    expect(redactQuery('/x?flag&%E0=1')).toBe('/x?flag&%E0=1');
  });
});
