import { Module } from '@nestjs/common';
import { RegistryModule } from '../../registry/registry.module';
import { MqttAccessModule } from '../mqtt-access/mqtt-access.module';
import { TraceabilityStoreModule } from '../store/traceability-store.module';
import { IngestionController } from './ingestion.controller';
import { IngestionRejectsController } from './ingestion-rejects.controller';
import { IngestionRejectsRepository } from './ingestion-rejects.repository';
import { IngestionRejectsService } from './ingestion-rejects.service';
import { IngestionRuntime } from './ingestion-runtime';
import { IngestionStatusController } from './ingestion-status.controller';
import { IngestionStatusService } from './ingestion-status.service';

/**
 * EPCIS ingestion: the MQTT transport strategy (connected in bootstrap.ts), the batching pipeline,
 * GET /api/v1/ingestion/status (metrics/ reads its counters) and the
 * latest rejects (GET /api/v1/ingestion/rejects).
 */
@Module({
  imports: [RegistryModule, TraceabilityStoreModule, MqttAccessModule],
  controllers: [IngestionController, IngestionStatusController, IngestionRejectsController],
  providers: [IngestionRuntime, IngestionStatusService, IngestionRejectsRepository, IngestionRejectsService],
  exports: [IngestionRuntime],
})
export class IngestionModule {}
