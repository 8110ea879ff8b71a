import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, UseGuards } from '@nestjs/common';
import { parsePrefix } from '@idis/identifier';
import { TOP_LEVEL_CONFIG, type TopLevelConfig } from '../config/top-level-config';
import { TopLevelError, invalid } from '../errors/top-level-errors';
import { AdminTokenGuard } from '../http/admin-token.guard';
import { booleanParam, integerParam, knownParams, nodeIdParam, oneOfParam, type QueryValue } from '../http/query';
import type { EnterpriseRecord } from './enterprise';
import type { FilingOperationName, FilingTransactionEntity } from './filing-transaction.entity';
import type { FilingEntity } from './filing.entity';
import { FilingReviewService } from './filing-review.service';
import { FilingRepository } from './filing.repository';

const STATES = ['pending', 'approved', 'rejected', 'deleted'] as const;
const LIST_PARAMETERS = ['status', 'nodeId', 'awaitingReview', 'page', 'pageSize'];

/**
 * Operator view of filings and the manual review (FILING_REVIEW=manual, or to decide early in auto mode).
 * Filings carry personal data (the enterprise's contact person, e-mail, phone) and the credit code,
 * so reading them is an admin call like the review: with TOP_LEVEL_ADMIN_TOKEN set it needs that
 * token; without it (a local simulator, open like every admin route) the enterprise is shown by its
 * organisation name only, as the public IIIDAP view shows it.
 */
@Controller('api/v1/filings')
export class FilingsController {
  constructor(
    private readonly filings: FilingRepository,
    private readonly reviews: FilingReviewService,
    @Inject(TOP_LEVEL_CONFIG) private readonly config: TopLevelConfig,
  ) {}

  /**
   * `?status=&nodeId=&awaitingReview=true|false&page=&pageSize=` (pageSize 1-500), newest change
   * first. `pendingOperation` names the operation under review (create, update, delete), if any.
   */
  @Get()
  @UseGuards(AdminTokenGuard)
  async list(@Query() query: Record<string, QueryValue>) {
    knownParams(query, LIST_PARAMETERS);
    const page = integerParam(query, 'page', 1, 1, 100_000);
    const pageSize = integerParam(query, 'pageSize', 50, 1, 500);
    const result = await this.filings.list({
      status: oneOfParam(query, 'status', STATES),
      nodeId: nodeIdParam(query, 'nodeId'),
      awaitingReview: booleanParam(query, 'awaitingReview'),
      page,
      pageSize,
    });
    const operations = await this.filings.operationsOf(result.items.flatMap((f) => (f.pendingTransactionId ? [f.pendingTransactionId] : [])));
    return { total: result.total, page, pageSize, items: result.items.map((filing) => this.shown(filingView(filing, operations))) };
  }

  @Get(':prefix')
  @UseGuards(AdminTokenGuard)
  async get(@Param('prefix') prefix: string) {
    const key = prefixKeyOf(prefix);
    const filing = await this.filings.findFiling(key);
    if (!filing) throw new TopLevelError('NOT_FOUND', `no filing for prefix ${prefix}`);
    const operations = await this.filings.operationsOf(filing.pendingTransactionId ? [filing.pendingTransactionId] : []);
    return { ...this.shown(filingView(filing, operations)), transactions: (await this.filings.transactionsOf(key, 50)).map((t) => this.shown(transactionView(t))) };
  }

  /** Contact details only for a caller the admin token authenticated (the guard ran before). */
  private shown<T extends { enterprise: EnterpriseRecord | null }>(view: T): T {
    if (this.config.adminToken !== undefined || view.enterprise === null) return view;
    return { ...view, enterprise: { orgName: view.enterprise.orgName } as EnterpriseRecord };
  }

  @Post(':prefix/approve')
  @HttpCode(200)
  @UseGuards(AdminTokenGuard)
  async approve(@Param('prefix') prefix: string, @Body() body: unknown) {
    const reason = optionalReason(body);
    const transaction = await this.reviews.decideManually(prefix, { approve: true, reason });
    return { transaction: this.shown(transactionView(transaction)), filing: this.shown(filingView((await this.filings.findFiling(transaction.prefixKey))!)) };
  }

  @Post(':prefix/reject')
  @HttpCode(200)
  @UseGuards(AdminTokenGuard)
  async reject(@Param('prefix') prefix: string, @Body() body: unknown) {
    const reason = optionalReason(body);
    if (reason.trim().length === 0) throw invalid('reject needs {"reason": "..."}');
    const transaction = await this.reviews.decideManually(prefix, { approve: false, reason });
    return { transaction: this.shown(transactionView(transaction)), filing: this.shown(filingView((await this.filings.findFiling(transaction.prefixKey))!)) };
  }
}

function prefixKeyOf(prefix: string): string {
  try {
    return parsePrefix(prefix).prefixKey;
  } catch (error) {
    throw invalid(`${JSON.stringify(prefix.slice(0, 80))} is not a prefix: ${(error as Error).message}`);
  }
}

function optionalReason(body: unknown): string {
  if (body === undefined || body === null) return '';
  if (typeof body !== 'object' || Array.isArray(body)) throw invalid('body must be a JSON object {"reason": "..."}');
  const unknown = Object.keys(body).filter((k) => k !== 'reason');
  if (unknown.length > 0) throw invalid(`unknown field ${JSON.stringify(unknown[0])}; expected reason`);
  const reason = (body as { reason?: unknown }).reason ?? '';
  if (typeof reason !== 'string') throw invalid('reason must be a string');
  if (reason.length > 500) throw invalid('reason is longer than 500 characters');
  return reason;
}

/** A filing as the HTTP API shows it; `operations` names the pending transaction's operation when known. */
function filingView(filing: FilingEntity, operations: ReadonlyMap<string, FilingOperationName> = new Map()) {
  return {
    prefix: filing.prefix,
    nodeId: filing.nodeId,
    status: filing.status,
    enterprise: filing.enterprise,
    reviewReason: filing.reviewReason,
    pendingTransactionId: filing.pendingTransactionId,
    pendingOperation: (filing.pendingTransactionId && operations.get(filing.pendingTransactionId)) || null,
    createdAt: filing.createdAt.toISOString(),
    updatedAt: filing.updatedAt.toISOString(),
    approvedAt: filing.approvedAt?.toISOString() ?? null,
  };
}

function transactionView(t: FilingTransactionEntity) {
  return {
    serverTransactionId: t.serverTransactionId,
    clientTransactionId: t.clientTransactionId,
    nodeId: t.nodeId,
    prefix: t.prefix,
    operation: t.operation,
    enterprise: t.enterprise,
    reason: t.reason,
    submittedAt: t.submittedAt.toISOString(),
    reviewDueAt: t.reviewDueAt.toISOString(),
    outcome: t.outcome,
    reviewReason: t.reviewReason,
    reviewedAt: t.reviewedAt?.toISOString() ?? null,
  };
}
