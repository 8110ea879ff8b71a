import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { computeEventHashId, namespacesFromContext } from './hash';
import { parseEpcisPayload } from './parse';

/**
 * The GS1 EPCIS 2.0 example documents (libs/epcis/test-vectors/gs1-examples, see its SOURCES.md) are standard-valid:
 * every one must be accepted as a whole, and every event must get its CBV 2.0 hash ID (class-level identifiers in
 * quantity lists, pattern URNs, sensor data, error declarations and user extensions included).
 */
const DIR = join(__dirname, '..', 'test-vectors', 'gs1-examples');
const files = readdirSync(DIR).filter((f) => f.endsWith('.jsonld')).sort();

describe('GS1 EPCIS 2.0 example documents', () => {
  it('are there', () => {
    expect(files.length).toBeGreaterThanOrEqual(5);
  });

  it.each(files)('%s is accepted and each event gets its hash ID', (file) => {
    const text = readFileSync(join(DIR, file), 'utf8');
    const doc = JSON.parse(text) as { '@context': unknown; epcisBody: { eventList: Record<string, unknown>[] } };
    const result = parseEpcisPayload(text);
    if (!result.ok) throw new Error(`${file} was refused: ${JSON.stringify(result.problems, null, 2)}`);
    const namespaces = namespacesFromContext(doc['@context']);
    expect(result.events.map((e) => e.hashId)).toEqual(doc.epcisBody.eventList.map((e) => computeEventHashId(e, { namespaces })));
    for (const event of result.events) expect(event.hashId).toMatch(/^ni:\/\/\/sha-256;[0-9a-f]{64}\?ver=CBV2\.0$/);
  });
});
