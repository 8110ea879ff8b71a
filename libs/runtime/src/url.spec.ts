import { redactPassword } from './url';

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
