import { Module } from '@nestjs/common';
import { AuditController } from './audit.controller';
import { AuditPruner } from './audit-pruner';
import { AuditRecorder } from './audit-recorder';
import { AuditRepository } from './audit.repository';
import { AuditService } from './audit.service';

/**
 * The audit log: it listens for 'audit.recorded' / 'audit.batch-recorded' (emitted by every write
 * path inside its transaction, and by the request hooks for refused calls), serves GET
 * /api/v1/audit, and prunes past retention. Nothing imports it but the app.
 */
@Module({
  controllers: [AuditController],
  providers: [AuditRepository, AuditRecorder, AuditService, AuditPruner],
})
export class AuditModule {}
