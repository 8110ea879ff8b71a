import { ConfigError, loadTopLevelConfig } from './top-level-config';

const GOOD = { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/top', ENROLMENT_TOKEN: 'enrolment-token-0123456789' };

describe('loadTopLevelConfig', () => {
  it('applies the documented defaults', () => {
    expect(loadTopLevelConfig(GOOD)).toMatchObject({
      host: '127.0.0.1',
      grpcPort: 50051,
      httpPort: 8090,
      filingReview: 'auto',
      filingReviewDelayMs: 1000,
      resolveTtlSeconds: 300,
      notFoundTtlSeconds: 30,
      iiidapRateLimitPerMinute: 120,
      adminToken: undefined,
      secretSealingKey: undefined,
      simulation: { latencyMs: 0, errorRate: 0, down: false },
    });
  });

  it('names every bad variable at once', () => {
    let error: ConfigError | undefined;
    try {
      loadTopLevelConfig({ DATABASE_URL: 'mysql://x', ENROLMENT_TOKEN: 'short', FILING_REVIEW_DELAY_MS: '-1', SIMULATION_ERROR_RATE: '1.5', TOP_LEVEL_SECRET: 'tiny', LOG_LEVEL: 'loud' });
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.problems).toEqual([
      'DATABASE_URL must be a URL starting with postgres:// or postgresql://',
      'ENROLMENT_TOKEN must be 16 to 512 characters, got 5',
      'TOP_LEVEL_SECRET must be at least 32 characters',
      'FILING_REVIEW_DELAY_MS must be an integer from 0 to 604800000, got "-1"',
      'SIMULATION_ERROR_RATE must be a number from 0 to 1, got "1.5"',
      'LOG_LEVEL must be one of error, warn, log, debug, verbose, got "loud"',
    ]);
    expect(() => loadTopLevelConfig({})).toThrow(/DATABASE_URL is required[\s\S]*ENROLMENT_TOKEN is required/);
  });
});
