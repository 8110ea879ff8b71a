import { InitialSchema1763900000000 } from './1763900000000-initial-schema';
import { UsageCounts1795460000000 } from './1795460000000-usage-counts';
import { Upstream1795900000000 } from './1795900000000-upstream';
import { Traceability1796000000000 } from './1796000000000-traceability';
import { PartnerGrants1796100000000 } from './1796100000000-partner-grants';
import { AccountsWithoutRegistryRelation1796200000000 } from './1796200000000-accounts-without-registry-relation';
import { CaseInsensitiveUsernames1796300000000 } from './1796300000000-case-insensitive-usernames';
import { LoginThrottle1796300000001 } from './1796300000001-login-throttle';
import { TokenVersions1796300000002 } from './1796300000002-token-versions';
import { ApiKeys1796300000003 } from './1796300000003-api-keys';
import { EventIdsPerOwner1796400000000 } from './1796400000000-event-ids-per-owner';
import { AuditLog1796500000000 } from './1796500000000-audit-log';
import { OutboxRequestId1796500000001 } from './1796500000001-outbox-request-id';
import { MqttCredentials1796600000000 } from './1796600000000-mqtt-credentials';
import { UsageRollups1796700000000 } from './1796700000000-usage-rollups';
import { EpcisHashCbv20Reference1796800000000 } from './1796800000000-epcis-hash-cbv20-reference';
import { AuditFilterIndexes1796800000001 } from './1796800000001-audit-filter-indexes';
import { EpcisCaptureJobs1797000000000 } from './1797000000000-epcis-capture-jobs';
import { EpcisNamedQueries1797100000000 } from './1797100000000-epcis-named-queries';
import { PartitionedStore1797200000000 } from './1797200000000-partitioned-store';
import { EventsByRecordTime1797300000000 } from './1797300000000-events-by-record-time';
import { EdgesWithoutForeignKeys1797400000000 } from './1797400000000-edges-without-foreign-keys';

/** Every migration, in order. New ones are appended here. */
export const migrations = [InitialSchema1763900000000, UsageCounts1795460000000, Upstream1795900000000, Traceability1796000000000, PartnerGrants1796100000000, AccountsWithoutRegistryRelation1796200000000, CaseInsensitiveUsernames1796300000000, LoginThrottle1796300000001, TokenVersions1796300000002, ApiKeys1796300000003, EventIdsPerOwner1796400000000, AuditLog1796500000000, OutboxRequestId1796500000001, MqttCredentials1796600000000, UsageRollups1796700000000, EpcisHashCbv20Reference1796800000000, AuditFilterIndexes1796800000001, EpcisCaptureJobs1797000000000, EpcisNamedQueries1797100000000, PartitionedStore1797200000000, EventsByRecordTime1797300000000, EdgesWithoutForeignKeys1797400000000];
