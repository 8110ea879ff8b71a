import { Controller, UseFilters, UseGuards } from '@nestjs/common';
import type { Metadata } from '@grpc/grpc-js';
import {
  type AckRequest,
  type AckResponse,
  type CheckPrefixesRequest,
  type CheckPrefixesResponse,
  type CreateFilingRequest,
  type DeleteFilingRequest,
  type EnrolRequest,
  type EnrolResponse,
  type Filing,
  type FilingInfoRequest,
  type FilingReceipt,
  type HeartbeatAck,
  type HeartbeatRequest,
  type NodeEnrolmentController,
  NodeEnrolmentControllerMethods,
  type PollResponse,
  type PrefixFilingController,
  PrefixFilingControllerMethods,
  type PrefixResolutionController,
  PrefixResolutionControllerMethods,
  type ReportAck,
  type ReportingController,
  ReportingControllerMethods,
  type ResolvePrefixRequest,
  type ResolvePrefixResponse,
  type StatisticsReport,
  type UpdateFilingRequest,
} from '@idis/contracts';
import { FilingService } from '../filing/filing.service';
import { EnrolmentService } from '../nodes/enrolment.service';
import { ReportingService } from '../reporting/reporting.service';
import { PrefixResolutionService } from '../resolution/prefix-resolution.service';
import { SimulationGuard } from '../simulation/simulation.guard';
import { callerOf } from './authenticated-node';
import { GrpcExceptionFilter } from './grpc-exception.filter';
import { SignedCallGuard } from './signed-call.guard';

/* The gRPC front door: thin controllers over the services (guards run in the order listed). */

@Controller()
@NodeEnrolmentControllerMethods()
@UseGuards(SimulationGuard)
@UseFilters(GrpcExceptionFilter)
export class NodeEnrolmentGrpcController implements NodeEnrolmentController {
  constructor(private readonly enrolment: EnrolmentService) {}

  enrol(request: EnrolRequest): Promise<EnrolResponse> {
    return this.enrolment.enrol(request);
  }
}

@Controller()
@PrefixFilingControllerMethods()
@UseGuards(SimulationGuard, SignedCallGuard)
@UseFilters(GrpcExceptionFilter)
export class PrefixFilingGrpcController implements PrefixFilingController {
  constructor(private readonly filing: FilingService) {}

  check(request: CheckPrefixesRequest, metadata?: Metadata): Promise<CheckPrefixesResponse> {
    return this.filing.check(callerOf(metadata), request.prefixes ?? []);
  }

  create(request: CreateFilingRequest, metadata?: Metadata): Promise<FilingReceipt> {
    return this.filing.submit(callerOf(metadata), { operation: 'create', ...request });
  }

  update(request: UpdateFilingRequest, metadata?: Metadata): Promise<FilingReceipt> {
    return this.filing.submit(callerOf(metadata), { operation: 'update', ...request });
  }

  delete(request: DeleteFilingRequest, metadata?: Metadata): Promise<FilingReceipt> {
    return this.filing.submit(callerOf(metadata), { operation: 'delete', ...request });
  }

  info(request: FilingInfoRequest, metadata?: Metadata): Promise<Filing> {
    return this.filing.info(callerOf(metadata), request.prefix);
  }

  poll(_request: unknown, metadata?: Metadata): Promise<PollResponse> {
    return this.filing.poll(callerOf(metadata));
  }

  ack(request: AckRequest, metadata?: Metadata): Promise<AckResponse> {
    return this.filing.ack(callerOf(metadata), request.messageId);
  }
}

@Controller()
@PrefixResolutionControllerMethods()
@UseGuards(SimulationGuard, SignedCallGuard)
@UseFilters(GrpcExceptionFilter)
export class PrefixResolutionGrpcController implements PrefixResolutionController {
  constructor(private readonly resolution: PrefixResolutionService) {}

  resolve(request: ResolvePrefixRequest, metadata?: Metadata): Promise<ResolvePrefixResponse> {
    callerOf(metadata);
    return this.resolution.resolve(request.prefix);
  }
}

@Controller()
@ReportingControllerMethods()
@UseGuards(SimulationGuard, SignedCallGuard)
@UseFilters(GrpcExceptionFilter)
export class ReportingGrpcController implements ReportingController {
  constructor(private readonly reporting: ReportingService) {}

  reportStatistics(request: StatisticsReport, metadata?: Metadata): Promise<ReportAck> {
    return this.reporting.report(callerOf(metadata), request);
  }

  heartbeat(request: HeartbeatRequest, metadata?: Metadata): Promise<HeartbeatAck> {
    return this.reporting.heartbeat(callerOf(metadata), request);
  }
}
