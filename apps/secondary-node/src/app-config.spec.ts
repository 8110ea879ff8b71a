import { existsSync } from 'node:fs';
import { SYSTEM_CJK_FONTS } from './labels/labels.config';
import { ConfigError } from '@idis/runtime';
import { loadAppConfig } from './app-config';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadAppConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error(`expected ${JSON.stringify(env)} to be refused`);
}

describe('loadAppConfig', () => {
  it('defaults to the embedded profile on loopback', () => {
    expect(loadAppConfig({})).toEqual({
      profile: 'embedded',
      host: '127.0.0.1',
      port: 8080,
      databaseUrl: undefined,
      dataDir: '.data',
      embeddedPostgresPort: 54329,
      secondaryPrefix: '88.118',
      nodeId: 'secondary-1',
      operatorUsername: 'operator',
      operatorPassword: undefined,
      jwtSecret: undefined,
      tokenTtlSeconds: 86400,
      loginLockAfter: 10,
      loginLockSeconds: 900,
      loginDelayMaxMs: 2000,
      authCacheMs: 2000,
      apiKeyDefaultDays: 90,
      apiKeyMaxDays: 365,
      bodyLimitBytes: 8 * 1024 * 1024,
      logLevel: 'info',
      cache: {
        redisUrl: undefined,
        l1Enabled: true,
        l2Enabled: true,
        l1MaxEntries: 200_000,
        l1MaxBytes: 256 * 1024 * 1024,
        negativeTtlSeconds: 30,
        l1DetachedTtlSeconds: 5,
        redisKeyPrefix: 'idis:',
        redisCommandTimeoutMs: 250,
        breakerFailureThreshold: 3,
        breakerCooldownMs: 2000,
      },
      statistics: { flushIntervalMs: 5000, timeZone: 'Asia/Shanghai', enterpriseTarget: 100 },
      upstream: {
        topLevelUrl: undefined,
        enrolmentToken: undefined,
        publicUrl: 'http://127.0.0.1:8080',
        reportIntervalMs: 60_000,
        heartbeatIntervalMs: 30_000,
        pollIntervalMs: 2000,
        retryBaseMs: 1000,
        retryMaxMs: 300_000,
        maxAttempts: 1000,
        callTimeoutMs: 5000,
        remoteFetchTimeoutMs: 5000,
      },
      ingestion: {
        enabled: true,
        disabledReason: null,
        mqttUrl: undefined,
        embeddedBrokerPort: 11883,
        protocolVersion: 4,
        clientId: 'idis-secondary-1-ingest',
        username: undefined,
        password: undefined,
        topicRoot: 'idis/v1',
        shareGroup: 'idis-secondary',
        connections: 1,
        sessionExpirySeconds: 900,
        ackMode: 'deferred',
        receiveMaximum: 500,
        batchMaxEvents: 500,
        batchMaxWaitMs: 20,
        commitConcurrency: 2,
        maxPayloadBytes: 1024 * 1024,
        maxEventsPerDocument: 1000,
        retryBaseMs: 200,
        retryMaxMs: 5000,
      },
      handleAuth: { idleSeconds: 1800, maxAgeSeconds: 43200, maxSessions: 10000, redisUrl: undefined, redisKeyPrefix: 'idis:' },
      heavyReads: { poolSize: 2, statementTimeoutMs: 5000, traceMaxSteps: 2000 },
      readReplicas: { urls: [], maxLagMs: 5000, pollIntervalMs: 200, poolSize: 4 },
      limits: {
        enabled: true,
        families: {
          resolution: { points: 300, windowSeconds: 1 },
          authenticated: { points: 1000, windowSeconds: 1 },
          registration: { points: 1_000_000, windowSeconds: 86_400 },
          capture: { points: 50, windowSeconds: 1 },
          mqtt: { points: 2000, windowSeconds: 1 },
          'login-username': { points: 10, windowSeconds: 60 },
          'login-ip': { points: 30, windowSeconds: 60 },
        },
        redisUrl: undefined,
        redisKeyPrefix: 'idis:rl:',
        redisTimeoutMs: 200,
        syncIntervalMs: 100,
        trustedProxies: [],
      },
      handleProtocol: {
        enabled: true,
        port: 0,
        host: '127.0.0.1',
        publicAddress: undefined,
        sourcePacketsPerSecond: 2000,
        sourceBurst: 4000,
        amplificationFactor: 8,
        verifiedSourceTtlMs: 600000,
        maxConnections: 1024,
        tcpIdleTimeoutMs: 30000,
        tcpReadTimeoutMs: 5000,
        maxTcpRequestBytes: 65536,
        maxPendingLookups: 10000,
        siteSerial: 1,
      },
      hardening: {
        corsOrigins: [],
        maxJsonDepth: 32,
        maxUrlLength: 8192,
        maxHeaderBytes: 16_384,
        requestTimeoutMs: 60_000,
        headersTimeoutMs: 20_000,
        idleTimeoutMs: 120_000,
        keepAliveTimeoutMs: 72_000,
      },
      audit: { retentionDays: 365, pruneIntervalMs: 3_600_000, exportMaxRows: 100_000 },
      // pretty only when stdout is a terminal (the embedded profile of `npm start` watched by someone).
      logging: { level: 'info', format: process.stdout.isTTY === true ? 'pretty' : 'json', resolutionSampleRate: 0 },
      mqttAccess: {
        brokerAccounts: 'none',
        adminUsername: undefined,
        adminPassword: undefined,
        dynsecControlTopic: '$CONTROL/dynamic-security/v1',
        authSecret: undefined,
        maxCredentialsPerEnterprise: 10,
        reconcileIntervalMs: 60_000,
      },
      // The first system CJK font this machine has (labels/label-font.spec.ts tests the choice).
      labels: { fontPath: SYSTEM_CJK_FONTS.find((path) => existsSync(path)) },
      imports: { maxBytes: 512 * 1024 * 1024, maxRows: 2_000_000 },
      subscriptions: {
        maxNamedQueries: 100,
        maxSubscriptions: 100,
        maxInFlight: 100,
        lingerMs: 400,
        pollMs: 200,
        webhookTimeoutMs: 10_000,
        retryBaseMs: 1000,
        retryMaxMs: 300_000,
        allowPrivateTargets: false,
        leaseMs: 15_000,
      },
      consoleDir: undefined,
    });
  });

  it('reads the EPCIS subscription variables and refuses a backoff ceiling below its base', () => {
    const config = loadAppConfig({ EPCIS_SUBSCRIPTIONS_MAX: '3', EPCIS_WEBHOOK_ALLOW_PRIVATE: 'true', EPCIS_WEBHOOK_RETRY_BASE_MS: '200', EPCIS_WEBHOOK_RETRY_MAX_MS: '1000' });
    expect(config.subscriptions).toMatchObject({ maxSubscriptions: 3, allowPrivateTargets: true, retryBaseMs: 200, retryMaxMs: 1000 });
    expect(() => loadAppConfig({ EPCIS_WEBHOOK_RETRY_BASE_MS: '5000', EPCIS_WEBHOOK_RETRY_MAX_MS: '1000' })).toThrow(/EPCIS_WEBHOOK_RETRY_MAX_MS/);
    expect(() => loadAppConfig({ EPCIS_SUBSCRIPTION_MAX_IN_FLIGHT: '0' })).toThrow(/EPCIS_SUBSCRIPTION_MAX_IN_FLIGHT/);
  });

  it('reads the logging and audit variables', () => {
    const config = loadAppConfig({ LOG_LEVEL: 'debug', LOG_FORMAT: 'pretty', LOG_RESOLUTION_SAMPLE_RATE: '0.01', AUDIT_RETENTION_DAYS: '30', AUDIT_PRUNE_INTERVAL_MS: '60000', AUDIT_EXPORT_MAX_ROWS: '5000' });
    expect(config.logging).toEqual({ level: 'debug', format: 'pretty', resolutionSampleRate: 0.01 });
    expect(config.audit).toEqual({ retentionDays: 30, pruneIntervalMs: 60_000, exportMaxRows: 5000 });
    // Nest's level names are still accepted: log is info, verbose is trace.
    expect(loadAppConfig({ LOG_LEVEL: 'log' }).logging.level).toBe('info');
    expect(loadAppConfig({ LOG_LEVEL: 'verbose' }).logging.level).toBe('trace');
    // The services profile logs JSON unless asked otherwise.
    expect(loadAppConfig({ DATABASE_URL: 'postgres://localhost/idis' }).logging.format).toBe('json');
    expect(problemsOf({ LOG_FORMAT: 'xml' })).toEqual(['LOG_FORMAT must be one of pretty, json, got "xml"']);
    expect(problemsOf({ LOG_RESOLUTION_SAMPLE_RATE: '2' })).toEqual(['LOG_RESOLUTION_SAMPLE_RATE must be a number from 0 to 1, got "2"']);
    expect(problemsOf({ AUDIT_RETENTION_DAYS: '-1' })).toEqual(['AUDIT_RETENTION_DAYS must be an integer from 0 to 36500, got "-1"']);
    expect(problemsOf({ IMPORT_MAX_ROWS: '0' })).toEqual(['IMPORT_MAX_ROWS must be an integer from 1 to 20000000, got "0"']);
    expect(problemsOf({ IMPORT_MAX_BYTES: '10' })).toEqual(['IMPORT_MAX_BYTES must be an integer from 1024 to 4294967296, got "10"']);
  });

  it('reads the top-level link variables and refuses bad ones by name', () => {
    const config = loadAppConfig({ TOP_LEVEL_URL: 'grpc://127.0.0.1:50051', ENROLMENT_TOKEN: 'tok', PUBLIC_URL: 'http://node-a.example:9000/', UPSTREAM_REPORT_INTERVAL_MS: '1000' });
    expect(config.upstream).toMatchObject({ topLevelUrl: '127.0.0.1:50051', enrolmentToken: 'tok', publicUrl: 'http://node-a.example:9000', reportIntervalMs: 1000 });
    expect(loadAppConfig({ HOST: '0.0.0.0', PORT: '9100' }).upstream.publicUrl).toBe('http://127.0.0.1:9100');
    expect(problemsOf({ TOP_LEVEL_URL: 'nowhere', ENROLMENT_TOKEN: 'x' })).toEqual([
      'TOP_LEVEL_URL must be host:port of the top-level gRPC service (e.g. 127.0.0.1:50051), got "nowhere"',
    ]);
    expect(problemsOf({ TOP_LEVEL_URL: '127.0.0.1:50051' })).toEqual([
      'ENROLMENT_TOKEN is required when TOP_LEVEL_URL is set (the token the top-level node expects at enrolment)',
    ]);
    expect(problemsOf({ PUBLIC_URL: 'ftp://x' })).toEqual(['PUBLIC_URL must be a URL starting with http:// or https://']);
    expect(problemsOf({ NODE_ID: 'bad id' })).toContain('NODE_ID must be 1-64 letters, digits, ".", "_" or "-"');
    expect(problemsOf({ UPSTREAM_HEARTBEAT_INTERVAL_MS: '5' })).toEqual(['UPSTREAM_HEARTBEAT_INTERVAL_MS must be an integer from 100 to 3600000, got "5"']);
    expect(problemsOf({ UPSTREAM_RETRY_BASE_MS: '5000', UPSTREAM_RETRY_MAX_MS: '100' })).toEqual(['UPSTREAM_RETRY_MAX_MS must not be below UPSTREAM_RETRY_BASE_MS']);
  });

  it('IDIS_PROFILE=services (npm run start:node) needs DATABASE_URL', () => {
    expect(problemsOf({ IDIS_PROFILE: 'services' })).toEqual(['DATABASE_URL is required in the services profile (IDIS_PROFILE=services, npm run start:node)']);
    expect(loadAppConfig({ IDIS_PROFILE: 'services', DATABASE_URL: 'postgres://localhost/idis' }).profile).toBe('services');
    expect(problemsOf({ IDIS_PROFILE: 'cloud' })).toEqual(['IDIS_PROFILE must be one of embedded, services, got "cloud"']);
  });

  it('reads the cache and statistics variables', () => {
    const config = loadAppConfig({
      REDIS_URL: 'redis://127.0.0.1:6380/2',
      CACHE_L1_ENABLED: 'false',
      CACHE_L2_ENABLED: 'true',
      CACHE_L1_MAX_ENTRIES: '5000',
      CACHE_L1_MAX_BYTES: '1048576',
      CACHE_NEGATIVE_TTL_SECONDS: '0',
      CACHE_L1_DETACHED_TTL_SECONDS: '2',
      REDIS_KEY_PREFIX: 'test:',
      REDIS_COMMAND_TIMEOUT_MS: '100',
      REDIS_BREAKER_FAILURES: '5',
      REDIS_BREAKER_COOLDOWN_MS: '500',
      STATS_FLUSH_INTERVAL_MS: '1000',
    });
    expect(config.cache).toEqual({
      redisUrl: 'redis://127.0.0.1:6380/2',
      l1Enabled: false,
      l2Enabled: true,
      l1MaxEntries: 5000,
      l1MaxBytes: 1048576,
      negativeTtlSeconds: 0,
      l1DetachedTtlSeconds: 2,
      redisKeyPrefix: 'test:',
      redisCommandTimeoutMs: 100,
      breakerFailureThreshold: 5,
      breakerCooldownMs: 500,
    });
    expect(config.statistics.flushIntervalMs).toBe(1000);
  });

  it('uses the services profile, listening on all interfaces, when DATABASE_URL is set', () => {
    const config = loadAppConfig({ DATABASE_URL: 'postgres://idis:pw@db.internal:5432/idis' });
    expect(config.profile).toBe('services');
    expect(config.databaseUrl).toBe('postgres://idis:pw@db.internal:5432/idis');
    expect(config.host).toBe('0.0.0.0');
    expect(config.port).toBe(8080);
    expect(loadAppConfig({ DATABASE_URL: 'postgresql://localhost/idis' }).profile).toBe('services');
  });

  it('reads every documented variable', () => {
    const config = loadAppConfig({
      DATABASE_URL: 'postgres://localhost/idis',
      HOST: '10.0.0.5',
      PORT: '9090',
      SECONDARY_PREFIX: '88.200',
      NODE_ID: 'secondary-wuhan',
      OPERATOR_USERNAME: 'admin.ops',
      OPERATOR_PASSWORD: 'long-enough-password',
      JWT_SECRET: 'x'.repeat(32),
      LOG_LEVEL: 'debug',
    });
    expect(config).toMatchObject({
      host: '10.0.0.5',
      port: 9090,
      secondaryPrefix: '88.200',
      nodeId: 'secondary-wuhan',
      operatorUsername: 'admin.ops',
      operatorPassword: 'long-enough-password',
      jwtSecret: 'x'.repeat(32),
      logLevel: 'debug',
    });
  });

  it('treats an empty variable as unset', () => {
    const config = loadAppConfig({ DATABASE_URL: '', PORT: '', OPERATOR_PASSWORD: '', JWT_SECRET: '', LOG_LEVEL: '' });
    expect(config.profile).toBe('embedded');
    expect(config.port).toBe(8080);
    expect(config.operatorPassword).toBeUndefined();
    expect(config.jwtSecret).toBeUndefined();
    expect(config.logLevel).toBe('info');
  });

  it.each([
    ['PORT', 'abc', 'PORT must be an integer from 0 to 65535, got "abc"'],
    ['PORT', '65536', 'PORT must be an integer from 0 to 65535, got "65536"'],
    ['PORT', '-1', 'PORT must be an integer from 0 to 65535, got "-1"'],
    ['PORT', '80.5', 'PORT must be an integer from 0 to 65535, got "80.5"'],
    ['DATABASE_URL', 'mysql://x', 'DATABASE_URL must be a URL starting with postgres:// or postgresql://'],
    ['DATABASE_URL', 'not a url', 'DATABASE_URL must be a URL starting with postgres:// or postgresql://'],
    ['LOG_LEVEL', 'loud', 'LOG_LEVEL must be one of fatal, error, warn, info, log, debug, verbose, trace, got "loud"'],
    ['JWT_SECRET', 'short-secret', 'JWT_SECRET must be at least 32 characters'],
    ['OPERATOR_PASSWORD', 'short', 'OPERATOR_PASSWORD must be at least 8 characters'],
    ['OPERATOR_USERNAME', 'bad name', 'OPERATOR_USERNAME must be 1-50 letters, digits, ".", "_" or "-"'],
    ['REDIS_URL', 'http://127.0.0.1:6379', 'REDIS_URL must be a URL starting with redis:// or rediss://'],
    ['CACHE_L1_ENABLED', 'yes', 'CACHE_L1_ENABLED must be true or false, got "yes"'],
    ['CACHE_L2_ENABLED', '1', 'CACHE_L2_ENABLED must be true or false, got "1"'],
    ['CACHE_NEGATIVE_TTL_SECONDS', '-5', 'CACHE_NEGATIVE_TTL_SECONDS must be an integer from 0 to 3600, got "-5"'],
    ['STATS_FLUSH_INTERVAL_MS', '10', 'STATS_FLUSH_INTERVAL_MS must be an integer from 50 to 600000, got "10"'],
    ['HANDLE_SESSION_IDLE_SECONDS', '10', 'HANDLE_SESSION_IDLE_SECONDS must be an integer from 60 to 86400, got "10"'],
    ['HANDLE_SESSION_MAX_AGE_SECONDS', 'forever', 'HANDLE_SESSION_MAX_AGE_SECONDS must be an integer from 60 to 604800, got "forever"'],
    ['HANDLE_SESSIONS_MAX', '0', 'HANDLE_SESSIONS_MAX must be an integer from 1 to 1000000, got "0"'],
    ['LOGIN_LOCK_AFTER', '1', 'LOGIN_LOCK_AFTER must be an integer from 2 to 100, got "1"'],
    ['LOGIN_LOCK_SECONDS', '0', 'LOGIN_LOCK_SECONDS must be an integer from 1 to 604800, got "0"'],
    ['AUTH_CACHE_MS', '4001', 'AUTH_CACHE_MS must be an integer from 0 to 4000, got "4001"'],
    ['API_KEY_MAX_DAYS', '30', 'API_KEY_DEFAULT_DAYS (90) must not exceed API_KEY_MAX_DAYS (30)'],
    ['RATE_LIMIT_LOGIN_IP', '30 per minute', 'RATE_LIMIT_LOGIN_IP must be <points>/<window> such as 100/1s, 10/1m or 1000000/1d, or off, got "30 per minute"'],
    ['CORS_ORIGINS', '*', 'CORS_ORIGINS must list origins such as https://console.example.cn (scheme://host[:port], no path, no "*"), got "*"'],
    ['CORS_ORIGINS', 'https://console.example.cn/app', 'CORS_ORIGINS must list origins such as https://console.example.cn (scheme://host[:port], no path, no "*"), got "https://console.example.cn/app"'],
    ['MAX_JSON_DEPTH', '1', 'MAX_JSON_DEPTH must be an integer from 2 to 1000, got "1"'],
    ['MQTT_BROKER_ACCOUNTS', 'passwd', 'MQTT_BROKER_ACCOUNTS must be none, dynsec or http, got "passwd"'],
    ['MQTT_BROKER_ACCOUNTS', 'http', 'MQTT_BROKER_ACCOUNTS=http needs MQTT_AUTH_SECRET of at least 32 characters (the broker sends it as X-MQTT-Auth-Secret)'],
    ['MQTT_MAX_CREDENTIALS_PER_ENTERPRISE', '0', 'MQTT_MAX_CREDENTIALS_PER_ENTERPRISE must be an integer from 1 to 1000, got "0"'],
  ])('refuses %s=%s, naming the variable and what it expects', (name, value, message) => {
    expect(problemsOf({ [name]: value })).toEqual([message]);
  });

  it('needs the admin account and the broker for MQTT_BROKER_ACCOUNTS=dynsec', () => {
    expect(problemsOf({ MQTT_BROKER_ACCOUNTS: 'dynsec' })).toEqual([
      'MQTT_BROKER_ACCOUNTS=dynsec needs MQTT_ADMIN_USERNAME and MQTT_ADMIN_PASSWORD (the dynamic-security admin account)',
      'MQTT_BROKER_ACCOUNTS=dynsec needs MQTT_URL (the Mosquitto whose accounts the node manages)',
    ]);
    const config = loadAppConfig({ MQTT_BROKER_ACCOUNTS: 'dynsec', MQTT_URL: 'mqtt://127.0.0.1:1883', MQTT_ADMIN_USERNAME: 'admin', MQTT_ADMIN_PASSWORD: 'admin-pass' });
    expect(config.mqttAccess).toMatchObject({ brokerAccounts: 'dynsec', adminUsername: 'admin', adminPassword: 'admin-pass' });
  });

  it.each(['88..1', '88.1 18', '.88', '88.118/x', 'x'.repeat(65)])('refuses SECONDARY_PREFIX=%s', (value) => {
    const problems = problemsOf({ SECONDARY_PREFIX: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^SECONDARY_PREFIX must be a handle prefix such as 88\.118: /);
  });

  it('reads STATS_TIME_ZONE as an IANA zone name', () => {
    expect(loadAppConfig({}).statistics.timeZone).toBe('Asia/Shanghai');
    expect(loadAppConfig({ STATS_TIME_ZONE: 'UTC' }).statistics.timeZone).toBe('UTC');
    expect(loadAppConfig({ STATS_TIME_ZONE: 'Europe/Berlin' }).statistics.timeZone).toBe('Europe/Berlin');
    expect(problemsOf({ STATS_TIME_ZONE: 'Mars/Olympus' })).toEqual(['STATS_TIME_ZONE must be an IANA time zone such as Asia/Shanghai or UTC, got "Mars/Olympus"']);
    expect(problemsOf({ STATS_TIME_ZONE: "UTC'; DROP TABLE x" })).toHaveLength(1);
  });

  it('reads STATS_ENTERPRISE_TARGET as a positive integer, 100 by default', () => {
    expect(loadAppConfig({}).statistics.enterpriseTarget).toBe(100);
    expect(loadAppConfig({ STATS_ENTERPRISE_TARGET: '250' }).statistics.enterpriseTarget).toBe(250);
    for (const bad of ['0', '-5', 'many', '1.5']) expect(problemsOf({ STATS_ENTERPRISE_TARGET: bad }).join()).toMatch(/STATS_ENTERPRISE_TARGET/);
  });

  it('reads DATABASE_READ_URLS and refuses a replica that does not parse, is the primary, repeats, or has no primary', () => {
    const primary = 'postgres://idis:s3cret@db-primary:5432/idis';
    const config = loadAppConfig({ DATABASE_URL: primary, DATABASE_READ_URLS: 'postgres://idis:s3cret@db-replica-1/idis, postgresql://idis:s3cret@db-replica-2:5433/idis', DATABASE_READ_MAX_LAG_MS: '2500' });
    expect(config.readReplicas).toEqual({ urls: ['postgres://idis:s3cret@db-replica-1/idis', 'postgresql://idis:s3cret@db-replica-2:5433/idis'], maxLagMs: 2500, pollIntervalMs: 200, poolSize: 4 });
    expect(loadAppConfig({ DATABASE_URL: primary }).readReplicas.urls).toEqual([]);

    const unparsable = problemsOf({ DATABASE_URL: primary, DATABASE_READ_URLS: 'mysql://root:hunter2@replica/idis' });
    expect(unparsable).toEqual(['DATABASE_READ_URLS entry 1 is not a URL starting with postgres:// or postgresql://']);
    // The primary spelled differently (another scheme, the default port left out, another password) is still the primary.
    expect(problemsOf({ DATABASE_URL: primary, DATABASE_READ_URLS: 'postgres://replica/idis,postgresql://other:pw@DB-PRIMARY/idis' })).toEqual([
      'DATABASE_READ_URLS entry 2 (db-primary:5432/idis) is DATABASE_URL itself; a read replica must be a streaming standby of it',
    ]);
    expect(problemsOf({ DATABASE_URL: primary, DATABASE_READ_URLS: 'postgres://replica/idis,postgres://replica:5432/idis' })).toEqual(['DATABASE_READ_URLS entry 2 (replica:5432/idis) is listed twice']);
    expect(problemsOf({ DATABASE_URL: primary, DATABASE_READ_URLS: 'postgres://replica/idis,' })).toEqual(['DATABASE_READ_URLS entry 2 is empty (a stray comma?)']);
    expect(problemsOf({ DATABASE_READ_URLS: 'postgres://replica/idis' })).toEqual(['DATABASE_READ_URLS needs DATABASE_URL (the primary): the embedded profile has no replicas']);
    expect(problemsOf({ DATABASE_URL: primary, DATABASE_READ_URLS: Array.from({ length: 17 }, (_, i) => `postgres://replica-${i}/idis`).join(',') })).toEqual(['DATABASE_READ_URLS lists 17 replicas; at most 16']);
    expect(problemsOf({ DATABASE_URL: primary, DATABASE_READ_MAX_LAG_MS: 'soon' }).join()).toMatch(/DATABASE_READ_MAX_LAG_MS must be an integer/);
    expect(problemsOf({ DATABASE_URL: primary, DATABASE_READ_POLL_INTERVAL_MS: '0' }).join()).toMatch(/DATABASE_READ_POLL_INTERVAL_MS must be an integer/);
    for (const problem of [...unparsable, ...problemsOf({ DATABASE_URL: primary, DATABASE_READ_URLS: primary })]) expect(problem).not.toContain('s3cret');
  });

  it('does not echo DATABASE_URL, which may carry a password', () => {
    const [problem] = problemsOf({ DATABASE_URL: 'mysql://root:hunter2@db/idis' });
    expect(problem).not.toContain('hunter2');
  });

  it('reports every problem at once, in a message naming each variable', () => {
    const env = {
      PORT: 'abc',
      DATABASE_URL: 'mysql://x',
      SECONDARY_PREFIX: '88..1',
      LOG_LEVEL: 'loud',
      JWT_SECRET: 'too-short',
      OPERATOR_PASSWORD: 'short',
    };
    let caught: unknown;
    try {
      loadAppConfig(env);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const error = caught as ConfigError;
    expect(error.problems).toHaveLength(6);
    for (const name of Object.keys(env)) {
      expect(error.problems.filter((p) => p.startsWith(`${name} `))).toHaveLength(1);
      expect(error.message).toContain(`  - ${name} `);
    }
    expect(error.message.split('\n')[0]).toBe('invalid configuration:');
  });

  it('serves the Handle protocol on 2641 in the services profile, off with HANDLE_PROTOCOL_PORT=off, and names a bad port', () => {
    const services = { DATABASE_URL: 'postgres://u@127.0.0.1:5432/db', OPERATOR_PASSWORD: 'operator-secret-1', JWT_SECRET: 'test-secret-that-is-long-enough-0123456789' };
    expect(loadAppConfig(services).handleProtocol).toMatchObject({ enabled: true, port: 2641, host: '0.0.0.0' });
    expect(loadAppConfig({ ...services, HANDLE_PROTOCOL_PORT: 'off' }).handleProtocol.enabled).toBe(false);
    expect(() => loadAppConfig({ HANDLE_PROTOCOL_PORT: 'udp' })).toThrow(/HANDLE_PROTOCOL_PORT must be a port from 0 to 65535 \(0 = a free one\) or "off", got "udp"/);
    expect(() => loadAppConfig({ HANDLE_PROTOCOL_PUBLIC_ADDRESS: 'node.example.cn' })).toThrow(/HANDLE_PROTOCOL_PUBLIC_ADDRESS must be an IPv4 or IPv6 address/);
  });
});
