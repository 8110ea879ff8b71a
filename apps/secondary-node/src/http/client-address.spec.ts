import { addressKey, clientAddress, parseTrustedProxies } from './client-address';

describe('client address behind proxies', () => {
  const trusted = parseTrustedProxies('127.0.0.1, 10.0.0.0/8, fd00::/8');

  it('believes X-Forwarded-For only from a trusted peer', () => {
    expect(clientAddress('127.0.0.1', '203.0.113.7', trusted)).toBe('203.0.113.7');
    expect(clientAddress('198.51.100.9', '203.0.113.7', trusted)).toBe('198.51.100.9');
    expect(clientAddress('198.51.100.9', '203.0.113.7', undefined)).toBe('198.51.100.9');
    expect(clientAddress('::ffff:10.1.2.3', '203.0.113.7', trusted)).toBe('203.0.113.7');
  });

  it('reads the chain from the right: the first untrusted hop is the client, whatever the client prepended', () => {
    expect(clientAddress('10.0.0.1', '1.1.1.1, 203.0.113.7, 10.0.0.2', trusted)).toBe('203.0.113.7');
    expect(clientAddress('10.0.0.1', ['1.1.1.1', '203.0.113.7'], trusted)).toBe('203.0.113.7');
    // Every hop trusted: the leftmost is the best guess.
    expect(clientAddress('10.0.0.1', '10.0.0.3, 10.0.0.2', trusted)).toBe('10.0.0.3');
    // A hop that is no address stops the walk at the last good one.
    expect(clientAddress('10.0.0.1', 'garbage, 10.0.0.2', trusted)).toBe('10.0.0.2');
    expect(clientAddress('10.0.0.1', undefined, trusted)).toBe('10.0.0.1');
  });

  it('counts IPv6 clients by their /64 and IPv4 ones by address', () => {
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('203.0.113.7')).toBe('203.0.113.7');
  });

  it('refuses a TRUSTED_PROXIES entry that is not an address or CIDR', () => {
    expect(() => parseTrustedProxies('10.0.0.0/33')).toThrow(/10\.0\.0\.0\/33/);
    expect(() => parseTrustedProxies('proxy.example')).toThrow(/proxy\.example/);
    expect(() => parseTrustedProxies('10.0.0.0/8/1')).toThrow();
    expect(parseTrustedProxies(' 127.0.0.1 , ,::1').entries).toEqual(['127.0.0.1', '::1']);
  });
});
