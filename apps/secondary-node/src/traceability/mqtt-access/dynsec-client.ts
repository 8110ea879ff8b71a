import { randomBytes } from 'node:crypto';
import { connect, type MqttClient } from 'mqtt';

/** One command of Mosquitto's dynamic-security plugin (mosquitto.org/documentation/dynamic-security). */
export interface DynsecCommand {
  command: string;
  [field: string]: unknown;
}

export interface DynsecResponse {
  command: string;
  error?: string;
  data?: Record<string, unknown>;
  correlationData?: string;
}

export class DynsecError extends Error {
  constructor(
    readonly command: string,
    readonly reason: string,
  ) {
    super(`dynamic-security ${command}: ${reason}`);
    this.name = 'DynsecError';
  }
}

/**
 * A client of the dynamic-security control topic: commands are published to
 * `$CONTROL/dynamic-security/v1` by the admin account and the plugin answers on `…/response`
 * with one response per command, in order. Each batch carries a correlation id so that answers to
 * someone else's commands (another admin, another replica) are never taken for ours.
 */
export class DynsecClient {
  private client: MqttClient | undefined;
  private readonly waiting = new Map<string, { resolve: (responses: DynsecResponse[]) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }>();

  constructor(
    private readonly url: string,
    private readonly username: string,
    private readonly password: string,
    private readonly controlTopic: string,
    private readonly timeoutMs = 10_000,
  ) {}

  get connected(): boolean {
    return this.client?.connected === true;
  }

  /** Opens the connection (retried in the background by MQTT.js); resolves once subscribed to the responses, or rejects on the first failure. */
  start(): Promise<void> {
    const client = connect(this.url, {
      protocolVersion: 5,
      clientId: `idis-dynsec-${randomBytes(4).toString('hex')}`,
      clean: true,
      reconnectPeriod: 2000,
      connectTimeout: 10_000,
      username: this.username,
      password: this.password,
    });
    this.client = client;
    client.on('message', (_topic, payload) => this.receive(payload));
    return new Promise<void>((resolve, reject) => {
      const subscribe = () =>
        client.subscribe(`${this.controlTopic}/response`, { qos: 1 }, (error, granted) => {
          if (error || !granted || granted.some((g) => g.qos > 2)) reject(new Error(`cannot subscribe to ${this.controlTopic}/response: ${error?.message ?? 'refused'}`));
          else resolve();
        });
      client.on('connect', subscribe);
      client.once('error', reject);
    });
  }

  async stop(): Promise<void> {
    for (const [id, waiter] of this.waiting) {
      clearTimeout(waiter.timer);
      waiter.reject(new Error('dynamic-security client stopped'));
      this.waiting.delete(id);
    }
    const client = this.client;
    this.client = undefined;
    if (client) await new Promise<void>((resolve) => client.end(true, {}, () => resolve()));
  }

  /** Sends commands in one message; resolves with their responses (errors included, in order). */
  send(commands: DynsecCommand[]): Promise<DynsecResponse[]> {
    const client = this.client;
    if (!client || !client.connected) return Promise.reject(new Error(`the broker at ${redact(this.url)} is not connected (dynamic-security admin)`));
    const id = randomBytes(8).toString('hex');
    const tagged = commands.map((command, i) => ({ ...command, correlationData: `${id}:${i}` }));
    return new Promise<DynsecResponse[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`dynamic-security did not answer within ${this.timeoutMs} ms (is the plugin loaded and ${this.username} its admin?)`));
      }, this.timeoutMs);
      this.waiting.set(id, { resolve, reject, timer });
      client.publish(this.controlTopic, JSON.stringify({ commands: tagged }), { qos: 1 }, (error) => {
        if (!error) return;
        clearTimeout(timer);
        this.waiting.delete(id);
        reject(error);
      });
    });
  }

  /** Sends one command; throws its error, unless it is one of `tolerated` (e.g. "already exists"). */
  async run(command: DynsecCommand, tolerated: RegExp | undefined = undefined): Promise<DynsecResponse> {
    const [response] = await this.send([command]);
    if (response?.error && !(tolerated && tolerated.test(response.error))) throw new DynsecError(command.command, response.error);
    return response;
  }

  private receive(payload: Buffer): void {
    let body: { responses?: DynsecResponse[] };
    try {
      body = JSON.parse(payload.toString('utf8'));
    } catch {
      return;
    }
    const responses = Array.isArray(body.responses) ? body.responses : [];
    const first = typeof responses[0]?.correlationData === 'string' ? responses[0].correlationData : '';
    const id = first.split(':')[0];
    const waiter = this.waiting.get(id);
    if (!waiter) return;
    clearTimeout(waiter.timer);
    this.waiting.delete(id);
    waiter.resolve(responses);
  }
}

function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
