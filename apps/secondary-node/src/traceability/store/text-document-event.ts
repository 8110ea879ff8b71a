import type { NormalisedEvent } from '@idis/epcis';
import { rendersAsTextWithRecordTime } from '../query/query-document';

/**
 * The event with its document kept as JSON text (documentJson, documentKeys) instead of an object
 * tree: the ingestion pipeline holds each message's events from receipt until its batch commits,
 * and thousands of small trees alive at once are what every young-generation collection copies.
 * The store writes the text as it is, and subscriptions deliver it with recordTime appended.
 *
 * Only for documents whose rendering is that text plus recordTime: no error declaration, the
 * eventID it holds is the event's, and no recordTime or errorDeclaration key of its own. Any other
 * event is returned as it is.
 */
export function withDocumentAsText(event: NormalisedEvent): NormalisedEvent {
  const document = event.document;
  if (event.errorDeclaration !== null || !rendersAsTextWithRecordTime(document, event.eventId)) return event;
  return new TextDocumentEvent(event, JSON.stringify(document), Object.keys(document));
}

/** A NormalisedEvent whose document is read back from its text when someone asks for the tree. */
class TextDocumentEvent implements NormalisedEvent {
  readonly eventId: string;
  readonly hashId: string;
  readonly eventIdGiven: boolean;
  readonly type: NormalisedEvent['type'];
  readonly eventTime: Date;
  readonly eventTimeZoneOffset: string;
  readonly action: NormalisedEvent['action'];
  readonly bizStep: string | null;
  readonly disposition: string | null;
  readonly readPoint: string | null;
  readonly bizLocation: string | null;
  readonly errorDeclaration: NormalisedEvent['errorDeclaration'];
  readonly identifiers: NormalisedEvent['identifiers'];
  readonly containment: NormalisedEvent['containment'];
  readonly derivations: NormalisedEvent['derivations'];
  readonly commissioned: NormalisedEvent['commissioned'];

  constructor(
    event: NormalisedEvent,
    readonly documentJson: string,
    readonly documentKeys: readonly string[],
  ) {
    this.eventId = event.eventId;
    this.hashId = event.hashId;
    this.eventIdGiven = event.eventIdGiven;
    this.type = event.type;
    this.eventTime = event.eventTime;
    this.eventTimeZoneOffset = event.eventTimeZoneOffset;
    this.action = event.action;
    this.bizStep = event.bizStep;
    this.disposition = event.disposition;
    this.readPoint = event.readPoint;
    this.bizLocation = event.bizLocation;
    this.errorDeclaration = event.errorDeclaration;
    this.identifiers = event.identifiers;
    this.containment = event.containment;
    this.derivations = event.derivations;
    this.commissioned = event.commissioned;
  }

  /** A new tree each time (nothing on the hot path asks: the store and subscriptions use the text). */
  get document(): Record<string, unknown> {
    return JSON.parse(this.documentJson) as Record<string, unknown>;
  }
}
