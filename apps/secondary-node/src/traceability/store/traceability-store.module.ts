import { Module } from '@nestjs/common';
import { CaptureJobRepository } from './capture-job.repository';
import { EventPartitionKeeper } from './event-partition-keeper';
import { EventStore } from './event-store';

/**
 * Writes of the traceability store (EventStore) and capture jobs, and the upkeep of the event
 * partitions (EventPartitionKeeper); queries live in traceability/query.
 */
@Module({
  providers: [EventStore, CaptureJobRepository, EventPartitionKeeper],
  exports: [EventStore, CaptureJobRepository],
})
export class TraceabilityStoreModule {}
