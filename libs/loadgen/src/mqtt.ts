/**
 * EPCIS events over MQTT at QoS 1 (MQTT.js): a publish counts as done at its PUBACK, which the node
 * sends only after the batch holding the event has committed.
 */
import { connect, type MqttClient } from 'mqtt';

export interface MqttPublisher {
  publish(topic: string, payload: string, done: (error?: string) => void): void;
  close(): Promise<void>;
}

export async function connectPublisher(config: { url: string; username?: string; password?: string } | undefined, workerIndex: number, timeoutMs: number): Promise<MqttPublisher> {
  if (!config?.url) throw new Error('epcis-mqtt needs --mqtt-url (and IDIS_MQTT_USERNAME / IDIS_MQTT_PASSWORD, or a token to create a credential)');
  const client: MqttClient = connect(config.url, {
    clientId: `idis-loadtest-${process.pid}-${workerIndex}-${Math.random().toString(16).slice(2, 8)}`,
    username: config.username,
    password: config.password,
    clean: true,
    reconnectPeriod: 0,
    connectTimeout: Math.min(timeoutMs, 30_000),
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', (error) => reject(new Error(`MQTT ${config.url}: ${error.message}`)));
  });
  client.on('error', () => {});
  return {
    publish(topic, payload, done) {
      let finished = false;
      const timer = setTimeout(() => {
        finished = true;
        done('timeout (no PUBACK)');
      }, timeoutMs);
      client.publish(topic, payload, { qos: 1 }, (error) => {
        if (finished) return;
        clearTimeout(timer);
        done(error ? `MQTT ${error.message.slice(0, 60)}` : undefined);
      });
    },
    close: () => new Promise<void>((resolve) => client.end(false, {}, () => resolve())),
  };
}
