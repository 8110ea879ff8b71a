import { Controller } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import type { IncomingMessage } from './ingest-pipeline';
import { IngestionRuntime } from './ingestion-runtime';
import { EPCIS_MESSAGE_PATTERN, MQTT_INGESTION_TRANSPORT, type MqttIngestionContext } from './mqtt-ingestion.server';

/**
 * The handler the MQTT transport dispatches every message to. The returned promise settles when
 * the message's batch has committed; the transport acknowledges (PUBACK) only then.
 *
 * No @Payload() / @Ctx(): without parameter decorators Nest passes (data, context) as they are; with
 * them it resolves each argument through its (empty) pipe chain, two awaited promises per message.
 */
@Controller()
export class IngestionController {
  constructor(private readonly runtime: IngestionRuntime) {}

  @EventPattern(EPCIS_MESSAGE_PATTERN, MQTT_INGESTION_TRANSPORT)
  ingest(message: IncomingMessage, _context: MqttIngestionContext): Promise<void> {
    return this.runtime.pipeline.submit(message);
  }
}
