import { CaptureJobEntity } from './capture-job.entity';
import { EpcisContainmentEntity } from './epcis-containment.entity';
import { EpcisDerivationEntity } from './epcis-derivation.entity';
import { EpcisEventIdEntity } from './epcis-event-id.entity';
import { EpcisEventIdentifierEntity } from './epcis-event-identifier.entity';
import { EpcisEventEntity } from './epcis-event.entity';
import { EpcisRejectEntity } from './epcis-reject.entity';
import { IngestionCounterEntity } from './ingestion-counter.entity';

/** Every entity of the traceability store (listed once in data-source-options.ts). */
export const traceabilityEntities = [
  EpcisEventIdEntity,
  EpcisEventEntity,
  EpcisEventIdentifierEntity,
  EpcisContainmentEntity,
  EpcisDerivationEntity,
  EpcisRejectEntity,
  IngestionCounterEntity,
  CaptureJobEntity,
];

export { CaptureJobEntity, EpcisContainmentEntity, EpcisDerivationEntity, EpcisEventEntity, EpcisEventIdEntity, EpcisEventIdentifierEntity, EpcisRejectEntity, IngestionCounterEntity };
