import { ConsoleLogger, type DynamicModule, Global, Module, type Provider } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import type { HandleJsonValue } from '@idis/identifier';
import { NODE_SECRET, resolveNodeSecret } from '../../apps/secondary-node/src/auth/node-secret';
import { type AppConfig, CONFIG_TOKENS, configProviders, loadAppConfig } from '../../apps/secondary-node/src/app-config';
import { AuthModule } from '../../apps/secondary-node/src/auth/auth.module';
import { EventsModule } from '../../apps/secondary-node/src/events/events.module';
import { HealthBoardModule } from '../../apps/secondary-node/src/health/health-board';
import { dataSourceOptions } from '../../apps/secondary-node/src/database/data-source-options';
import { migrateDatabase } from '../../apps/secondary-node/src/database/migrate';
import { IdentifierRepository } from '../../apps/secondary-node/src/registry/identifier.repository';
import { ResolutionCache } from '../../apps/secondary-node/src/resolution/resolution-cache';
import { ResolutionHealth } from '../../apps/secondary-node/src/resolution/resolution-health';
import { ResolutionModule } from '../../apps/secondary-node/src/resolution/resolution.module';
import { ResolutionService } from '../../apps/secondary-node/src/resolution/resolution.service';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

/** A migrated database with one active enterprise prefix, and SQL helpers standing in for the registry's writes. */
export class ResolutionDatabase {
  private constructor(readonly db: TestDatabase) {}

  static async create(prefixes: string[]): Promise<ResolutionDatabase> {
    const db = await createTestDatabase('res');
    await migrateDatabase(db.url);
    for (const [i, prefix] of prefixes.entries()) {
      const application = await db.client.query<{ id: string }>(
        `INSERT INTO enterprise_applications (org_name, credit_code, contact_name, contact_phone, contact_email, requested_prefix, username, password_hash, password_digest_sealed, status)
         VALUES ($1, $2, 'Zhang San', '+86 27 1234 5678', 'a@example.cn', $3, $4, 'x', 'x', 'active') RETURNING id`,
        [`Org ${prefix}`, `91110108MA0000000${i}`.slice(0, 18), prefix, `user${i}`],
      );
      await db.client.query(`INSERT INTO enterprise_prefixes (prefix_key, prefix, status, application_id) VALUES ($1, $1, 'active', $2)`, [
        prefix.toLowerCase(),
        application.rows[0].id,
      ]);
    }
    return new ResolutionDatabase(db);
  }

  get url(): string {
    return this.db.url;
  }

  async insert(handle: string, values: HandleJsonValue[]): Promise<void> {
    const prefix = handle.slice(0, handle.indexOf('/'));
    await this.db.client.query(`INSERT INTO identifiers (handle_key, handle, prefix_key, "values") VALUES ($1, $2, $3, $4::jsonb)`, [
      handle.toLowerCase(),
      handle,
      prefix.toLowerCase(),
      JSON.stringify(values),
    ]);
  }

  async insertMany(handles: string[], values: HandleJsonValue[]): Promise<void> {
    await this.db.client.query(
      `INSERT INTO identifiers (handle_key, handle, prefix_key, "values")
       SELECT lower(h), h, lower(split_part(h, '/', 1)), $2::jsonb FROM unnest($1::text[]) AS h`,
      [handles, JSON.stringify(values)],
    );
  }

  async update(handle: string, values: HandleJsonValue[]): Promise<void> {
    await this.db.client.query(`UPDATE identifiers SET "values" = $2::jsonb, version = version + 1, updated_at = now() WHERE handle_key = $1`, [
      handle.toLowerCase(),
      JSON.stringify(values),
    ]);
  }

  async drop(): Promise<void> {
    await this.db.drop();
  }
}

/** One "replica": the resolution module on its own DataSource, L1 and Redis connections. */
export interface Resolver {
  moduleRef: TestingModule;
  config: AppConfig;
  service: ResolutionService;
  cache: ResolutionCache;
  health: ResolutionHealth;
  /** Spied: counts the primary-key queries that really went to PostgreSQL. */
  findForResolution: jest.SpiedFunction<IdentifierRepository['findForResolution']>;
  close(): Promise<void>;
}

export async function startResolver(databaseUrl: string, env: Record<string, string>, extraProviders: Provider[] = []): Promise<Resolver> {
  const config = loadAppConfig({ DATABASE_URL: databaseUrl, LOG_LEVEL: 'error', ...env });
  const moduleRef = await Test.createTestingModule({
    imports: [TestConfigModule.register(config, extraProviders), TypeOrmModule.forRoot(dataSourceOptions(databaseUrl, { poolSize: 4 })), EventsModule, HealthBoardModule, AuthModule, ResolutionModule],
  })
    .setLogger(new ConsoleLogger('test', { logLevels: ['error'] }))
    .compile();
  await moduleRef.init();
  const findForResolution = jest.spyOn(moduleRef.get(IdentifierRepository), 'findForResolution');
  return {
    moduleRef,
    config,
    service: moduleRef.get(ResolutionService),
    cache: moduleRef.get(ResolutionCache),
    health: moduleRef.get(ResolutionHealth),
    findForResolution,
    close: () => moduleRef.close(),
  };
}

@Global()
@Module({})
class TestConfigModule {
  static register(config: AppConfig, extraProviders: Provider[]): DynamicModule {
    return {
      module: TestConfigModule,
      providers: [...configProviders(config), { provide: NODE_SECRET, useFactory: () => resolveNodeSecret(config) }, ...extraProviders],
      exports: [...CONFIG_TOKENS, NODE_SECRET, ...extraProviders.map((p) => ('provide' in p ? p.provide : p))],
    };
  }
}

/** A Redis key namespace of its own, so suites never see each other's keys on the shared Redis. */
export function uniqueKeyPrefix(label: string): string {
  return `idis-test:${label}:${randomBytes(4).toString('hex')}:`;
}

export function stringValue(index: number, type: string, value: string, extra: Partial<HandleJsonValue> = {}): HandleJsonValue {
  return { index, type, data: { format: 'string', value }, ttl: 86400, timestamp: '2026-01-01T00:00:00Z', ...extra };
}
