import { Module } from '@nestjs/common';
import { ResolutionModule } from '../resolution/resolution.module';
import { StatisticsModule } from '../statistics/statistics.module';
import { TopLevelLinkModule } from '../upstream/top-level-link.module';
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
import { WriteEffects } from './write-effects';

/** Enterprises, their prefixes, data templates and identifiers: everything that is registered. */
@Module({
  imports: [ResolutionModule, StatisticsModule, TopLevelLinkModule],
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
    WriteEffects,
  ],
  exports: [HandlesService, SnmsIdentifiersService, PrefixAccessService, PrefixDirectory, ApplicationsService],
})
export class RegistryModule {}
