import { Logger } from '@nestjs/common';
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { createBroker } from 'aedes';

/**
 * The in-process MQTT broker of the embedded profile (`npm start` without MQTT_URL): aedes 0.51.3,
 * MQTT 3.1.1 only, in-memory persistence (sessions survive consumer reconnects, not a restart of the
 * node, which is also the broker). Listens on loopback only; port 0 picks a free port.
 */
export class EmbeddedBroker {
  private readonly logger = new Logger('EmbeddedBroker');
  private readonly broker = createBroker();
  private readonly server: NetServer;
  private readonly sockets = new Set<Socket>();
  private listeningUrl: string | undefined;

  constructor(
    private readonly port: number,
    private readonly host = '127.0.0.1',
  ) {
    this.server = createServer((socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      this.broker.handle(socket);
    });
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
    this.logger.log(`embedded MQTT broker (aedes, MQTT 3.1.1) on ${this.listeningUrl}`);
    return this.listeningUrl;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await new Promise<void>((resolve) => this.broker.close(() => resolve()));
  }
}
