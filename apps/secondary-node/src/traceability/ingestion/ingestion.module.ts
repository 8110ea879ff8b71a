import { Module } from '@nestjs/common';
import { MetricsModule } from '../../metrics/metrics.module';
import { RegistryModule } from '../../registry/registry.module';
import { TraceabilityStoreModule } from '../store/traceability-store.module';
import { CaptureController } from './capture.controller';
import { CaptureService } from './capture.service';
import { IngestionController } from './ingestion.controller';
import { IngestionMetrics } from './ingestion-metrics';
import { IngestionRuntime } from './ingestion-runtime';
import { IngestionStatusController } from './ingestion-status.controller';
import { IngestionStatusService } from './ingestion-status.service';

/**
 * EPCIS ingestion: the MQTT transport strategy (connected in bootstrap.ts), the batching pipeline,
 * POST /epcis/capture, GET /api/v1/ingestion/status and the ingestion metrics.
 */
@Module({
  imports: [RegistryModule, MetricsModule, TraceabilityStoreModule],
  controllers: [IngestionController, IngestionStatusController, CaptureController],
  providers: [IngestionRuntime, IngestionStatusService, CaptureService, IngestionMetrics],
  exports: [IngestionRuntime],
})
export class IngestionModule {}
