import { compareLsn, parseLsn } from './lsn';

describe('parseLsn', () => {
  it('reads both halves as hexadecimal and orders positions across the 32-bit boundary', () => {
    expect(parseLsn('0/0')).toBe(0n);
    expect(parseLsn('0/16B3748')).toBe(0x16b3748n);
    expect(parseLsn('1/0')).toBe(1n << 32n);
    expect(compareLsn(parseLsn('0/FFFFFFFF'), parseLsn('1/0'))).toBe(-1);
    expect(compareLsn(parseLsn('16/B374D848'), parseLsn('16/B374D848'))).toBe(0);
  });

  it('refuses anything else', () => {
    for (const bad of ['', '0', '0/', '/0', 'G/0', '0/123456789', '0/0 ']) expect(() => parseLsn(bad)).toThrow('not a WAL position');
  });
});
