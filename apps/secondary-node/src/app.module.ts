import { type DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from './auth/auth.module';
import { NODE_SECRET, resolveNodeSecret } from './auth/node-secret';
import { NODE_CONFIG, type NodeConfig } from './config/node-config';
import { dataSourceOptions } from './database/data-source-options';
import { HealthController } from './health/health.controller';
import { MetricsModule } from './metrics/metrics.module';
import { RegistryModule } from './registry/registry.module';
import { ResolutionHttpModule } from './resolution/resolution-http.module';
import { ResolutionModule } from './resolution/resolution.module';
import { StatisticsModule } from './statistics/statistics.module';
import { GrantsModule } from './traceability/grants/grants.module';
import { IngestionModule } from './traceability/ingestion/ingestion.module';
import { TraceabilityQueryModule } from './traceability/query/query.module';
import { UpstreamModule } from './upstream/upstream.module';

@Global()
@Module({})
class NodeConfigModule {
  static register(config: NodeConfig): DynamicModule {
    return {
      module: NodeConfigModule,
      providers: [
        { provide: NODE_CONFIG, useValue: config },
        { provide: NODE_SECRET, useFactory: () => resolveNodeSecret(config) },
      ],
      exports: [NODE_CONFIG, NODE_SECRET],
    };
  }
}

/** The secondary node: built from a validated configuration and the URL of a migrated database. */
@Module({})
export class AppModule {
  static register(config: NodeConfig, databaseUrl: string): DynamicModule {
    return {
      module: AppModule,
      imports: [NodeConfigModule.register(config), TypeOrmModule.forRoot(dataSourceOptions(databaseUrl)), AuthModule, ResolutionModule, RegistryModule, ResolutionHttpModule, StatisticsModule, MetricsModule, UpstreamModule, GrantsModule, TraceabilityQueryModule, IngestionModule],
      controllers: [HealthController],
    };
  }
}
