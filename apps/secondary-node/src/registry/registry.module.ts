import { Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { HANDLE_AUTH_CONFIG, type HandleAuthConfig } from './handle-auth/handle-auth.config';
import { HandleAuthenticator } from './handle-auth/handle-authenticator';
import { AccountPasswordVerifier, ApiKeyCredentialVerifier, HANDLE_CREDENTIAL_VERIFIERS, type HandleCredentialVerifier } from './handle-auth/handle-credential-verifier';
import { HandleIdentityService } from './handle-auth/handle-identity.service';
import { HandleRestAuthGuard } from './handle-auth/handle-rest-auth.guard';
import { HandleSessionsController } from './handle-auth/handle-sessions.controller';
import { HandleSessionStore, MemoryHandleSessionStore } from './handle-auth/handle-sessions';
import { RedisHandleSessionStore } from './handle-auth/redis-handle-session-store';
import { ApplicationRepository } from './application.repository';
import { ApplicationsController } from './applications.controller';
import { ApplicationsService } from './applications.service';
import { EnterprisesController } from './enterprises.controller';
import { HandlesController } from './handles.controller';
import { HandlesService } from './handles.service';
import { IdentifierImportService } from './identifier-import.service';
import { IdentifierImportLimitsController } from './identifier-import-limits.controller';
import { IdentifierImportsController, installCsvBodyParser } from './identifier-imports.controller';
import { IdentifierListingService } from './identifier-listing.service';
import { IdentifierRepository } from './identifier.repository';
import { IdentifiersController } from './identifiers.controller';
import { PrefixAccessService } from './prefix-access.service';
import { PrefixDirectory } from './prefix-directory.service';
import { PrefixRepository } from './prefix.repository';
import { RecordLabelsService } from './record-labels.service';
import { SnmsDataController } from './snms-data.controller';
import { SnmsIdentifiersService } from './snms-identifiers.service';
import { SnmsTemplateController } from './snms-template.controller';
import { TemplateRepository } from './template.repository';
import { TemplatesController } from './templates.controller';
import { TemplatesService } from './templates.service';

/**
 * Enterprises, their prefixes, data templates and identifiers: everything that is registered.
 * It imports no other capability: every write announces itself on the event hub
 * ('identifiers.written', 'prefix.homed', 'filing.requested', …) and the caches, statistics and
 * upstream listen. Readers (resolution, ingestion, statistics) use the exported repository and
 * the prefix directory and access rules.
 */
@Module({
  controllers: [ApplicationsController, EnterprisesController, HandlesController, IdentifiersController, IdentifierImportsController, IdentifierImportLimitsController, SnmsDataController, SnmsTemplateController, TemplatesController, HandleSessionsController],
  providers: [
    ApplicationRepository,
    ApplicationsService,
    HandlesService,
    IdentifierImportService,
    IdentifierListingService,
    IdentifierRepository,
    PrefixAccessService,
    PrefixDirectory,
    PrefixRepository,
    RecordLabelsService,
    SnmsIdentifiersService,
    TemplateRepository,
    TemplatesService,
    // Handle.Net REST authentication (handle-auth/): Basic with a handle identity, HS_PUBKEY sessions.
    AccountPasswordVerifier,
    HandleAuthenticator,
    HandleIdentityService,
    HandleRestAuthGuard,
    {
      provide: HandleSessionStore,
      inject: [HANDLE_AUTH_CONFIG],
      useFactory: (config: HandleAuthConfig): HandleSessionStore =>
        config.redisUrl || config.redisCluster
          ? new RedisHandleSessionStore({ redisUrl: config.redisUrl, redisCluster: config.redisCluster }, config.redisKeyPrefix, config)
          : new MemoryHandleSessionStore(config),
    },
    // Secrets sent with a handle identity: an API key (a hash lookup) before the password (scrypt).
    ApiKeyCredentialVerifier,
    {
      provide: HANDLE_CREDENTIAL_VERIFIERS,
      inject: [ApiKeyCredentialVerifier, AccountPasswordVerifier],
      useFactory: (key: ApiKeyCredentialVerifier, password: AccountPasswordVerifier): HandleCredentialVerifier[] => [key, password],
    },
  ],
  exports: [IdentifierRepository, IdentifierListingService, HandlesService, PrefixAccessService, PrefixDirectory, HandleAuthenticator, RecordLabelsService],
})
export class RegistryModule implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  /** CSV import bodies are streamed to the import route (installCsvBodyParser). */
  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    if (fastify && !fastify.hasContentTypeParser('text/csv')) installCsvBodyParser(fastify);
  }
}
