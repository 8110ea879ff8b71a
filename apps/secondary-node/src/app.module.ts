import { type DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from './auth/auth.module';
import { NODE_SECRET, resolveNodeSecret } from './auth/node-secret';
import { type AppConfig, CONFIG_TOKENS, configProviders } from './app-config';
import { dataSourceOptions } from './database/data-source-options';
import { heavyReadDataSourceOptions } from './database/heavy-read-data-source';
import { EventsModule } from './events/events.module';
import { HealthBoardModule } from './health/health-board';
import { HealthController } from './health/health.controller';
import { LabelsModule } from './labels/labels.module';
import { LimitsModule } from './limits/limits.module';
import { MetricsModule } from './metrics/metrics.module';
import { RegistryModule } from './registry/registry.module';
import { ResolutionModule } from './resolution/resolution.module';
import { StatisticsModule } from './statistics/statistics.module';
import { GrantsModule } from './traceability/grants/grants.module';
import { EpcisCaptureModule } from './traceability/capture/capture.module';
import { IngestionModule } from './traceability/ingestion/ingestion.module';
import { TraceabilityQueryModule } from './traceability/query/query.module';
import { SubscriptionsModule } from './traceability/subscriptions/subscriptions.module';
import { UpstreamModule } from './upstream/upstream.module';
import { AuditModule } from './audit/audit.module';
import { ReportsModule } from './reports/reports.module';
import { ReadReplicas } from './read-replicas/read-replicas';
import { ReadReplicasModule } from './read-replicas/read-replicas.module';
import { ReplicaRoutedDataSource } from './read-replicas/replica-routed-data-source';
import { HEAVY_READ_DATA_SOURCE } from './config/heavy-read.config';
import { HandleProtocolModule } from './handle-protocol/handle-protocol.module';

@Global()
@Module({})
class NodeConfigModule {
  static register(config: AppConfig): DynamicModule {
    return {
      module: NodeConfigModule,
      providers: [
        ...configProviders(config),
        { provide: NODE_SECRET, useFactory: () => resolveNodeSecret(config) },
      ],
      exports: [...CONFIG_TOKENS, NODE_SECRET],
    };
  }
}

/** The secondary node: built from a validated configuration and the URL of a migrated database. */
@Module({})
export class AppModule {
  static register(config: AppConfig, databaseUrl: string): DynamicModule {
    const replicas = config.readReplicas.urls.length > 0 ? new ReadReplicas(config.readReplicas, databaseUrl, config.heavyReads) : undefined;
    const heavyReadOptions = heavyReadDataSourceOptions(databaseUrl, config.heavyReads);
    // Without replicas, exactly the single-database data source; with them, its plain queries go to a replica in rotation.
    const heavyReadDataSource = replicas
      ? TypeOrmModule.forRootAsync({ name: HEAVY_READ_DATA_SOURCE, useFactory: () => heavyReadOptions, dataSourceFactory: (options) => new ReplicaRoutedDataSource(options ?? heavyReadOptions, replicas).initialize() })
      : TypeOrmModule.forRoot(heavyReadOptions);
    return {
      module: AppModule,
      imports: [NodeConfigModule.register(config), TypeOrmModule.forRoot(dataSourceOptions(databaseUrl)), heavyReadDataSource, ReadReplicasModule.register(replicas), EventsModule, HealthBoardModule, AuthModule, RegistryModule, ResolutionModule, StatisticsModule, MetricsModule, UpstreamModule, GrantsModule, TraceabilityQueryModule, SubscriptionsModule, IngestionModule, EpcisCaptureModule, LimitsModule, AuditModule, LabelsModule, ReportsModule, HandleProtocolModule],
      controllers: [HealthController],
    };
  }
}
