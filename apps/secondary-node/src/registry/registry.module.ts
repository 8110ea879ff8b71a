import { Module } from '@nestjs/common';
import { ApplicationRepository } from './application.repository';
import { ApplicationsController } from './applications.controller';
import { ApplicationsService } from './applications.service';
import { EnterprisesController } from './enterprises.controller';
import { HandlesController } from './handles.controller';
import { HandlesService } from './handles.service';
import { IdentifierRepository } from './identifier.repository';
import { PrefixAccessService } from './prefix-access.service';
import { PrefixDirectory } from './prefix-directory.service';
import { PrefixRepository } from './prefix.repository';
import { SnmsDataController } from './snms-data.controller';
import { SnmsIdentifiersService } from './snms-identifiers.service';
import { SnmsTemplateController } from './snms-template.controller';
import { TemplateRepository } from './template.repository';
import { TemplatesService } from './templates.service';

/**
 * Enterprises, their prefixes, data templates and identifiers: everything that is registered.
 * It imports no other capability: every write announces itself on the event hub
 * ('identifiers.written', 'prefix.homed', 'filing.requested', …) and the caches, statistics and
 * upstream listen. Readers (resolution, ingestion, statistics) use the exported repository and
 * the prefix directory and access rules.
 */
@Module({
  controllers: [ApplicationsController, EnterprisesController, HandlesController, SnmsDataController, SnmsTemplateController],
  providers: [
    ApplicationRepository,
    ApplicationsService,
    HandlesService,
    IdentifierRepository,
    PrefixAccessService,
    PrefixDirectory,
    PrefixRepository,
    SnmsIdentifiersService,
    TemplateRepository,
    TemplatesService,
  ],
  exports: [IdentifierRepository, HandlesService, PrefixAccessService, PrefixDirectory],
})
export class RegistryModule {}
