import { status as GrpcStatus } from '@grpc/grpc-js';
import { Injectable } from '@nestjs/common';
import { FilingStatus } from '@idis/contracts';
import { TopLevelLink } from './top-level-link';

/**
 * What the top level says about an enterprise prefix this node wants to file (EPP check, then
 * info to learn whose filing it is):
 * - available: nobody has it filed or pending;
 * - ours: filed or pending by this node (e.g. a replay of our own create);
 * - elsewhere: filed or pending by another node (a previous holder of this secondary prefix, or
 *   the top level's own records);
 * - refused: the top level will not let this node file it ('outside-your-prefix', 'invalid').
 */
export type TopLevelStanding =
  | { kind: 'available' }
  | { kind: 'ours'; state: 'filed' | 'pending' }
  | { kind: 'elsewhere'; state: 'filed' | 'pending'; nodeId: string }
  | { kind: 'refused'; reason: string };

export interface CheckOptions {
  /** Deadline of each call (default: TOP_LEVEL_CALL_TIMEOUT_MS). */
  timeoutMs?: number;
  /** Best effort: a failure does not mark the link unreachable. */
  probe?: boolean;
}

/** "Check before create" (draft-chen-top-level-interface-protocol §EPP check) for the registry and the outbox. */
@Injectable()
export class FilingCheck {
  constructor(private readonly link: TopLevelLink) {}

  /** Whether a check can be answered now: linked (enrolled, and the last call reached the top level). */
  get linked(): boolean {
    return this.link.state === 'linked';
  }

  /** Rejects when the top level cannot be asked or does not answer (gRPC errors as thrown by the client). */
  async standing(prefix: string, options: CheckOptions = {}): Promise<TopLevelStanding> {
    const call = { probe: options.probe };
    const reply = await this.link.call((client, credentials) => client.checkPrefixes({ prefixes: [prefix] }, credentials, options.timeoutMs), call);
    const result = (reply.results ?? []).find((r) => r.prefix === prefix) ?? reply.results?.[0];
    if (!result) throw new Error(`the top level answered the check of ${prefix} without a result`);
    if (result.available) return { kind: 'available' };
    if (result.reason !== 'filed' && result.reason !== 'pending') return { kind: 'refused', reason: result.reason || 'not available' };
    let filing;
    try {
      filing = await this.link.call((client, credentials) => client.filingInfo({ prefix }, credentials, options.timeoutMs), call);
    } catch (error) {
      // Gone between the two calls: nothing stands in the way any more.
      if ((error as { code?: unknown }).code === GrpcStatus.NOT_FOUND) return { kind: 'available' };
      throw error;
    }
    if (filing.nodeId === this.link.nodeId) return { kind: 'ours', state: result.reason };
    const status = Number(filing.status);
    if (status !== FilingStatus.FILING_STATUS_APPROVED && status !== FilingStatus.FILING_STATUS_PENDING) return { kind: 'available' };
    return { kind: 'elsewhere', state: result.reason, nodeId: filing.nodeId };
  }
}
