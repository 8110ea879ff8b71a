import { parsePrefix } from '@idis/identifier';

/** Who is on the other end of an MQTT connection, as the node's credentials say. */
export type MqttIdentity =
  | { kind: 'node' }
  | { kind: 'enterprise'; credentialId: string; enterpriseId: string; username: string; prefixKeys: ReadonlySet<string> };

/** Topics under an enterprise prefix that only the node publishes (feedback to the enterprise). */
export const FEEDBACK_TOPICS: readonly string[] = ['rejects', 'acks'];

/**
 * The topic rules every broker applies, in one place (the embedded broker's hooks and the HTTP
 * endpoints EMQX asks; the Mosquitto roles are the same rules written as ACLs):
 * - the node itself may do anything;
 * - an enterprise publishes only under `{root}/{one of its active prefixes}/…`, never on the
 *   node's feedback topics there, and never with wildcards;
 * - an enterprise subscribes only to its own feedback topics, literally (no wildcards).
 * The prefix level is compared case-insensitively (prefixes are, RFC 3651 §2), as the node's
 * consumer reads it.
 */
export class TopicPolicy {
  private readonly head: string;

  constructor(topicRoot: string) {
    this.head = `${topicRoot}/`;
  }

  /** The prefix key and the levels after it of `{root}/{prefix}/{rest}`, or null for any other topic. */
  split(topic: string): { prefixKey: string; rest: string } | null {
    if (!topic.startsWith(this.head)) return null;
    const tail = topic.slice(this.head.length);
    const slash = tail.indexOf('/');
    if (slash <= 0 || slash === tail.length - 1) return null;
    try {
      return { prefixKey: parsePrefix(tail.slice(0, slash)).prefixKey, rest: tail.slice(slash + 1) };
    } catch {
      return null;
    }
  }

  mayPublish(identity: MqttIdentity, topic: string): boolean {
    if (identity.kind === 'node') return true;
    if (/[+#\u0000]/.test(topic)) return false;
    const parts = this.split(topic);
    return parts !== null && identity.prefixKeys.has(parts.prefixKey) && !FEEDBACK_TOPICS.includes(parts.rest);
  }

  maySubscribe(identity: MqttIdentity, filter: string): boolean {
    if (identity.kind === 'node') return true;
    if (/[+#\u0000]/.test(filter)) return false;
    const parts = this.split(filter);
    return parts !== null && identity.prefixKeys.has(parts.prefixKey) && FEEDBACK_TOPICS.includes(parts.rest);
  }
}
