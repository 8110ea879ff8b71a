import { Module } from '@nestjs/common';
import { BrokerHooksController } from './broker-hooks.controller';
import { MosquittoDynsecSync } from './mosquitto-dynsec.sync';
import { MqttAccessService } from './mqtt-access.service';
import { MqttCredentialRepository } from './mqtt-credential.repository';
import { MqttCredentialsController } from './mqtt-credentials.controller';

/**
 * Who may use the MQTT broker: enterprises' credentials (shown once, revocable, revoked with the
 * enterprise), the topic rules, and the broker integrations that enforce them — the embedded
 * broker's hooks (ingestion/embedded-broker.ts asks MqttAccessService), Mosquitto's dynamic
 * security (MosquittoDynsecSync) and the HTTP endpoints EMQX asks (BrokerHooksController).
 */
@Module({
  controllers: [MqttCredentialsController, BrokerHooksController],
  providers: [MqttCredentialRepository, MqttAccessService, MosquittoDynsecSync],
  exports: [MqttAccessService],
})
export class MqttAccessModule {}
