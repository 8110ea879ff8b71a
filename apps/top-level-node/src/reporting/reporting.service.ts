import { Injectable } from '@nestjs/common';
import type { HeartbeatAck, HeartbeatRequest, ReportAck, StatisticsReport } from '@idis/contracts';
import { parsePrefix } from '@idis/identifier';
import { invalid } from '../errors/top-level-errors';
import type { AuthenticatedNode } from '../grpc/authenticated-node';
import { endpointsFrom } from '../nodes/endpoints';
import { NodeRepository } from '../nodes/node.repository';
import { ReportingRepository, type VolumeRow } from './reporting.repository';

export const MAX_VOLUMES_PER_REPORT = 10_000;
export const MAX_REPORT_PERIOD_MS = 31 * 86_400_000;
/** The bucket of everything a node counts but does not home (the secondary node's '-' key). */
export const UNHOMED_BUCKET = '-';
const HEARTBEAT_STATUSES = ['ok', 'degraded', 'down'];

/** Statistics reports (idempotent per node and period) and heartbeats, both with sequence-gap detection. */
@Injectable()
export class ReportingService {
  constructor(
    private readonly reports: ReportingRepository,
    private readonly nodes: NodeRepository,
  ) {}

  async report(caller: AuthenticatedNode, report: StatisticsReport): Promise<ReportAck> {
    const sequence = nonNegative(report.sequence, 'sequence');
    const start = nonNegative(report.periodStartMs, 'period_start_ms');
    const end = nonNegative(report.periodEndMs, 'period_end_ms');
    if (start === 0 || end <= start) throw invalid('period_end_ms must be after period_start_ms, and both set');
    if (end - start > MAX_REPORT_PERIOD_MS) throw invalid(`a report covers at most 31 days, got ${Math.round((end - start) / 86_400_000)} days`);
    const volumes = report.volumes ?? [];
    if (volumes.length > MAX_VOLUMES_PER_REPORT) throw invalid(`at most ${MAX_VOLUMES_PER_REPORT} volumes per report, got ${volumes.length}`);
    const seen = new Set<string>();
    const rows: VolumeRow[] = volumes.map((volume, i) => {
      const prefix = volume.prefix ?? '';
      if (prefix !== UNHOMED_BUCKET) {
        try {
          parsePrefix(prefix);
        } catch (error) {
          throw invalid(`volumes[${i}].prefix ${JSON.stringify(prefix.slice(0, 80))} is not a prefix (or "-"): ${(error as Error).message}`);
        }
      }
      if (seen.has(prefix)) throw invalid(`volumes[${i}].prefix ${prefix} appears twice in one report`);
      seen.add(prefix);
      return {
        prefix,
        registrations: nonNegative(volume.registrations, `volumes[${i}].registrations`),
        resolutions: nonNegative(volume.resolutions, `volumes[${i}].resolutions`),
        notFound: nonNegative(volume.notFound, `volumes[${i}].not_found`),
        errors: nonNegative(volume.errors, `volumes[${i}].errors`),
      };
    });
    const stored = await this.reports.storeReport(caller.nodeId, { sequence, periodStart: new Date(start), periodEnd: new Date(end), volumes: rows });
    return { sequence, duplicate: stored.duplicate, missingBefore: stored.missingBefore };
  }

  async heartbeat(caller: AuthenticatedNode, heartbeat: HeartbeatRequest): Promise<HeartbeatAck> {
    const sequence = nonNegative(heartbeat.sequence, 'sequence');
    nonNegative(heartbeat.sentAtMs, 'sent_at_ms');
    if (!HEARTBEAT_STATUSES.includes(heartbeat.status)) {
      throw invalid(`status must be one of ${HEARTBEAT_STATUSES.join(', ')}, got ${JSON.stringify((heartbeat.status ?? '').slice(0, 40))}`);
    }
    const endpoints = endpointsFrom(heartbeat.endpoints);
    const outboxDepth = nonNegative(heartbeat.outboxDepth, 'outbox_depth');
    const receivedAt = new Date();
    const missingBefore = await this.nodes.recordHeartbeat(caller.nodeId, { sequence, status: heartbeat.status, endpoints, outboxDepth, receivedAt });
    return { sequence, receivedAtMs: receivedAt.getTime(), missingBefore };
  }
}

function nonNegative(value: number | undefined | null, field: string): number {
  const n = Number(value ?? 0);
  if (!Number.isSafeInteger(n) || n < 0) throw invalid(`${field} must be a non-negative integer, got ${String(value)}`);
  return n;
}
