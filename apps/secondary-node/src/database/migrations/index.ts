import { InitialSchema1763900000000 } from './1763900000000-initial-schema';
import { UsageCounts1795460000000 } from './1795460000000-usage-counts';
import { Upstream1795900000000 } from './1795900000000-upstream';
import { Traceability1796000000000 } from './1796000000000-traceability';
import { PartnerGrants1796100000000 } from './1796100000000-partner-grants';
import { AccountsWithoutRegistryRelation1796200000000 } from './1796200000000-accounts-without-registry-relation';
import { MqttCredentials1796600000000 } from './1796600000000-mqtt-credentials';

/** Every migration, in order. New ones are appended here. */
export const migrations = [InitialSchema1763900000000, UsageCounts1795460000000, Upstream1795900000000, Traceability1796000000000, PartnerGrants1796100000000, AccountsWithoutRegistryRelation1796200000000, MqttCredentials1796600000000];
