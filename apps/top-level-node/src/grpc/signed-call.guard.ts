import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { Metadata, ServerUnaryCall } from '@grpc/grpc-js';
import { AUTH_METADATA, MAX_CLOCK_SKEW_MS, SIGNED_METHODS, requestDigest, signatureMatches } from '@idis/contracts';
import { TopLevelError } from '../errors/top-level-errors';
import { NodeRepository } from '../nodes/node.repository';
import { SECRET_BOX, type SecretBox } from '../nodes/secret-box';
import { rememberCaller } from './authenticated-node';

const NONCE = /^[A-Za-z0-9_=+/-]{8,128}$/;

/**
 * Authenticates every call but Enrol (common.proto): the node and key must be the node's current
 * credential, the timestamp within ±MAX_CLOCK_SKEW_MS, the signature must cover this method and
 * this very request, and the nonce must be new (nonces are kept in PostgreSQL, so a replay is
 * refused after a restart too). Anything else is UNAUTHENTICATED with the reason.
 */
@Injectable()
export class SignedCallGuard implements CanActivate {
  constructor(
    private readonly nodes: NodeRepository,
    @Inject(SECRET_BOX) private readonly secrets: SecretBox,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'rpc') return true;
    const [data, metadata, call] = context.getArgs<[unknown, Metadata, ServerUnaryCall<unknown, unknown>]>();
    const method = call.getPath();
    if (!SIGNED_METHODS[method]) throw refused(`${method} is not a signed method`);

    const nodeId = single(metadata, AUTH_METADATA.nodeId);
    const keyId = single(metadata, AUTH_METADATA.keyId);
    const timestamp = single(metadata, AUTH_METADATA.timestamp);
    const nonce = single(metadata, AUTH_METADATA.nonce);
    const signature = single(metadata, AUTH_METADATA.signature);

    if (!/^\d{1,16}$/.test(timestamp)) throw refused(`${AUTH_METADATA.timestamp} must be milliseconds since the epoch`);
    const now = Date.now();
    const skew = Number(timestamp) - now;
    if (Math.abs(skew) > MAX_CLOCK_SKEW_MS) {
      throw refused(`${AUTH_METADATA.timestamp} is ${Math.round(skew / 1000)} s away from the top level's clock; at most ±${MAX_CLOCK_SKEW_MS / 1000} s is accepted`);
    }
    if (!NONCE.test(nonce)) throw refused(`${AUTH_METADATA.nonce} must be 8-128 characters of base64 or base64url`);
    if (nodeId.length > 64 || keyId.length > 64 || signature.length > 128) throw refused('authentication metadata too long');

    const node = await this.nodes.findById(nodeId);
    if (!node) throw refused(`node ${nodeId} is not enrolled`);
    if (node.keyId !== keyId) throw refused(`key ${keyId} is not the current credential of node ${nodeId} (rotated by a later enrolment?)`);
    const secret = this.secrets.open(node.secretSealed);
    if (!secret) throw new TopLevelError('INTERNAL', `the stored secret of node ${nodeId} cannot be opened (TOP_LEVEL_SECRET changed?)`);

    const digest = requestDigest(method, data);
    if (!signatureMatches(secret, { method, nodeId, keyId, timestamp, nonce, digest }, signature)) {
      throw refused('signature does not match this method, metadata and request message');
    }
    if (!(await this.nodes.rememberNonce(nodeId, nonce, new Date(Number(timestamp) + MAX_CLOCK_SKEW_MS)))) {
      throw refused(`${AUTH_METADATA.nonce} was already used: replayed call refused`);
    }
    rememberCaller(metadata, node);
    return true;
  }
}

function single(metadata: Metadata, key: string): string {
  const values = metadata.get(key);
  if (values.length === 0) throw refused(`${key} metadata is missing (every call but Enrol must be signed)`);
  if (values.length > 1) throw refused(`${key} metadata is given ${values.length} times`);
  const value = values[0];
  if (typeof value !== 'string' || value.length === 0) throw refused(`${key} metadata must be a non-empty text value`);
  return value;
}

function refused(reason: string): TopLevelError {
  return new TopLevelError('NOT_AUTHENTICATED', reason);
}
