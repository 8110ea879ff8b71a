/** The node's API as the operator's pages read it (field names as the node sends them). */

export type { Page } from '@idis/console-kit/usePaged';

export interface OutcomeCounts {
  l1: number;
  l2: number;
  db: number;
  notFound: number;
  error: number;
  total: number;
}

/** GET /api/v1/stats/overview */
export interface StatisticsOverview {
  timeZone: string;
  generatedAt: string;
  today: { date: string; from: string; to: string };
  resolutions: { today: number; cumulative: number; averageDailyLast30Days: number; perSecond: number; liveWindow: { from: string; to: string } };
  registrations: { today: number; cumulative: number };
  outcomesToday: OutcomeCounts;
  outcomeSharesToday: Omit<OutcomeCounts, 'total'> | null;
  cacheHitRatioToday: number | null;
  latency: { p99Seconds: number | null; observations: number; from: string; to: string };
  enterprises: { connected: number; target: number };
  countingSince: string | null;
}

export type SeriesStep = '1m' | '1h' | '1d';

interface SeriesEnvelope {
  from: string;
  to: string;
  step: SeriesStep;
}

/** GET /api/v1/stats/resolutions */
export interface ResolutionSeries extends SeriesEnvelope {
  series: Array<{ t: string } & OutcomeCounts>;
  totals: OutcomeCounts;
  cacheHitRatio: number | null;
}

export interface RegistrationCounts {
  create: number;
  update: number;
  delete: number;
  total: number;
}

/** GET /api/v1/stats/registrations */
export interface RegistrationSeries extends SeriesEnvelope {
  series: Array<{ t: string } & RegistrationCounts>;
  totals: RegistrationCounts;
}

export interface DoorCounts {
  handleRest: number;
  snms: number;
  proxy: number;
  crossNode: number;
  handleProtocol: number;
  total: number;
}

/** GET /api/v1/stats/doors */
export interface DoorSeries extends SeriesEnvelope {
  series: Array<{ t: string } & DoorCounts>;
  totals: DoorCounts;
}

/** GET /api/v1/stats/top-prefixes */
export interface TopPrefixes {
  month: string;
  timeZone: string;
  from: string;
  to: string;
  limit: number;
  items: Array<{ rank: number; prefix: string; enterpriseId: string | null; enterpriseName: string | null; resolutions: number; found: number; notFound: number }>;
}

export type ApplicationStatus = 'pending_review' | 'approved' | 'filing' | 'active' | 'rejected';
export const APPLICATION_STATUSES: readonly ApplicationStatus[] = ['pending_review', 'filing', 'active', 'approved', 'rejected'];

/** GET /api/v1/enterprises/applications (one item) */
export interface Application {
  id: string;
  status: ApplicationStatus;
  orgName: string;
  creditCode: string;
  contactName: string;
  contactPhone: string;
  contactEmail: string;
  requestedPrefix: string;
  username: string;
  enterpriseId: string | null;
  reviewReason: string | null;
  reviewedBy: string | null;
  reviewedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export type EnterpriseStatus = 'active' | 'suspended';
export const ENTERPRISE_STATUSES: readonly EnterpriseStatus[] = ['active', 'suspended'];

/** GET /api/v1/enterprises (one item) */
export interface EnterpriseSummary {
  id: string;
  organisation: string;
  creditCode: string;
  status: EnterpriseStatus;
  prefixes: Array<{ prefix: string; status: string }>;
  identifiers: number;
  createdAt: string;
}

/** GET /api/v1/enterprises/{id} */
export interface EnterpriseDetail extends EnterpriseSummary {
  contact: { name: string; phone: string; email: string };
  updatedAt: string;
  volumes: { from: string; to: string; resolutions30d: number; registrations30d: number; resolutions: OutcomeCounts; registrations: RegistrationCounts };
}

export type LinkState = 'not-configured' | 'enrolling' | 'linked' | 'unreachable';

/** GET /api/v1/node/status */
export interface NodeStatus {
  nodeId: string;
  secondaryPrefix: string;
  publicUrl: string | null;
  topLevel: { configured: boolean; url: string | null };
  enrolment: { nodeId: string; assignedPrefix: string; keyId: string; enrolledAt: string } | null;
  link: { state: LinkState; message?: string; lastHeartbeatAckAt: string | null; lastSuccessAt: string | null; lastError: string | null; lastErrorAt: string | null };
  outbox: { pending: number; failed: number; delivered: number };
  lastReport: Record<string, unknown> | null;
}

export type OutboxState = 'pending' | 'failed' | 'delivered';
export const OUTBOX_STATES: readonly OutboxState[] = ['pending', 'failed', 'delivered'];

/** GET /api/v1/upstream/outbox (one item) */
export interface OutboxItem {
  id: string;
  kind: string;
  target: string;
  clientTransactionId: string;
  status: OutboxState;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
  deliveredAt: string | null;
}

/** GET /api/v1/ingestion/status (what the page shows of it) */
export interface IngestionStatus {
  enabled: boolean;
  disabledReason: string | null;
  storedTotal: number;
  rejectedTotal: number;
  duplicatesTotal: number;
  errorDeclarationsTotal: number;
  receivedSinceStart: number;
  acknowledgedSinceStart: number;
  inFlight: number;
  lastCommitAt: string | null;
  lastCommitError: { at: string; message: string } | null;
  consumer: { connected: boolean; brokerUrl: string; lastError?: string | null } | null;
  consumerLag: { storedMessages: number; at: string } | null;
  consumerLagNote: string | null;
}

/** GET /api/v1/ingestion/rejects (one item) */
export interface IngestionReject {
  id: string;
  at: string;
  prefix: string | null;
  source: string;
  topic: string | null;
  reason: string;
  problems: Array<{ path: string; message: string }>;
  eventId?: string;
  payloadExcerpt: string;
}

/** GET /api/v1/reports/monthly?format=json */
export interface MonthlyReport {
  month: string;
  timeZone: string;
  from: string;
  to: string;
  complete: boolean;
  items: Array<{
    enterpriseId: string;
    organisation: string;
    creditCode: string;
    status: string;
    prefixes: string[];
    identifiers: { registered: number; updated: number; deleted: number };
    resolutions: OutcomeCounts;
  }>;
  totals: { identifiers: { registered: number; updated: number; deleted: number }; resolutions: OutcomeCounts };
}

export const REJECT_REASONS = ['invalid_topic', 'prefix_not_active', 'payload_too_large', 'invalid_payload', 'foreign_commissioning', 'storage_error', 'event_id_conflict', 'rate_limited'] as const;

/** GET /api/v1/reports/monthly?format=json&page&pageSize: one page of the rows, the month's totals. */
export interface PagedMonthlyReport extends MonthlyReport {
  total: number;
  page: number;
  pageSize: number;
}
