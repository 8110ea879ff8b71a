import { EnvReader } from '@idis/runtime';
import { formatLimitRule, parseLimitRule, readLimitsConfig } from './limits.config';

const redis = { redisUrl: 'redis://127.0.0.1:6379', redisKeyPrefix: 'idis:' };

describe('limits configuration', () => {
  it('parses points per window and off', () => {
    expect(parseLimitRule('100/1s')).toEqual({ points: 100, windowSeconds: 1 });
    expect(parseLimitRule('10/15m')).toEqual({ points: 10, windowSeconds: 900 });
    expect(parseLimitRule('1000000/1d')).toEqual({ points: 1_000_000, windowSeconds: 86_400 });
    expect(parseLimitRule('off')).toBeNull();
    expect(parseLimitRule('0')).toBeNull();
    expect(formatLimitRule({ points: 10, windowSeconds: 900 })).toBe('10/15m');
    expect(formatLimitRule({ points: 5, windowSeconds: 86_400 })).toBe('5/1d');
    expect(formatLimitRule({ points: 5, windowSeconds: 90 })).toBe('5/90s');
  });

  it('has defaults for every family, shares Redis under its own key prefix', () => {
    const read = new EnvReader({});
    const config = readLimitsConfig(read, redis);
    expect(read.problems).toEqual([]);
    expect(config.enabled).toBe(true);
    expect(config.families.resolution).toEqual({ points: 300, windowSeconds: 1 });
    expect(config.families['login-username']).toEqual({ points: 10, windowSeconds: 60 });
    expect(config.redisKeyPrefix).toBe('idis:rl:');
    expect(config.trustedProxies).toEqual([]);
  });

  it('names each bad variable and what it expects', () => {
    const read = new EnvReader({ RATE_LIMIT_RESOLUTION: 'lots', RATE_LIMIT_CAPTURE: '5/9d', TRUSTED_PROXIES: '10.0.0.0/8,proxy', RATE_LIMITS_ENABLED: 'yes' });
    readLimitsConfig(read, redis);
    expect(read.problems).toEqual([
      'RATE_LIMIT_RESOLUTION must be <points>/<window> such as 100/1s, 10/1m or 1000000/1d, or off, got "lots"',
      'RATE_LIMIT_CAPTURE window must be from 1 s to 7 days, got "5/9d"',
      expect.stringMatching(/^TRUSTED_PROXIES must list IP addresses or CIDRs.*"proxy"/),
      'RATE_LIMITS_ENABLED must be true or false, got "yes"',
    ]);
  });
});
