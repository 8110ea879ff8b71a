import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { EnrolRequest, EnrolResponse } from '@idis/contracts';
import { parseAssignablePrefix } from '@idis/identifier';
import { TOP_LEVEL_CONFIG, type TopLevelConfig } from '../config/top-level-config';
import { TopLevelError, invalid } from '../errors/top-level-errors';
import { endpointsFrom } from './endpoints';
import { NodeRepository } from './node.repository';
import { SECRET_BOX, type SecretBox } from './secret-box';

const NODE_ID = /^[A-Za-z0-9._-]{1,64}$/;
/** A secondary prefix: the country root and the node's code, digits only ("88.118"). */
const SECONDARY_PREFIX = /^[0-9]{1,10}\.[0-9]{1,10}$/;

/** Grants secondary prefixes and issues (or rotates) the HMAC credentials of signed calls. */
@Injectable()
export class EnrolmentService {
  private readonly logger = new Logger('Enrolment');

  constructor(
    private readonly nodes: NodeRepository,
    @Inject(SECRET_BOX) private readonly secrets: SecretBox,
    @Inject(TOP_LEVEL_CONFIG) private readonly config: TopLevelConfig,
  ) {}

  async enrol(request: EnrolRequest): Promise<EnrolResponse> {
    const token = request.enrolmentToken ?? '';
    if (token.length === 0) throw new TopLevelError('NOT_AUTHENTICATED', 'enrolment_token is missing');
    if (!sameSecret(token, this.config.enrolmentToken)) throw new TopLevelError('FORBIDDEN', 'enrolment_token does not match this top-level node’s ENROLMENT_TOKEN');

    const nodeId = request.nodeId ?? '';
    if (!NODE_ID.test(nodeId)) throw invalid(`node_id must be 1-64 characters of [A-Za-z0-9._-], got ${JSON.stringify(nodeId.slice(0, 80))}`);
    const requested = request.requestedPrefix ?? '';
    let prefixKey: string;
    try {
      prefixKey = parseAssignablePrefix(requested).prefixKey;
    } catch (error) {
      throw invalid(`requested_prefix ${JSON.stringify(requested.slice(0, 80))} is not a prefix: ${(error as Error).message}`);
    }
    if (!SECONDARY_PREFIX.test(requested)) {
      throw invalid(`requested_prefix must be a secondary prefix such as 88.118 (two dot-separated numbers), got ${JSON.stringify(requested)}`);
    }
    const softwareVersion = request.softwareVersion ?? '';
    if (softwareVersion.length > 128) throw invalid('software_version is longer than 128 characters');
    const endpoints = endpointsFrom(request.endpoints);

    const secret = randomBytes(32).toString('base64');
    const keyId = `k-${randomBytes(9).toString('base64url')}`;
    const issuedAt = new Date();
    const outcome = await this.nodes.enrol({
      nodeId,
      secondaryPrefix: requested,
      prefixKey,
      endpoints,
      softwareVersion,
      keyId,
      secretSealed: this.secrets.seal(secret),
      issuedAt,
    });
    if (outcome.kind === 'prefix-held') throw new TopLevelError('ALREADY_EXISTS', `secondary prefix ${requested} is held by node ${outcome.holder}`);
    if (outcome.kind === 'node-has-other-prefix') {
      throw new TopLevelError('ALREADY_EXISTS', `node ${nodeId} is enrolled with secondary prefix ${outcome.prefix}, not ${requested}`);
    }
    this.logger.log(`${outcome.kind === 'rotated' ? 'rotated credentials of' : 'enrolled'} node ${nodeId} (${requested}), key ${keyId}`);
    return {
      nodeId,
      assignedPrefix: requested,
      credentials: { keyId, secret, issuedAtMs: issuedAt.getTime() },
      heartbeatIntervalSeconds: this.config.heartbeatIntervalSeconds,
      reportIntervalSeconds: this.config.reportIntervalSeconds,
    };
  }
}

/** Constant-time comparison of two strings of any length (compares their digests). */
function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
