import { computeEventHashId } from '@idis/epcis';
import type { EpcisEvent } from './flow';

/** The id the node stores the event under: its eventID, else the CBV 2.0 event hash ID. */
export function expectedEventId(event: EpcisEvent): string {
  return typeof event.eventID === 'string' ? event.eventID : computeEventHashId(event);
}
