import type { NodeEntity } from '../nodes/node.entity';

/** The node a signed call came from, as the guard established it. */
export interface AuthenticatedNode {
  nodeId: string;
  secondaryPrefix: string;
  prefixKey: string;
}

/** Keyed by the call's metadata object, which Nest hands to the guard and then to the handler. */
const callers = new WeakMap<object, AuthenticatedNode>();

export function rememberCaller(metadata: object, node: NodeEntity): void {
  callers.set(metadata, { nodeId: node.nodeId, secondaryPrefix: node.secondaryPrefix, prefixKey: node.prefixKey });
}

/** The caller of a handler behind SignedCallGuard; a handler without the guard is a programming error. */
export function callerOf(metadata: object | undefined): AuthenticatedNode {
  const caller = metadata ? callers.get(metadata) : undefined;
  if (!caller) throw new Error('no authenticated caller: is SignedCallGuard on this controller?');
  return caller;
}
