import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { FAMILY_VARIABLES, formatLimitRule, type LimitFamily, LIMITS_CONFIG, type LimitsConfig } from './limits.config';

/** What each family counts and per what, as published. */
const DESCRIPTIONS: Record<LimitFamily, { appliesTo: string; countedPer: string }> = {
  resolution: { appliesTo: 'anonymous resolution: GET /api/handles/{handle}, GET /{prefix}/{suffix}, GET /identityv2/data/detail', countedPer: 'client address (IPv6: its /64)' },
  authenticated: { appliesTo: 'every call with a bearer token or API key', countedPer: 'API key, or account when no key is used' },
  registration: { appliesTo: 'identifiers submitted for creation: PUT /api/handles/{handle}, POST /identityv2/data, each item of POST /identityv2/data/batchCreate, each identifier a CSV import adds: POST /api/v1/prefixes/{prefix}/imports', countedPer: 'enterprise' },
  capture: { appliesTo: 'EPCIS capture requests: POST /epcis/capture and POST /epcis/events', countedPer: 'enterprise' },
  mqtt: { appliesTo: 'MQTT messages on {root}/{prefix}/events (over the limit: rejected with reason rate_limited on {root}/{prefix}/rejects)', countedPer: 'enterprise prefix' },
  'login-username': { appliesTo: 'login attempts: POST /api/v1/auth/token, /identity/token, /identity/token/v1', countedPer: 'username (case-insensitive)' },
  'login-ip': { appliesTo: 'login attempts: POST /api/v1/auth/token, /identity/token, /identity/token/v1', countedPer: 'client address (IPv6: its /64)' },
};

/** GET /api/v1/limits: the limits in force, public so that clients can pace themselves. */
@ApiTags('node')
@Controller('api/v1/limits')
export class LimitsController {
  constructor(@Inject(LIMITS_CONFIG) private readonly config: LimitsConfig) {}

  @Get()
  @ApiOperation({ summary: 'The rate limits and quotas in force: per family, points per window and what they are counted per' })
  limits() {
    return {
      enabled: this.config.enabled,
      shared: this.config.redisUrl !== undefined || this.config.redisCluster !== undefined,
      families: FAMILY_VARIABLES.map(({ family }) => {
        const rule = this.config.enabled ? this.config.families[family] : null;
        return {
          family,
          ...DESCRIPTIONS[family],
          limit: rule ? { points: rule.points, windowSeconds: rule.windowSeconds, policy: formatLimitRule(rule) } : null,
        };
      }),
      refusal: 'HTTP 429 with Retry-After and RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, RateLimit-Policy, in the envelope of the front door',
    };
  }
}
