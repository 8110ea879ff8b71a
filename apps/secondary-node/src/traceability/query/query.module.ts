import { Module } from '@nestjs/common';
import { GrantsModule } from '../grants/grants.module';
import { EpcisQueryController } from './epcis-query.controller';
import { EpcisQueryService } from './epcis-query.service';
import { EventQueryRepository } from './event-query.repository';
import { HeavyReadGate } from './heavy-read-gate';
import { TraceController } from './trace.controller';
import { TraceRepository } from './trace.repository';
import { TraceService } from './trace.service';

/** The read side of traceability: EPCIS 2.0 REST queries and product traces (timeline + genealogy). */
@Module({
  imports: [GrantsModule],
  controllers: [EpcisQueryController, TraceController],
  providers: [EventQueryRepository, EpcisQueryService, TraceRepository, TraceService, HeavyReadGate],
  exports: [EpcisQueryService],
})
export class TraceabilityQueryModule {}
