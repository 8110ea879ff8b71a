import { Logger } from '@nestjs/common';
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { type AuthenticateError, type Client, createBroker } from 'aedes';
import type { BrokerAccountSync } from '../mqtt-access/mqtt-access.service';
import type { MqttIdentity, TopicPolicy } from '../mqtt-access/topic-policy';

/** What the embedded broker asks the node about its clients (MqttAccessService). */
export interface EmbeddedBrokerAccess {
  readonly policy: TopicPolicy;
  authenticate(username: string | undefined, password: Buffer | undefined): Promise<MqttIdentity | null>;
  /** The identity behind a username now (its enterprise may have gained a prefix since it connected). */
  identityOf(username: string): Promise<MqttIdentity | null>;
  noLongerInForce(credentialIds: string[]): Promise<string[]>;
  attach(sync: BrokerAccountSync): () => void;
}

/** How often live sessions are checked against the database (revocations that committed elsewhere, or late). */
const SWEEP_MS = 2000;
/** An enterprise session refused a topic re-reads its prefixes at most this often. */
const REFRESH_MS = 1000;

/**
 * The in-process MQTT broker of the embedded profile (`npm start` without MQTT_URL): aedes 0.51.3,
 * MQTT 3.1.1 only, in-memory persistence (sessions survive consumer reconnects, not a restart of the
 * node, which is also the broker). Listens on loopback only; port 0 picks a free port.
 *
 * Nobody connects anonymously: a client is the node itself (its consumer) or an enterprise's MQTT
 * credential, which publishes only under its enterprise's active prefixes and subscribes only to
 * its own feedback topics (TopicPolicy). A refused publish closes the connection (aedes, as
 * MQTT 3.1.1 has no negative PUBACK); a refused subscription is answered with SUBACK 0x80. A revoked
 * credential's sessions are closed at once, and a sweep closes any session whose credential is no
 * longer in force (a deactivation that committed after its listener ran).
 */
export class EmbeddedBroker implements BrokerAccountSync {
  private readonly logger = new Logger('EmbeddedBroker');
  private readonly broker = createBroker({
    authenticate: (client, username, password, done) => this.authenticate(client, username, password, done),
    authorizePublish: (client, packet, done) => this.authorizePublish(client, packet.topic, done),
    authorizeSubscribe: (client, subscription, done) => {
      const identity = this.allowed(client);
      done(null, identity && this.access.policy.maySubscribe(identity, subscription.topic) ? subscription : null);
    },
  });
  private readonly server: NetServer;
  private readonly sockets = new Set<Socket>();
  private readonly identities = new WeakMap<Client, MqttIdentity>();
  private readonly sessions = new Map<string, { credentialId: string; clients: Set<Client> }>();
  private readonly refreshedAt = new WeakMap<Client, number>();
  private readonly detach: () => void;
  private sweeper: NodeJS.Timeout | undefined;
  private listeningUrl: string | undefined;

  constructor(
    private readonly port: number,
    private readonly access: EmbeddedBrokerAccess,
    private readonly host = '127.0.0.1',
  ) {
    this.server = createServer((socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      this.broker.handle(socket);
    });
    this.broker.on('clientDisconnect', (client) => this.forget(client));
    this.detach = access.attach(this);
  }

  get url(): string {
    if (!this.listeningUrl) throw new Error('the embedded MQTT broker is not listening yet');
    return this.listeningUrl;
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', (error: NodeJS.ErrnoException) =>
        reject(error.code === 'EADDRINUSE' ? new Error(`MQTT_PORT ${this.port} is in use: choose another port for the embedded MQTT broker (or set MQTT_URL)`) : error),
      );
      this.server.listen(this.port, this.host, () => resolve());
    });
    const address = this.server.address();
    const port = typeof address === 'object' && address ? address.port : this.port;
    this.listeningUrl = `mqtt://${this.host}:${port}`;
    this.sweeper = setInterval(() => void this.sweep(), SWEEP_MS);
    this.sweeper.unref();
    this.logger.log(`embedded MQTT broker (aedes, MQTT 3.1.1) on ${this.listeningUrl}; clients authenticate with node-issued credentials`);
    return this.listeningUrl;
  }

  async stop(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    this.detach();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await new Promise<void>((resolve) => this.broker.close(() => resolve()));
  }

  /** Revoked credentials: their live sessions end now (new connections are refused by authenticate already). */
  accountsRevoked(usernames: string[]): void {
    for (const username of usernames) {
      const session = this.sessions.get(username);
      if (!session) continue;
      for (const client of session.clients) client.close();
      this.sessions.delete(username);
    }
  }

  private authenticate(client: Client, username: string | undefined, password: Buffer | undefined, done: (error: AuthenticateError | null, success: boolean | null) => void): void {
    this.access.authenticate(username, password).then(
      (identity) => {
        if (!identity) {
          const refused = new Error('bad user name or password') as AuthenticateError;
          refused.returnCode = 4 as AuthenticateError['returnCode'];
          return done(refused, false);
        }
        this.identities.set(client, identity);
        if (identity.kind === 'enterprise') {
          const session = this.sessions.get(identity.username) ?? { credentialId: identity.credentialId, clients: new Set<Client>() };
          session.clients.add(client);
          this.sessions.set(identity.username, session);
        }
        done(null, true);
      },
      (error: Error) => {
        this.logger.warn(`MQTT authentication failed: ${error.message}`);
        const unavailable = new Error('server unavailable') as AuthenticateError;
        unavailable.returnCode = 3 as AuthenticateError['returnCode'];
        done(unavailable, false);
      },
    );
  }

  private authorizePublish(client: Client | null, topic: string, done: (error?: Error | null) => void): void {
    const identity = this.allowed(client);
    if (!client || !identity) return done(new Error('not authorised'));
    if (this.access.policy.mayPublish(identity, topic)) return done(null);
    if (identity.kind !== 'enterprise' || Date.now() - (this.refreshedAt.get(client) ?? 0) < REFRESH_MS) return done(new Error(`not authorised to publish on ${topic}`));
    // A prefix activated after this session connected: read the enterprise's prefixes again.
    this.refreshedAt.set(client, Date.now());
    this.access.identityOf(identity.username).then(
      (fresh) => {
        if (fresh) this.identities.set(client, fresh);
        done(fresh && this.access.policy.mayPublish(fresh, topic) ? null : new Error(`not authorised to publish on ${topic}`));
      },
      (error: Error) => done(error),
    );
  }

  private allowed(client: Client | null): MqttIdentity | undefined {
    return client ? this.identities.get(client) : undefined;
  }

  private forget(client: Client): void {
    const identity = this.identities.get(client);
    if (identity?.kind !== 'enterprise') return;
    const session = this.sessions.get(identity.username);
    session?.clients.delete(client);
    if (session && session.clients.size === 0) this.sessions.delete(identity.username);
  }

  /** Closes the sessions of credentials no longer in force (revoked, or their enterprise deactivated). */
  private async sweep(): Promise<void> {
    if (this.sessions.size === 0) return;
    const byId = new Map([...this.sessions].map(([username, session]) => [session.credentialId, username]));
    try {
      const gone = await this.access.noLongerInForce([...byId.keys()]);
      this.accountsRevoked(gone.map((id) => byId.get(id) as string));
    } catch (error) {
      this.logger.warn(`MQTT session sweep failed: ${(error as Error).message}`);
    }
  }
}
