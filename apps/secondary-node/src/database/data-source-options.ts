import type { DataSourceOptions } from 'typeorm';
import { postgresDataSourceOptions } from '@idis/runtime/database';
import { AccountEntity } from '../auth/account.entity';
import { ApiKeyEntity } from '../auth/api-keys/api-key.entity';
import { LoginThrottleEntity } from '../auth/login-throttle/login-throttle.entity';
import { DataTemplateEntity } from '../registry/entities/data-template.entity';
import { EnterpriseApplicationEntity } from '../registry/entities/enterprise-application.entity';
import { EnterprisePrefixEntity } from '../registry/entities/enterprise-prefix.entity';
import { EnterpriseEntity } from '../registry/entities/enterprise.entity';
import { IdentifierEntity } from '../registry/entities/identifier.entity';
import { TemplateItemEntity } from '../registry/entities/template-item.entity';
import { UsageCountEntity } from '../statistics/usage-count.entity';
import { UsageDailyCountEntity, UsageHourlyCountEntity, UsageRollupSettingsEntity } from '../statistics/usage-rollup.entities';
import { NodeEnrolmentEntity } from '../upstream/node-enrolment.entity';
import { UpstreamOutboxEntity } from '../upstream/upstream-outbox.entity';
import { traceabilityEntities } from '../traceability/store/entities';
import { PartnerGrantEntity } from '../traceability/grants/partner-grant.entity';
import { PartnerEntity } from '../traceability/grants/partner.entity';
import { MqttCredentialEntity } from '../traceability/mqtt-access/mqtt-credential.entity';
import { migrations } from './migrations';

export const entities = [
  AccountEntity,
  EnterpriseEntity,
  EnterpriseApplicationEntity,
  EnterprisePrefixEntity,
  DataTemplateEntity,
  TemplateItemEntity,
  IdentifierEntity,
  UsageCountEntity,
  UsageHourlyCountEntity,
  UsageDailyCountEntity,
  UsageRollupSettingsEntity,
  NodeEnrolmentEntity,
  UpstreamOutboxEntity,
  ...traceabilityEntities,
  PartnerEntity,
  PartnerGrantEntity,
  LoginThrottleEntity,
  ApiKeyEntity,
  MqttCredentialEntity,
];

/** The options used by the app, the migration scripts and the tests. */
export function dataSourceOptions(databaseUrl: string, overrides: { poolSize?: number } = {}): DataSourceOptions {
  return postgresDataSourceOptions(databaseUrl, { applicationName: 'idis-secondary-node', entities, migrations, uuidExtension: 'pgcrypto' }, overrides);
}
