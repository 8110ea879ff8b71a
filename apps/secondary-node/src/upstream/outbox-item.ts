import type { Enterprise, FilingReceipt, PrefixVolume, ReportAck } from '@idis/contracts';

export type OutboxStatus = 'pending' | 'delivered' | 'failed';

/** A filing create (written by FilingRequests when an application is approved) or update. */
export interface FilingPayload {
  prefix: string;
  /** The application that asked for it (absent in items not written by the registry). */
  applicationId?: string;
  enterprise: Enterprise;
}

/** A filing delete (written by FilingRequests when an operator deactivates an enterprise). */
export interface FilingDeletePayload {
  prefix: string;
  applicationId?: string;
  reason: string;
}

/** One closed period of usage (written by StatisticsReporter); sent as is as the StatisticsReport. */
export interface StatisticsReportPayload {
  sequence: number;
  periodStartMs: number;
  periodEndMs: number;
  volumes: PrefixVolume[];
}

/** Each kind of item: what it carries, and what the top level answered when it was delivered. */
export interface OutboxKinds {
  'filing-create': { payload: FilingPayload; response: FilingReceipt };
  /** Nothing writes one today; the table and the worker accept it. */
  'filing-update': { payload: FilingPayload; response: FilingReceipt };
  'filing-delete': { payload: FilingDeletePayload; response: FilingReceipt };
  'statistics-report': { payload: StatisticsReportPayload; response: ReportAck };
}

export type OutboxKind = keyof OutboxKinds;

/** An item to write: a kind with its own payload, and the client transaction id that makes a replay harmless. */
export type NewOutboxItem = { [K in OutboxKind]: { kind: K; payload: OutboxKinds[K]['payload']; clientTransactionId: string } }[OutboxKind];

/** A stored item of one kind. */
export interface OutboxItemOf<K extends OutboxKind> {
  id: string;
  kind: K;
  payload: OutboxKinds[K]['payload'];
  clientTransactionId: string;
  status: OutboxStatus;
  attempts: number;
  nextAttemptAt: Date;
  lastError: string | null;
  /** What the top level answered to the delivered call. */
  response: OutboxKinds[K]['response'] | null;
  createdAt: Date;
  deliveredAt: Date | null;
  /** The request (X-Request-Id) or ingestion batch that wrote the item; null for the node's own tasks. */
  requestId: string | null;
}

/** A stored item: switch on `kind` to get its payload and response types. */
export type OutboxItem = { [K in OutboxKind]: OutboxItemOf<K> }[OutboxKind];

export type OutboxPayload = OutboxKinds[OutboxKind]['payload'];
export type OutboxResponse = OutboxKinds[OutboxKind]['response'];
