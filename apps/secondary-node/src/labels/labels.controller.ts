import { Body, Controller, Get, HttpCode, Post, Query, Req, Res, StreamableFile, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiParam, ApiProduces, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuthGuard, CurrentPrincipal, RequireRoles } from '../auth/auth.guard';
import type { Principal } from '../auth/principal';
import { DomainError } from '../errors/domain-errors';
import { compileSchema } from '../http/json-schema';
import { queryEnum, queryInteger, type QueryValue } from '../http/query-params';
import { type LabelSheetRequest, LabelsService, SHEET_RETRY_AFTER_SECONDS, SHEETS_AT_ONCE } from './labels.service';
import { QR_CONTENT_TYPES, QR_DEFAULT_SIZE, QR_FORMATS, QR_MAX_SIZE, QR_MIN_SIZE } from './qr-code';

const BASE = '/api/v1/identifiers/';
const QR_SUFFIX = '/qr';
const QR_PARAMETERS = ['format', 'size'];
/**
 * The code changes only when PUBLIC_URL does: a browser keeps it a day and then revalidates it
 * with its ETag. Private: only the owner and operators may fetch it.
 */
const QR_CACHE_CONTROL = 'private, max-age=86400';

export const MAX_LABELS = 2000;

const labelsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['handles', 'rows', 'columns'],
  properties: {
    handles: {
      type: 'array',
      minItems: 1,
      maxItems: MAX_LABELS,
      items: { type: 'string', minLength: 1, maxLength: 255 },
      description: `1 to ${MAX_LABELS} handles, each of the caller's prefixes (any, for an operator); one label each, in this order (a handle given twice is printed twice)`,
    },
    rows: { type: 'integer', minimum: 1, maximum: 20, description: 'labels down a page' },
    columns: { type: 'integer', minimum: 1, maximum: 10, description: 'labels across a page' },
    title: {
      type: 'string',
      maxLength: 100,
      pattern: '^[^\\u0000-\\u001f\\u007f]*$',
      description: 'printed on top of every page; Latin-1 characters only (the built-in PDF font has no CJK glyphs: other characters are refused with 400)',
    },
  },
};
const readLabelSheet = compileSchema<LabelSheetRequest>(labelsSchema, 'label sheet');

/** QR codes and label sheets of identifiers, for their owner (the enterprise) and operators. */
@ApiTags('identifiers')
@ApiBearerAuth()
@Controller('api/v1/identifiers')
@UseGuards(AuthGuard)
export class LabelsController {
  constructor(private readonly labels: LabelsService) {}

  @Post('labels')
  @HttpCode(200)
  @RequireRoles('enterprise', 'operator')
  @ApiOperation({
    summary: 'An A4 PDF label sheet: rows × columns cells per page, each the QR code of an identifier\'s proxy URL with the handle under it',
    description:
      'Every handle must be the caller\'s (any, for an operator), or nothing is drawn: 404 HANDLE_NOT_FOUND names the unknown ones (another enterprise\'s count as unknown). ' +
      'A handle with characters outside Latin-1 is printed in its percent-encoded form (what its code holds). ' +
      `The document streams while it is drawn; when ${SHEETS_AT_ONCE} sheets are being drawn on the process, another is refused with 429 and Retry-After.`,
  })
  @ApiBody({ schema: labelsSchema })
  @ApiProduces('application/pdf')
  @ApiResponse({ status: 200, description: 'application/pdf; X-Label-Pages gives the page count' })
  async sheet(@CurrentPrincipal() caller: Principal, @Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply): Promise<StreamableFile> {
    let sheet: { document: NodeJS.ReadableStream; pages: number };
    try {
      sheet = await this.labels.labelSheet(caller, readLabelSheet(body));
    } catch (error) {
      if (error instanceof DomainError && error.code === 'RATE_LIMITED') void reply.header('retry-after', String(SHEET_RETRY_AFTER_SECONDS));
      throw error;
    }
    void reply.header('x-label-pages', String(sheet.pages)).header('cache-control', 'no-store');
    return new StreamableFile(sheet.document as never, { type: 'application/pdf', disposition: 'attachment; filename="labels.pdf"' });
  }

  @Get('*')
  @RequireRoles('enterprise', 'operator')
  @ApiOperation({
    summary: 'The QR code of an identifier\'s proxy URL ({PUBLIC_URL}/{prefix}/{suffix}, path-encoded), as PNG or SVG',
    description: 'For the owner of the prefix or an operator; to anyone else the identifier is unknown (404, as for a missing one). Path: /api/v1/identifiers/{handle}/qr, the handle with its slashes.',
  })
  // Nest names the wildcard `path` in the OpenAPI document: /api/v1/identifiers/{path}.
  @ApiParam({ name: 'path', description: 'the handle, slashes included (other characters percent-encoded), followed by /qr, e.g. 88.118.8/SKU-1/qr' })
  @ApiQuery({ name: 'format', required: false, enum: QR_FORMATS, description: 'default png' })
  @ApiQuery({ name: 'size', required: false, description: `width and height in pixels, ${QR_MIN_SIZE} to ${QR_MAX_SIZE}, default ${QR_DEFAULT_SIZE} (a PNG of a code with more modules comes out one pixel per module)` })
  @ApiProduces('image/png', 'image/svg+xml')
  @ApiResponse({ status: 200, description: 'the image; ETag, Cache-Control: private, max-age=86400; If-None-Match answers 304' })
  async qr(@CurrentPrincipal() caller: Principal, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply, @Query() query: Record<string, QueryValue>) {
    const unknown = Object.keys(query ?? {}).filter((name) => !QR_PARAMETERS.includes(name));
    if (unknown.length > 0) {
      throw new DomainError(
        'VALIDATION_FAILED',
        `unknown query parameter ${unknown.map((n) => JSON.stringify(n)).join(', ')}; expected ${QR_PARAMETERS.join(', ')}`,
        unknown.map((name) => ({ path: name, message: 'unknown parameter' })),
      );
    }
    const handle = handleOfQrPath(request.url);
    const format = queryEnum('format', query.format, QR_FORMATS) ?? 'png';
    const size = queryInteger('size', query.size, { min: QR_MIN_SIZE, max: QR_MAX_SIZE, fallback: QR_DEFAULT_SIZE });
    const qr = await this.labels.qrCode(caller, handle, format, size);
    void reply
      .header('etag', qr.etag)
      .header('cache-control', QR_CACHE_CONTROL)
      .header('vary', 'Authorization, X-API-Key')
      .header('content-disposition', contentDisposition(`${handle.replace(/\//g, '_')}.${format}`));
    if (etagMatches(request.headers['if-none-match'], qr.etag)) {
      void reply.status(304);
      return '';
    }
    void reply.header('content-type', QR_CONTENT_TYPES[format]);
    return qr.body;
  }
}

/** The handle of /api/v1/identifiers/{handle}/qr: everything between, slashes included, percent-decoded. */
function handleOfQrPath(url: string): string {
  const path = url.split('?', 1)[0];
  if (!path.startsWith(BASE) || !path.endsWith(QR_SUFFIX) || path.length <= BASE.length + QR_SUFFIX.length) {
    throw new DomainError('NOT_FOUND', `Cannot GET ${path}: an identifier's QR code is at ${BASE}{handle}/qr`);
  }
  try {
    return decodeURIComponent(path.slice(BASE.length, -QR_SUFFIX.length));
  } catch {
    throw new DomainError('INVALID_HANDLE', 'the handle in the path is not valid percent-encoded UTF-8');
  }
}

function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.trim() === '*' || header.split(',').some((candidate) => candidate.trim().replace(/^W\//, '') === etag);
}

/** A download name: ASCII fallback plus the exact name (RFC 6266 / 5987) for handles in other scripts. */
function contentDisposition(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `inline; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}
