import { Module } from '@nestjs/common';
import { StatisticsModule } from '../statistics/statistics.module';
import { EnterpriseOverviewController } from './enterprise-overview.controller';
import { EnterpriseOverviewRepository } from './enterprise-overview.repository';
import { EnterpriseOverviewService } from './enterprise-overview.service';
import { MonthlyReportController } from './monthly-report.controller';
import { MonthlyReportService } from './monthly-report.service';

/**
 * What the operator's console reads across capabilities: the enterprise listing and detail
 * (registry tables, with 30-day volumes from statistics) and the monthly report. It only reads,
 * through its own repository on the heavy-read pool, and flushes this replica's usage counts
 * (statistics' UsageCounter) before answering about the current period. Nothing imports it but
 * the app; it imports no resolution, upstream, traceability, metrics or audit.
 */
@Module({
  imports: [StatisticsModule],
  controllers: [EnterpriseOverviewController, MonthlyReportController],
  providers: [EnterpriseOverviewRepository, EnterpriseOverviewService, MonthlyReportService],
})
export class ReportsModule {}
