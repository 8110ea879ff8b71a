import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AuthGuard, RequireRoles } from '../../auth/auth.guard';
import { IngestionStatusService } from './ingestion-status.service';

@ApiTags('ingestion')
@ApiBearerAuth()
@Controller('api/v1/ingestion')
@UseGuards(AuthGuard)
export class IngestionStatusController {
  constructor(private readonly status: IngestionStatusService) {}

  @Get('status')
  @RequireRoles('operator')
  @ApiOperation({
    summary:
      'EPCIS ingestion health: stored/rejected/duplicate totals (database), messages received and acknowledged since start, in flight, last commit, consumer connection and broker lag',
  })
  get() {
    return this.status.status();
  }
}
