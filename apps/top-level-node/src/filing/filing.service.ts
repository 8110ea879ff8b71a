import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  type AckResponse,
  type CheckPrefixesResponse,
  type Filing,
  FilingOperation,
  type FilingReceipt,
  FilingStatus,
  type PollResponse,
  type PrefixAvailability,
  type ReviewResult,
} from '@idis/contracts';
import { isDerivedPrefix, parseAssignablePrefix, parsePrefix, type ParsedPrefix } from '@idis/identifier';
import { TOP_LEVEL_CONFIG, type TopLevelConfig } from '../config/top-level-config';
import { TopLevelError, invalid } from '../errors/top-level-errors';
import type { AuthenticatedNode } from '../grpc/authenticated-node';
import { type EnterpriseRecord, enterpriseFrom } from './enterprise';
import { FilingTransactionEntity, type FilingOperationName } from './filing-transaction.entity';
import { type FilingEntity, type FilingState } from './filing.entity';
import { FilingRepository, type FilingStore } from './filing.repository';
import type { ReviewMessageEntity } from './review-message.entity';
import { FilingReviewService } from './filing-review.service';

export const MAX_CHECK_PREFIXES = 100;
const CLIENT_TRANSACTION_ID = /^[A-Za-z0-9._:-]{1,64}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface FilingCommand {
  operation: FilingOperationName;
  clientTransactionId: string;
  prefix: string;
  enterprise?: unknown;
  reason?: string;
}

/**
 * Enterprise-prefix filing after the EPP mapping (filing.proto): check, create/update/delete
 * answered PENDING at once and idempotent per client transaction id, the review queue (Poll/Ack).
 * A node only touches prefixes under its own secondary prefix.
 */
@Injectable()
export class FilingService {
  constructor(
    private readonly filings: FilingRepository,
    private readonly reviews: FilingReviewService,
    @Inject(TOP_LEVEL_CONFIG) private readonly config: TopLevelConfig,
  ) {}

  async check(caller: AuthenticatedNode, prefixes: string[]): Promise<CheckPrefixesResponse> {
    if (prefixes.length > MAX_CHECK_PREFIXES) throw invalid(`at most ${MAX_CHECK_PREFIXES} prefixes per check, got ${prefixes.length}`);
    const parsed = prefixes.map((prefix) => ({ prefix, parsed: tryParse(prefix) }));
    const keys = parsed.filter((p) => p.parsed && isUnder(caller, p.parsed)).map((p) => p.parsed!.prefixKey);
    const existing = new Map((await this.filings.findFilings(keys)).map((f) => [f.prefixKey, f]));
    const results: PrefixAvailability[] = parsed.map(({ prefix, parsed }) => {
      if (!parsed) return { prefix, available: false, reason: 'invalid' };
      if (!isUnder(caller, parsed)) return { prefix, available: false, reason: 'outside-your-prefix' };
      const filing = existing.get(parsed.prefixKey);
      if (filing?.status === 'approved') return { prefix, available: false, reason: 'filed' };
      if (filing?.status === 'pending') return { prefix, available: false, reason: 'pending' };
      return { prefix, available: true, reason: '' };
    });
    return { results };
  }

  async submit(caller: AuthenticatedNode, command: FilingCommand): Promise<FilingReceipt> {
    const clientTransactionId = command.clientTransactionId ?? '';
    if (!CLIENT_TRANSACTION_ID.test(clientTransactionId)) {
      throw invalid(`client_transaction_id must be 1-64 characters of [A-Za-z0-9._:-], got ${JSON.stringify(clientTransactionId.slice(0, 80))}`);
    }
    const earlier = await this.filings.findTransaction(caller.nodeId, clientTransactionId);
    if (earlier) return receiptOf(earlier, true);

    const prefix = this.ownPrefix(caller, command.prefix ?? '');
    if (command.operation === 'create') assignable(prefix.prefix);
    const enterprise = command.operation === 'delete' ? null : enterpriseFrom(command.enterprise as never);
    const reason = command.reason ?? '';
    if (reason.length > 500) throw invalid('reason is longer than 500 characters');

    const now = new Date();
    const transaction: FilingTransactionEntity = Object.assign(new FilingTransactionEntity(), {
      serverTransactionId: randomUUID(),
      nodeId: caller.nodeId,
      clientTransactionId,
      prefix: prefix.prefix,
      prefixKey: prefix.prefixKey,
      operation: command.operation,
      enterprise,
      reason,
      submittedAt: now,
      reviewDueAt: new Date(now.getTime() + this.config.filingReviewDelayMs),
      outcome: null,
      reviewReason: '',
      reviewedAt: null,
    });
    let receipt: FilingReceipt;
    try {
      receipt = await this.filings.inTransaction(prefix.prefixKey, async (store) => {
        const raced = await store.findTransaction(caller.nodeId, clientTransactionId);
        if (raced) return receiptOf(raced, true);
        const filing = await store.lockFiling(prefix.prefixKey);
        const next = applySubmission(caller, filing, transaction, enterprise, now);
        await store.insertTransaction(transaction);
        await store.saveFiling(next);
        return receiptOf(transaction, false);
      });
    } catch (error) {
      // The same client transaction id raced in on another prefix: answer as the first call did.
      if ((error as { code?: string }).code === '23505') {
        const first = await this.filings.findTransaction(caller.nodeId, clientTransactionId);
        if (first) return receiptOf(first, true);
      }
      throw error;
    }
    if (!receipt.replayed) this.reviews.reviewAfter(this.config.filingReviewDelayMs);
    return receipt;
  }

  async info(caller: AuthenticatedNode, rawPrefix: string): Promise<Filing> {
    const prefix = this.ownPrefix(caller, rawPrefix ?? '');
    const filing = await this.filings.findFiling(prefix.prefixKey);
    if (!filing) throw new TopLevelError('NOT_FOUND', `no filing for prefix ${prefix.prefix}`);
    return {
      prefix: filing.prefix,
      nodeId: filing.nodeId,
      status: filing.pendingTransactionId ? FilingStatus.FILING_STATUS_PENDING : filingStatusOf(filing.status),
      enterprise: filing.enterprise,
      createdAtMs: filing.createdAt.getTime(),
      updatedAtMs: filing.updatedAt.getTime(),
      reviewReason: filing.reviewReason,
    };
  }

  async poll(caller: AuthenticatedNode): Promise<PollResponse> {
    const { message, count } = await this.filings.oldestMessage(caller.nodeId);
    return { queueCount: count, message: message ? reviewResultOf(message) : undefined };
  }

  async ack(caller: AuthenticatedNode, messageId: string): Promise<AckResponse> {
    if (!UUID.test(messageId ?? '')) {
      const { count } = await this.filings.oldestMessage(caller.nodeId);
      return { queueCount: count, removed: false };
    }
    const { removed, count } = await this.filings.removeMessage(caller.nodeId, messageId.toLowerCase());
    return { queueCount: count, removed };
  }

  private ownPrefix(caller: AuthenticatedNode, raw: string): ParsedPrefix {
    const parsed = tryParse(raw);
    if (!parsed) {
      try {
        parsePrefix(raw);
      } catch (error) {
        throw invalid(`prefix ${JSON.stringify(raw.slice(0, 80))} is not a prefix: ${(error as Error).message}`);
      }
    }
    if (!isUnder(caller, parsed!)) {
      throw new TopLevelError('FORBIDDEN', `prefix ${raw} is not under secondary prefix ${caller.secondaryPrefix} of node ${caller.nodeId}`);
    }
    return parsed!;
  }
}

/** What a create/update/delete does to the filing row before review, or why it is refused. */
function applySubmission(
  caller: AuthenticatedNode,
  filing: FilingEntity | null,
  transaction: FilingTransactionEntity,
  enterprise: EnterpriseRecord | null,
  now: Date,
): FilingEntity {
  const prefix = transaction.prefix;
  if (filing && filing.nodeId !== caller.nodeId && (filing.status === 'approved' || filing.status === 'pending')) {
    throw new TopLevelError('ALREADY_EXISTS', `prefix ${prefix} is filed by node ${filing.nodeId}`);
  }
  if (transaction.operation === 'create') {
    if (filing?.status === 'approved') throw new TopLevelError('ALREADY_EXISTS', `prefix ${prefix} is already filed`);
    if (filing?.status === 'pending') throw new TopLevelError('ALREADY_EXISTS', `prefix ${prefix} is already pending review`);
    return {
      prefixKey: transaction.prefixKey,
      prefix,
      nodeId: caller.nodeId,
      status: 'pending',
      enterprise: enterprise!,
      reviewReason: '',
      pendingTransactionId: transaction.serverTransactionId,
      createdAt: now,
      updatedAt: now,
      approvedAt: null,
    };
  }
  if (!filing || filing.status !== 'approved') {
    const state = filing ? (filing.status === 'pending' ? 'is pending review of its creation' : `is ${filing.status}`) : 'is not filed';
    throw new TopLevelError(filing?.status === 'pending' ? 'ILLEGAL_STATE' : 'NOT_FOUND', `prefix ${prefix} ${state}: nothing to ${transaction.operation}`);
  }
  if (filing.pendingTransactionId) {
    throw new TopLevelError('ILLEGAL_STATE', `prefix ${prefix} already has an operation under review (server transaction ${filing.pendingTransactionId})`);
  }
  return { ...filing, pendingTransactionId: transaction.serverTransactionId, updatedAt: now };
}

/** A new filing must not look like another prefix (88.118.08 beside 88.118.8); existing ones stay updatable. */
function assignable(prefix: string): void {
  try {
    parseAssignablePrefix(prefix);
  } catch (error) {
    throw invalid(`prefix ${JSON.stringify(prefix.slice(0, 80))} cannot be filed: ${(error as Error).message}`);
  }
}

function tryParse(raw: string): ParsedPrefix | undefined {
  try {
    return parsePrefix(raw);
  } catch {
    return undefined;
  }
}

function isUnder(caller: AuthenticatedNode, prefix: ParsedPrefix): boolean {
  return isDerivedPrefix(caller.prefixKey, prefix.prefixKey);
}

export function operationOf(name: string): FilingOperation {
  if (name === 'create') return FilingOperation.FILING_OPERATION_CREATE;
  if (name === 'update') return FilingOperation.FILING_OPERATION_UPDATE;
  if (name === 'delete') return FilingOperation.FILING_OPERATION_DELETE;
  return FilingOperation.FILING_OPERATION_UNSPECIFIED;
}

export function filingStatusOf(state: FilingState | string): FilingStatus {
  switch (state) {
    case 'pending':
      return FilingStatus.FILING_STATUS_PENDING;
    case 'approved':
      return FilingStatus.FILING_STATUS_APPROVED;
    case 'rejected':
      return FilingStatus.FILING_STATUS_REJECTED;
    case 'deleted':
      return FilingStatus.FILING_STATUS_DELETED;
    default:
      return FilingStatus.FILING_STATUS_UNSPECIFIED;
  }
}

/** The answer to a create/update/delete: always PENDING (the first answer is replayed as it was). */
function receiptOf(transaction: FilingTransactionEntity, replayed: boolean): FilingReceipt {
  return {
    clientTransactionId: transaction.clientTransactionId,
    serverTransactionId: transaction.serverTransactionId,
    prefix: transaction.prefix,
    operation: operationOf(transaction.operation),
    status: FilingStatus.FILING_STATUS_PENDING,
    replayed,
  };
}

function reviewResultOf(message: ReviewMessageEntity): ReviewResult {
  return {
    messageId: message.messageId,
    clientTransactionId: message.clientTransactionId,
    serverTransactionId: message.serverTransactionId,
    prefix: message.prefix,
    operation: operationOf(message.operation),
    outcome: filingStatusOf(message.outcome),
    reason: message.reason,
    reviewedAtMs: message.reviewedAt.getTime(),
  };
}

export type { FilingStore };
