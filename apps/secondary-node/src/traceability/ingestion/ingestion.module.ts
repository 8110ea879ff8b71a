import { Module } from '@nestjs/common';
import { RegistryModule } from '../../registry/registry.module';
import { MqttAccessModule } from '../mqtt-access/mqtt-access.module';
import { TraceabilityStoreModule } from '../store/traceability-store.module';
import { CaptureController } from './capture.controller';
import { CaptureService } from './capture.service';
import { IngestionController } from './ingestion.controller';
import { IngestionRuntime } from './ingestion-runtime';
import { IngestionStatusController } from './ingestion-status.controller';
import { IngestionStatusService } from './ingestion-status.service';

/**
 * EPCIS ingestion: the MQTT transport strategy (connected in bootstrap.ts), the batching pipeline,
 * POST /epcis/capture and GET /api/v1/ingestion/status (metrics/ reads its counters).
 */
@Module({
  imports: [RegistryModule, TraceabilityStoreModule, MqttAccessModule],
  controllers: [IngestionController, IngestionStatusController, CaptureController],
  providers: [IngestionRuntime, IngestionStatusService, CaptureService],
  exports: [IngestionRuntime],
})
export class IngestionModule {}
