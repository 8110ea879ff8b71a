import { Module } from '@nestjs/common';
import { RegistryModule } from '../../registry/registry.module';
import { MqttAccessModule } from '../mqtt-access/mqtt-access.module';
import { TraceabilityStoreModule } from '../store/traceability-store.module';
import { CaptureController } from './capture.controller';
import { CaptureService } from './capture.service';
import { IngestionController } from './ingestion.controller';
import { IngestionRejectsController } from './ingestion-rejects.controller';
import { IngestionRejectsRepository } from './ingestion-rejects.repository';
import { IngestionRejectsService } from './ingestion-rejects.service';
import { IngestionRuntime } from './ingestion-runtime';
import { IngestionStatusController } from './ingestion-status.controller';
import { IngestionStatusService } from './ingestion-status.service';

/**
 * EPCIS ingestion: the MQTT transport strategy (connected in bootstrap.ts), the batching pipeline,
 * POST /epcis/capture, GET /api/v1/ingestion/status (metrics/ reads its counters) and the
 * latest rejects (GET /api/v1/ingestion/rejects).
 */
@Module({
  imports: [RegistryModule, TraceabilityStoreModule, MqttAccessModule],
  controllers: [IngestionController, IngestionStatusController, IngestionRejectsController, CaptureController],
  providers: [IngestionRuntime, IngestionStatusService, CaptureService, IngestionRejectsRepository, IngestionRejectsService],
  exports: [IngestionRuntime],
})
export class IngestionModule {}
