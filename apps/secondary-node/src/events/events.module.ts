import { Global, Module } from '@nestjs/common';
import { EventHub } from './event-hub';

/** The one EventHub of the node, available everywhere without an import of the emitter's module. */
@Global()
@Module({ providers: [EventHub], exports: [EventHub] })
export class EventsModule {}
