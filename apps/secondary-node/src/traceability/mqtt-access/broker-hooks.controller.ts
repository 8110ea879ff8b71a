import { Body, Controller, Headers, HttpCode, Inject, Post } from '@nestjs/common';
import { ApiBody, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { createHash, timingSafeEqual } from 'node:crypto';
import { DomainError } from '../../errors/domain-errors';
import { compileSchema } from '../../http/json-schema';
import { MQTT_ACCESS_CONFIG, type MqttAccessConfig } from './mqtt-access.config';
import { MqttAccessService } from './mqtt-access.service';

const printable = '^[^\\u0000-\\u001f\\u007f]*$';
const authSchema = {
  type: 'object',
  additionalProperties: true,
  required: ['username', 'password'],
  properties: {
    username: { type: 'string', maxLength: 64, pattern: printable },
    password: { type: 'string', maxLength: 200 },
    clientid: { type: 'string', maxLength: 256 },
  },
};
const aclSchema = {
  type: 'object',
  additionalProperties: true,
  required: ['username', 'topic', 'action'],
  properties: {
    username: { type: 'string', maxLength: 64, pattern: printable },
    topic: { type: 'string', minLength: 1, maxLength: 1024 },
    action: { type: 'string', enum: ['publish', 'subscribe'] },
    clientid: { type: 'string', maxLength: 256 },
  },
};
const readAuth = compileSchema<{ username: string; password: string }>(authSchema, 'MQTT authentication request');
const readAcl = compileSchema<{ username: string; topic: string; action: 'publish' | 'subscribe' }>(aclSchema, 'MQTT authorisation request');

export const SECRET_HEADER = 'x-mqtt-auth-secret';

/**
 * What an external broker asks the node when it does not keep accounts itself: EMQX 5's HTTP
 * authentication and HTTP authorisation (docs/mqtt-brokers.md). Answers EMQX's shape, 200 with
 * `{result: "allow" | "deny"}`. Only with MQTT_BROKER_ACCOUNTS=http, and only for a caller that
 * sends the shared secret (the broker): anyone else could probe passwords through it.
 */
@ApiTags('traceability')
@Controller('api/v1/mqtt')
export class BrokerHooksController {
  private readonly secretDigest: Buffer | undefined;

  constructor(
    private readonly access: MqttAccessService,
    @Inject(MQTT_ACCESS_CONFIG) private readonly config: MqttAccessConfig,
  ) {
    this.secretDigest = config.authSecret ? createHash('sha256').update(config.authSecret).digest() : undefined;
  }

  @Post('auth')
  @HttpCode(200)
  @ApiHeader({ name: SECRET_HEADER, required: true, description: 'MQTT_AUTH_SECRET' })
  @ApiBody({ schema: authSchema })
  @ApiOperation({ summary: 'The broker asks whether a username/password may connect → {result: allow|deny, is_superuser}' })
  async authenticate(@Headers(SECRET_HEADER) secret: string | undefined, @Body() body: unknown) {
    this.assertBroker(secret);
    const { username, password } = readAuth(body);
    const identity = await this.access.authenticate(username, password);
    if (!identity) return { result: 'deny' };
    // The node's own consumer may do anything; enterprises are checked per topic by /acl.
    return { result: 'allow', is_superuser: identity.kind === 'node' };
  }

  @Post('acl')
  @HttpCode(200)
  @ApiHeader({ name: SECRET_HEADER, required: true, description: 'MQTT_AUTH_SECRET' })
  @ApiBody({ schema: aclSchema })
  @ApiOperation({ summary: 'The broker asks whether an authenticated username may publish or subscribe to a topic → {result: allow|deny}' })
  async authorise(@Headers(SECRET_HEADER) secret: string | undefined, @Body() body: unknown) {
    this.assertBroker(secret);
    const { username, topic, action } = readAcl(body);
    const identity = await this.access.identityOf(username);
    if (!identity) return { result: 'deny' };
    const allowed = action === 'publish' ? this.access.policy.mayPublish(identity, topic) : this.access.policy.maySubscribe(identity, topic);
    return { result: allowed ? 'allow' : 'deny' };
  }

  private assertBroker(secret: string | undefined): void {
    if (this.config.brokerAccounts !== 'http' || !this.secretDigest) throw new DomainError('NOT_FOUND', 'broker authentication over HTTP is off (MQTT_BROKER_ACCOUNTS=http enables it)');
    const given = createHash('sha256').update(secret ?? '').digest();
    if (secret === undefined || !timingSafeEqual(given, this.secretDigest)) throw new DomainError('AUTHENTICATION_REQUIRED', `the ${SECRET_HEADER} header is missing or wrong`);
  }
}
