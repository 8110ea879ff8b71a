import { Module } from '@nestjs/common';
import { GrantsController, PartnersController } from './grants.controller';
import { GrantsRepository } from './grants.repository';
import { GrantsService } from './grants.service';
import { TraceabilityAccess } from './traceability-access.service';

/** Who may read traceability events: partner accounts and the grants enterprises give them. */
@Module({
  controllers: [GrantsController, PartnersController],
  providers: [GrantsRepository, GrantsService, TraceabilityAccess],
  exports: [TraceabilityAccess],
})
export class GrantsModule {}
