import { type DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { TOP_LEVEL_CONFIG, type TopLevelConfig } from './config/top-level-config';
import { SettingsController } from './console/settings.controller';
import { dataSourceOptions } from './database/data-source-options';
import { FilingReviewService } from './filing/filing-review.service';
import { FilingRepository } from './filing/filing.repository';
import { FilingService } from './filing/filing.service';
import { FilingsController } from './filing/filings.controller';
import {
  NodeEnrolmentGrpcController,
  PrefixFilingGrpcController,
  PrefixResolutionGrpcController,
  ReportingGrpcController,
} from './grpc/top-level-grpc.controllers';
import { SignedCallGuard } from './grpc/signed-call.guard';
import { HealthController } from './health/health.controller';
import { IiidapController } from './iiidap/iiidap.controller';
import { IiidapService } from './iiidap/iiidap.service';
import { EnrolmentService } from './nodes/enrolment.service';
import { NodeDirectoryService } from './nodes/node-directory.service';
import { NodeRepository } from './nodes/node.repository';
import { NodesController } from './nodes/nodes.controller';
import { NoncePruner } from './nodes/nonce-pruner';
import { SECRET_BOX, SecretBox } from './nodes/secret-box';
import { ReportingRepository } from './reporting/reporting.repository';
import { ReportingService } from './reporting/reporting.service';
import { VolumesController } from './reporting/volumes.controller';
import { PrefixResolutionService } from './resolution/prefix-resolution.service';
import { SimulationController } from './simulation/simulation.controller';
import { SimulationGuard } from './simulation/simulation.guard';
import { SimulationService } from './simulation/simulation.service';

@Global()
@Module({})
class TopLevelConfigModule {
  static register(config: TopLevelConfig): DynamicModule {
    return {
      module: TopLevelConfigModule,
      providers: [
        { provide: TOP_LEVEL_CONFIG, useValue: config },
        { provide: SECRET_BOX, useFactory: () => new SecretBox(config.secretSealingKey) },
        SimulationService,
        SimulationGuard,
      ],
      exports: [TOP_LEVEL_CONFIG, SECRET_BOX, SimulationService, SimulationGuard],
    };
  }
}

/** Enrolled nodes, their credentials and the signed-call check. */
@Module({
  controllers: [NodesController],
  providers: [NodeRepository, EnrolmentService, NodeDirectoryService, NoncePruner, SignedCallGuard],
  exports: [NodeRepository, EnrolmentService, SignedCallGuard],
})
class NodesModule {}

/** Enterprise-prefix filing, review and prefix resolution. */
@Module({
  imports: [NodesModule],
  controllers: [FilingsController, IiidapController],
  providers: [FilingRepository, FilingService, FilingReviewService, PrefixResolutionService, IiidapService],
  exports: [FilingService, PrefixResolutionService],
})
class FilingModule {}

/** Statistics reports and heartbeats. */
@Module({
  imports: [NodesModule],
  controllers: [VolumesController],
  providers: [ReportingRepository, ReportingService],
  exports: [ReportingService],
})
class ReportingModule {}

/** The gRPC front door over the modules above. */
@Module({
  imports: [NodesModule, FilingModule, ReportingModule],
  controllers: [NodeEnrolmentGrpcController, PrefixFilingGrpcController, PrefixResolutionGrpcController, ReportingGrpcController],
})
class GrpcFrontDoorModule {}

/** The simulated national top-level node, built from a validated configuration. */
@Module({})
export class TopLevelAppModule {
  static register(config: TopLevelConfig): DynamicModule {
    return {
      module: TopLevelAppModule,
      imports: [
        TopLevelConfigModule.register(config),
        TypeOrmModule.forRoot(dataSourceOptions(config.databaseUrl)),
        NodesModule,
        FilingModule,
        ReportingModule,
        GrpcFrontDoorModule,
      ],
      controllers: [SimulationController, HealthController, SettingsController],
    };
  }
}
