import { proxyUrl } from './proxy-url';

describe('proxyUrl', () => {
  it('joins the public URL, the prefix and the suffix, keeping the suffix\'s slashes', () => {
    expect(proxyUrl('https://id.example.cn', '88.118.8', 'SKU-1/lot-2')).toBe('https://id.example.cn/88.118.8/SKU-1/lot-2');
    expect(proxyUrl('https://id.example.cn/node/', '88.118.8', 'a')).toBe('https://id.example.cn/node/88.118.8/a');
  });

  it('percent-encodes what a URL path cannot hold as it is, as UTF-8', () => {
    expect(proxyUrl('http://n', '88.118.8', '红色 #1?x=50%')).toBe('http://n/88.118.8/%E7%BA%A2%E8%89%B2%20%231%3Fx%3D50%25');
    expect(decodeURIComponent(new URL(proxyUrl('http://n', '88.118.8', 'a b/c+d&e')).pathname.slice(1))).toBe('88.118.8/a b/c+d&e');
  });

  it('encodes every slash when a dot segment would be resolved away by the browser', () => {
    const url = proxyUrl('http://n', '88.118.8', 'a/../b');
    expect(url).toBe('http://n/88.118.8/a%2F..%2Fb');
    expect(decodeURIComponent(new URL(url).pathname.slice(1))).toBe('88.118.8/a/../b');
    expect(new URL(proxyUrl('http://n', '88.118.8', './x')).pathname).toBe('/88.118.8/.%2Fx');
    // "a.b" or "..x" are no dot segments.
    expect(proxyUrl('http://n', '88.118.8', 'a.b/..x')).toBe('http://n/88.118.8/a.b/..x');
  });
});
