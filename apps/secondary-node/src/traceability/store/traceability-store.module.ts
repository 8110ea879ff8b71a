import { Module } from '@nestjs/common';
import { CaptureJobRepository } from './capture-job.repository';
import { EventStore } from './event-store';

/** Writes of the traceability store (EventStore) and capture jobs; queries live in traceability/query. */
@Module({
  providers: [EventStore, CaptureJobRepository],
  exports: [EventStore, CaptureJobRepository],
})
export class TraceabilityStoreModule {}
