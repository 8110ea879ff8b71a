import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type NormalisedEvent, parseEpcisPayload } from '@idis/epcis';
import { instantMicros } from '../subscriptions/event-matcher';
import { committedFeedEvent } from '../subscriptions/event-feed';
import { eventRows, type StoreItem } from './event-store';
import { withDocumentAsText } from './text-document-event';

/** Every event of the GS1 EPCIS 2.0 example documents (libs/epcis/test-vectors/gs1-examples), as the ingestion normalises them. */
const DIR = join(__dirname, '..', '..', '..', '..', '..', 'libs', 'epcis', 'test-vectors', 'gs1-examples');
const events: NormalisedEvent[] = readdirSync(DIR)
  .filter((file) => file.endsWith('.jsonld'))
  .sort()
  .flatMap((file) => {
    const result = parseEpcisPayload(readFileSync(join(DIR, file), 'utf8'));
    if (!result.ok) throw new Error(`${file} was refused`);
    return result.events;
  });
const items = (list: NormalisedEvent[]): StoreItem[] => list.map((event) => ({ event, enterprisePrefix: '88.118.8', source: 'mqtt' }));
const RECORD_TIME_KEY = '2026-12-07T10:11:12.123456Z';

describe('withDocumentAsText', () => {
  // Some examples carry their own recordTime (the capture time rendering replaces): those keep their tree.
  const renderedAsText = (event: NormalisedEvent) =>
    event.errorDeclaration === null && event.document.eventID === event.eventId && !('recordTime' in event.document) && !('errorDeclaration' in event.document);
  const plain = events.filter(renderedAsText);
  const prepared = plain.map(withDocumentAsText);

  it('keeps the documents of the GS1 examples as text, the same as the trees', () => {
    expect(plain.length).toBeGreaterThanOrEqual(8);
    for (const event of events.filter((e) => !renderedAsText(e))) expect(withDocumentAsText(event)).toBe(event);
    prepared.forEach((event, k) => {
      expect(event).not.toBe(plain[k]);
      expect(event.documentJson).toBe(JSON.stringify(plain[k].document));
      expect(event.documentKeys).toEqual(Object.keys(plain[k].document));
      // The tree is read back on demand, and every other field is the event's.
      expect(event.document).toEqual(plain[k].document);
      const { document: _document, ...fields } = plain[k];
      expect({ ...event }).toEqual({ ...fields, documentJson: event.documentJson, documentKeys: event.documentKeys });
    });
  });

  it('leaves alone what does not render as its text plus recordTime: error declarations, a recordTime or another eventID in the document', () => {
    const declared = events.filter((event) => event.errorDeclaration !== null);
    expect(declared.length).toBeGreaterThan(0);
    for (const event of declared) expect(withDocumentAsText(event)).toBe(event);
    const withRecordTime = { ...plain[0], document: { ...plain[0].document, recordTime: '2020-01-01T00:00:00Z' } };
    expect(withDocumentAsText(withRecordTime)).toBe(withRecordTime);
    const otherId = { ...plain[0], document: { ...plain[0].document, eventID: 'urn:uuid:6a0c8b47-7c24-4c9e-9e4a-3c2b9f2e1d00' } };
    expect(withDocumentAsText(otherId)).toBe(otherId);
    const noId = { ...plain[0], document: { type: 'ObjectEvent' } };
    expect(withDocumentAsText(noId)).toBe(noId);
  });

  it('gives the store the same rows, byte for byte, as the trees do (a batch mixing both stringifies the trees)', () => {
    expect(eventRows(items(prepared), false)).toBe(eventRows(items(plain), false));
    expect(JSON.parse(eventRows(items(prepared), false)).map((row: { d: unknown }) => row.d)).toEqual(plain.map((event) => event.document));
    const mixed = [prepared[0], plain[1], prepared[2]];
    expect(eventRows(items(mixed), false)).toBe(eventRows(items([plain[0], plain[1], plain[2]]), false));
  });

  it('gives subscriptions the same delivered event as the tree does', () => {
    const recordTime = new Date(RECORD_TIME_KEY);
    prepared.forEach((event, k) => {
      const fromText = committedFeedEvent(event, '88.118.8', RECORD_TIME_KEY, recordTime, instantMicros(RECORD_TIME_KEY));
      const fromTree = committedFeedEvent(plain[k], '88.118.8', RECORD_TIME_KEY, recordTime, instantMicros(RECORD_TIME_KEY));
      expect(fromText).toEqual(fromTree);
      expect(JSON.parse(fromText.json.toString('utf8'))).toEqual({ ...plain[k].document, recordTime: recordTime.toISOString() });
    });
  });
});
