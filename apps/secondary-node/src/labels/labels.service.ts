import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { type ParsedHandle, tryParseHandle } from '@idis/identifier';
import type { Principal } from '../auth/principal';
import { DomainError } from '../errors/domain-errors';
import { parseHandleOrThrow } from '../http/identifier-input';
import { IdentifierListingService, type OwnedIdentifier } from '../registry/identifier-listing.service';
import { TopLevelLink } from '../upstream/top-level-link';
import { LabelFont } from './label-font';
import { drawLabelSheet, pagesNeeded } from './label-sheet';
import { LABELS_CONFIG, type LabelsConfig } from './labels.config';
import { proxyPath, proxyUrl } from './proxy-url';
import { type QrFormat, renderQr } from './qr-code';

export interface LabelSheetRequest {
  handles: string[];
  rows: number;
  columns: number;
  title?: string;
}

export interface RenderedQr {
  body: Buffer;
  /** A strong validator of exactly these bytes. */
  etag: string;
  /** What the code holds. */
  url: string;
}

/**
 * Label sheets drawn at once on this process (each about 1 ms of CPU per label, in small slices);
 * one more is refused with 429 and Retry-After rather than queued behind them.
 */
export const SHEETS_AT_ONCE = 2;
export const SHEET_RETRY_AFTER_SECONDS = 5;
/** At most this many bad handles are named one by one in a refusal. */
const NAMED_IN_REFUSAL = 20;

/**
 * The printed face of identifiers: the QR code of an identifier's proxy URL (what a phone opens
 * after scanning it) and A4 label sheets of many. Only the owner of the prefix or an operator may
 * print; to anyone else an identifier is as unknown as a missing one (IdentifierListingService).
 * The URL starts with the node's public URL (PUBLIC_URL, or the listening address), the one the
 * top level announces for this node's proxy.
 */
@Injectable()
export class LabelsService {
  private sheetsDrawing = 0;
  private readonly font: LabelFont;

  constructor(
    private readonly identifiers: IdentifierListingService,
    private readonly link: TopLevelLink,
    @Inject(LABELS_CONFIG) config: LabelsConfig,
  ) {
    this.font = new LabelFont(config.fontPath);
  }

  async qrCode(caller: Principal, handleText: string, format: QrFormat, size: number): Promise<RenderedQr> {
    const [owned] = await this.identifiers.ownedByCaller(caller, [parseHandleOrThrow(handleText)]);
    const url = proxyUrl(this.publicUrl(), owned.prefix, owned.suffix);
    const body = await renderQr(url, format, size);
    return { body, url, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"` };
  }

  /** The sheet as a stream that is drawn while it is read, and its page count. Nothing is drawn unless every handle may be printed. */
  async labelSheet(caller: Principal, request: LabelSheetRequest): Promise<{ document: NodeJS.ReadableStream; pages: number }> {
    const title = request.title === undefined || request.title.trim() === '' ? undefined : request.title;
    const unprintable = title === undefined ? [] : this.font.unprintable(title);
    if (unprintable.length > 0) {
      throw new DomainError(
        'VALIDATION_FAILED',
        `title: ${unprintable.slice(0, 10).map((char) => JSON.stringify(char).slice(1, -1)).join(' ')} cannot be printed with the label fonts (${this.font.describe()}); leave these characters out`,
        [{ path: '/title', message: 'characters the label fonts cannot print' }],
      );
    }
    const owned = await this.identifiers.ownedByCaller(caller, parseAll(request.handles));
    if (this.sheetsDrawing >= SHEETS_AT_ONCE) {
      throw new DomainError('RATE_LIMITED', `${SHEETS_AT_ONCE} label sheets are being drawn on this node; try again in ${SHEET_RETRY_AFTER_SECONDS} seconds`);
    }
    const base = this.publicUrl();
    const document = drawLabelSheet({
      labels: owned.map((identifier) => ({ text: this.printedHandle(identifier), url: proxyUrl(base, identifier.prefix, identifier.suffix) })),
      rows: request.rows,
      columns: request.columns,
      title,
      font: this.font,
    });
    this.sheetsDrawing += 1;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.sheetsDrawing -= 1;
    };
    document.once('end', release).once('close', release).once('error', release);
    return { document, pages: pagesNeeded(owned.length, request.rows, request.columns) };
  }

  /**
   * The handle as printed under its code: as it is when the fonts can print it, otherwise as the
   * path its code holds after the public URL (percent-encoded UTF-8), which is exact and which the
   * proxy reads back.
   */
  private printedHandle(identifier: OwnedIdentifier): string {
    return this.font.unprintable(identifier.handle).length === 0 ? identifier.handle : proxyPath(identifier.prefix, identifier.suffix);
  }

  private publicUrl(): string {
    const url = this.link.publicUrl;
    // Only between start-up and listening on a free port (PORT=0 without PUBLIC_URL).
    if (!url) throw new DomainError('INTERNAL', 'the node does not know its public URL yet; set PUBLIC_URL');
    return url;
  }
}

/** Every handle parsed, or one refusal naming those that are not handles (by position). */
function parseAll(handles: string[]): ParsedHandle[] {
  const parsed: ParsedHandle[] = [];
  const problems: Array<{ path: string; message: string }> = [];
  handles.forEach((text, position) => {
    const result = tryParseHandle(text);
    if (result.ok) parsed.push(result.value);
    else problems.push({ path: `/handles/${position}`, message: result.error.message });
  });
  if (problems.length > 0) {
    throw new DomainError(
      'INVALID_HANDLE',
      `${problems.length} of the handles are not valid handles: ${problems.slice(0, 3).map((p) => `${p.path} ${p.message}`).join('; ')}${problems.length > 3 ? '; …' : ''}`,
      problems.slice(0, NAMED_IN_REFUSAL),
    );
  }
  return parsed;
}
