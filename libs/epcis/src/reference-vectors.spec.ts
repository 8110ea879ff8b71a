import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { computeEventHashId, eventHashPreimage, namespacesFromContext } from './hash';
import { parseEpcisPayload } from './parse';

/**
 * The published test vectors of the public reference implementation of the CBV 2.0 event hash ID
 * (RalphTro/epcis-event-hash-generator, tests/examples/documents/* with tests/examples/expected/CBV2.0/*),
 * copied to libs/epcis/test-vectors/reference (see its SOURCES.md). Each document's events must give exactly the
 * published pre-hash strings and hash IDs, and every event must pass validation and get its hash ID there too.
 */
const DIR = join(__dirname, '..', 'test-vectors', 'reference');

interface Case {
  name: string;
  document: Record<string, unknown>;
  prehashes: string[];
  hashes: string[];
}

function lines(file: string): string[] {
  return readFileSync(join(DIR, file), 'utf8').split('\n').filter((l) => l !== '');
}

const cases: Case[] = readdirSync(DIR)
  .filter((f) => f.endsWith('.jsonld'))
  .sort()
  .map((f) => {
    const name = f.replace(/\.jsonld$/, '');
    return {
      name,
      document: JSON.parse(readFileSync(join(DIR, f), 'utf8')) as Record<string, unknown>,
      prehashes: lines(`${name}.prehashes`),
      hashes: lines(`${name}.hashes`),
    };
  });

function eventsOf(doc: Record<string, unknown>): Record<string, unknown>[] {
  const body = doc.epcisBody as Record<string, unknown>;
  if (Array.isArray(body.eventList)) return body.eventList as Record<string, unknown>[];
  const results = (body.queryResults as Record<string, unknown>).resultsBody as Record<string, unknown>;
  return results.eventList as Record<string, unknown>[];
}

describe('reference implementation test vectors (CBV 2.0)', () => {
  it('has the vector files', () => {
    expect(cases.length).toBeGreaterThanOrEqual(4);
  });

  describe.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const events = eventsOf(c.document);
    const namespaces = namespacesFromContext(c.document['@context']);

    it('publishes one pre-hash and one hash per event, the hash being the SHA-256 of the pre-hash', () => {
      expect(c.prehashes).toHaveLength(events.length);
      expect(c.hashes).toHaveLength(events.length);
      c.prehashes.forEach((p, i) => {
        expect(`ni:///sha-256;${createHash('sha256').update(p, 'utf8').digest('hex')}?ver=CBV2.0`).toBe(c.hashes[i]);
      });
    });

    it.each(events.map((e, i) => [i, e] as const))('event %i: pre-hash string and hash ID', (i, event) => {
      expect(eventHashPreimage(event, { namespaces })).toBe(c.prehashes[i]);
      expect(computeEventHashId(event, { namespaces })).toBe(c.hashes[i]);
    });
  });
});

/**
 * Vector documents that are no valid EPCIS on purpose: the generator uses them to test normalisation only.
 * Each maps to the problems the node reports.
 */
const NOT_EPCIS: Record<string, Array<{ path: string; message: RegExp }>> = {
  // an LGTIN and a bare GTIN (a lot and a class, not objects) in an epcList: EPCIS epcList names individual objects
  epclist_normalisation: [
    { path: '$.epcisBody.eventList[0].epcList[20]', message: /identifies a class or lot, not one object/ },
    { path: '$.epcisBody.eventList[0].epcList[21]', message: /identifies a class or lot, not one object/ },
  ],
};

describe('the reference documents pass validation and their events get the published hash IDs', () => {
  it.each(Object.entries(NOT_EPCIS))('refuses %s only for what makes it no valid EPCIS', (name, problems) => {
    const c = cases.find((x) => x.name === name)!;
    expect(parseEpcisPayload(JSON.stringify(c.document))).toEqual({
      ok: false,
      problems: problems.map((p) => ({ path: p.path, message: expect.stringMatching(p.message) })),
    });
  });

  const valid = cases.filter((c) => c.document.type === 'EPCISDocument' && !(c.name in NOT_EPCIS));
  it.each(valid.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const result = parseEpcisPayload(JSON.stringify(c.document));
    if (!result.ok) throw new Error(JSON.stringify(result.problems, null, 2));
    expect(result.events.map((e) => e.hashId)).toEqual(c.hashes);
  });
});
