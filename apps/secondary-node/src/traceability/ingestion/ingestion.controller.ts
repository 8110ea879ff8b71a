import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import type { IncomingMessage } from './ingest-pipeline';
import { IngestionRuntime } from './ingestion-runtime';
import { EPCIS_MESSAGE_PATTERN, MQTT_INGESTION_TRANSPORT, type MqttIngestionContext } from './mqtt-ingestion.server';

/**
 * The handler the MQTT transport dispatches every message to. The returned promise settles when
 * the message's batch has committed; the transport acknowledges (PUBACK) only then.
 */
@Controller()
export class IngestionController {
  constructor(private readonly runtime: IngestionRuntime) {}

  @EventPattern(EPCIS_MESSAGE_PATTERN, MQTT_INGESTION_TRANSPORT)
  ingest(@Payload() message: IncomingMessage, @Ctx() _context: MqttIngestionContext): Promise<void> {
    return this.runtime.pipeline.submit(message);
  }
}
