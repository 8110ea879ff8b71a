/** The top-level node's HTTP API as this page reads it (apps/top-level-node/src). */

export type LinkStatus = 'online' | 'stale' | 'offline';
export type FilingState = 'pending' | 'approved' | 'rejected' | 'deleted';
export type FilingOperation = 'create' | 'update' | 'delete';

export type { Page } from '@idis/console-kit/usePaged';

/** GET /api/v1/settings */
export interface Settings {
  operatorTokenRequired: boolean;
  filingReview: 'auto' | 'manual';
  filingReviewDelayMs: number;
  heartbeatIntervalSeconds: number;
  reportIntervalSeconds: number;
  nodeStatus: { onlineWithinSeconds: number; staleWithinSeconds: number };
}

/** An item of GET /api/v1/nodes */
export interface NodeItem {
  nodeId: string;
  secondaryPrefix: string;
  status: LinkStatus;
  lastHeartbeatAt: string | null;
  reportedStatus: string | null;
  softwareVersion: string;
  outboxDepth: number;
  enrolledAt: string;
  gaps: { heartbeatMissing: number; reportMissing: number };
}

/** An item of GET /api/v1/filings */
export interface FilingItem {
  prefix: string;
  nodeId: string;
  status: FilingState;
  enterprise: { orgName: string; creditCode?: string } | null;
  reviewReason: string;
  pendingTransactionId: string | null;
  pendingOperation: FilingOperation | null;
  createdAt: string;
  updatedAt: string;
  approvedAt: string | null;
}

/** An item of GET /api/v1/volumes (groupBy=day) */
export interface VolumeItem {
  nodeId: string;
  day: string;
  registrations: number;
  resolutions: number;
  notFound: number;
  errors: number;
  reports: number;
}

export interface VolumesReply {
  from: string;
  to: string;
  groupBy: 'day';
  items: VolumeItem[];
  truncated: boolean;
}
