import { nodeRoleAcls, prefixRoleAcls } from './mosquitto-dynsec.sync';
import { type MqttIdentity, TopicPolicy } from './topic-policy';

const policy = new TopicPolicy('idis/v1');
const acme: MqttIdentity = { kind: 'enterprise', credentialId: 'c1', enterpriseId: 'e1', username: 'idis-e-88.118.8-abc', prefixKeys: new Set(['88.118.8', '88.118.ab']) };
const node: MqttIdentity = { kind: 'node' };

describe('TopicPolicy', () => {
  it.each([
    ['idis/v1/88.118.8/events', true],
    ['idis/v1/88.118.AB/events', true], // prefixes are case-insensitive
    ['idis/v1/88.118.8/events/line-1', true],
    ['idis/v1/88.118.9/events', false], // someone else's prefix
    ['idis/v1/88.118.8.1/events', false], // a derived prefix may belong to someone else
    ['idis/v1/88.118/events', false],
    ['idis/v1/88.118.8/rejects', false], // the node's feedback topics
    ['idis/v1/88.118.8/acks', false],
    ['idis/v1/88.118.8', false],
    ['idis/v1/88.118.8/', false],
    ['idis/v2/88.118.8/events', false],
    ['idis/v1//events', false],
    ['$SYS/broker/uptime', false],
    ['idis/v1/88.118.8/+', false],
    ['idis/v1/88..8/events', false],
  ])('an enterprise publishing on %s: %s', (topic, allowed) => {
    expect(policy.mayPublish(acme, topic)).toBe(allowed);
  });

  it.each([
    ['idis/v1/88.118.8/rejects', true],
    ['idis/v1/88.118.8/acks', true],
    ['idis/v1/88.118.9/rejects', false],
    ['idis/v1/88.118.8/events', false],
    ['idis/v1/88.118.8/#', false],
    ['idis/v1/+/rejects', false],
    ['#', false],
    ['$share/g/idis/v1/88.118.8/rejects', false],
  ])('an enterprise subscribing to %s: %s', (filter, allowed) => {
    expect(policy.maySubscribe(acme, filter)).toBe(allowed);
  });

  it('lets the node itself do anything', () => {
    expect(policy.mayPublish(node, 'idis/v1/88.118.9/rejects')).toBe(true);
    expect(policy.maySubscribe(node, '$share/idis-secondary/idis/v1/+/events')).toBe(true);
  });

  it('gives an enterprise with no active prefix nothing', () => {
    const none: MqttIdentity = { ...acme, prefixKeys: new Set() } as MqttIdentity;
    expect(policy.mayPublish(none, 'idis/v1/88.118.8/events')).toBe(false);
    expect(policy.maySubscribe(none, 'idis/v1/88.118.8/rejects')).toBe(false);
  });
});

describe('Mosquitto roles', () => {
  it('write the same rules as ACLs, for both spellings of a prefix', () => {
    const acls = prefixRoleAcls('idis/v1', { prefix: '88.118.AB', prefixKey: '88.118.ab' });
    expect(acls).toContainEqual({ acltype: 'publishClientSend', topic: 'idis/v1/88.118.ab/#', allow: true, priority: 0 });
    expect(acls).toContainEqual({ acltype: 'publishClientSend', topic: 'idis/v1/88.118.AB/#', allow: true, priority: 0 });
    expect(acls).toContainEqual({ acltype: 'publishClientSend', topic: 'idis/v1/88.118.AB/rejects', allow: false, priority: 10 });
    expect(acls).toContainEqual({ acltype: 'subscribeLiteral', topic: 'idis/v1/88.118.ab/acks', allow: true, priority: 0 });
    expect(acls.filter((a) => a.allow && a.acltype === 'publishClientSend').every((a) => a.topic.endsWith('/#'))).toBe(true);
    expect(prefixRoleAcls('idis/v1', { prefix: '88.118.8', prefixKey: '88.118.8' })).toHaveLength(5);
  });

  it("give the node's consumer its shared subscription and its feedback topics", () => {
    const acls = nodeRoleAcls('idis/v1', 'idis-secondary');
    expect(acls).toContainEqual({ acltype: 'subscribePattern', topic: '$share/idis-secondary/idis/v1/+/events', allow: true, priority: 0 });
    expect(acls).toContainEqual({ acltype: 'publishClientSend', topic: 'idis/v1/+/rejects', allow: true, priority: 0 });
  });
});
