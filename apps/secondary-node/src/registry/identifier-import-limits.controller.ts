import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { IDENTIFIER_IMPORT_CONFIG, type IdentifierImportConfig } from './identifier-import.config';

/**
 * GET /api/v1/imports/limits: the bounds of a CSV import, public like GET /api/v1/limits, so that a
 * client refuses a file that is too large before sending it (the node answers a declared length over
 * the bound with 413, but a browser still uploading may only see the connection end).
 */
@ApiTags('identifiers')
@Controller('api/v1/imports')
export class IdentifierImportLimitsController {
  constructor(@Inject(IDENTIFIER_IMPORT_CONFIG) private readonly config: IdentifierImportConfig) {}

  @Get('limits')
  @ApiOperation({ summary: 'The largest CSV body (IMPORT_MAX_BYTES) and the most data rows (IMPORT_MAX_ROWS) one import takes' })
  limits() {
    return { maxBytes: this.config.maxBytes, maxRows: this.config.maxRows };
  }
}
