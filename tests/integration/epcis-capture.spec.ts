import { parseEpcisPayload } from '@idis/epcis';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadAppConfig } from '../../apps/secondary-node/src/app-config';
import { createNodeApp } from '../../apps/secondary-node/src/bootstrap';
import { request } from '../support/http';
import { type EnterpriseFixture, type HttpReply, JWT_SECRET, OPERATOR_PASSWORD, TestNode } from '../support/test-node';
import { countRows, epcisDocument, objectEvent } from './ingestion-harness';

/**
 * The capture side of the EPCIS 2.0 REST binding (gs1/EPCIS "REST Bindings/openapi.yaml" /capture,
 * /capture/{captureID}, POST /events): capture jobs, GS1-Capture-Error-Behaviour, the GS1-* headers,
 * JSON-LD content negotiation, limits, duplicates and tenancy.
 */
// Generous: other suites share this machine, and a node's start, bcrypt logins and the restart take their time under load.
jest.setTimeout(180_000);

const LIMITS = { INGEST_MAX_PAYLOAD_BYTES: '32768', INGEST_MAX_EVENTS_PER_DOCUMENT: '20', BODY_LIMIT_BYTES: '65536' };
const LD = 'application/ld+json';

describe('EPCIS 2.0 REST capture interface', () => {
  let node: TestNode;
  let acme: EnterpriseFixture;
  let globex: EnterpriseFixture;

  beforeAll(async () => {
    node = await TestNode.start(LIMITS);
    acme = await node.approvedEnterprise('88.118.8', 'acme');
    globex = await node.approvedEnterprise('88.118.9', 'globex');
  });

  afterAll(async () => {
    await node?.stop();
  });

  const post = (path: string, who: EnterpriseFixture, body: unknown, headers: Record<string, string> = {}) => node.request('POST', path, { token: who.token, body, headers: { 'content-type': LD, ...headers } });
  const storedIds = async (ids: unknown[]) =>
    // Sorted here, not by the database's collation, to compare with Array.prototype.sort.
    (await node.db.client.query<{ event_id: string }>(`SELECT event_id FROM epcis_events WHERE event_id = ANY($1)`, [ids])).rows.map((r) => r.event_id).sort();

  describe('discovery', () => {
    it('OPTIONS /epcis/capture: 204 with the versions, the capture limits and the default error behaviour', async () => {
      const reply = await node.request('OPTIONS', '/epcis/capture');
      expect(reply.status).toBe(204);
      const h = Object.fromEntries(reply.headers.entries());
      expect(h).toMatchObject({
        allow: 'OPTIONS, POST, GET',
        'gs1-epcis-version': '2.0.0',
        'gs1-epcis-min': '2.0.0',
        'gs1-epcis-max': '2.0.0',
        'gs1-cbv-version': '2.0.0',
        'gs1-epcis-capture-limit': '20',
        'gs1-epcis-capture-file-size-limit': '32768',
        'gs1-capture-error-behaviour': 'rollback',
      });
    });

    it('OPTIONS /epcis/events and /epcis/capture/{id}: 204 with what each resource allows', async () => {
      const events = await node.request('OPTIONS', '/epcis/events');
      expect(events.status).toBe(204);
      expect(events.headers.get('allow')).toBe('OPTIONS, GET, POST');
      expect(events.headers.get('gs1-epcis-version')).toBe('2.0.0');
      const job = await node.request('OPTIONS', '/epcis/capture/2f0c4a4e-0000-4000-8000-000000000001');
      expect(job.status).toBe(204);
      expect(job.headers.get('allow')).toBe('OPTIONS, GET');
    });
  });

  describe('POST /epcis/capture', () => {
    it('captures a JSON-LD document: 202 with Location and the version headers, a finished job, events stored as the MQTT path stores them', async () => {
      const doc = {
        ...epcisDocument([
          objectEvent({ epcs: ['hdl:88.118.8/CAP-A1'], action: 'ADD', bizStep: 'commissioning' }),
          objectEvent({ epcs: ['hdl:88.118.8/CAP-A1'], bizStep: 'shipping', eventID: null, extra: { 'example:carrier': { 'example:name': 'Wuhan Freight', 'example:legs': [1, 2] } } }),
        ]),
        '@context': ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld', { example: 'http://ns.example.com/epcis/' }],
      };
      const reply = await post('/epcis/capture', acme, doc, { accept: LD, 'GS1-EPCIS-Version': '2.0', 'GS1-CBV-Version': '2.0' });
      expect(reply.status).toBe(202);
      expect(reply.headers.get('content-type')).toMatch(/^application\/ld\+json/);
      expect(reply.headers.get('gs1-epcis-version')).toBe('2.0.0');
      expect(reply.headers.get('gs1-cbv-version')).toBe('2.0.0');
      expect(reply.headers.get('gs1-capture-error-behaviour')).toBe('rollback');
      const location = reply.headers.get('location') as string;
      expect(location).toBe(`/epcis/capture/${reply.body.captureID}`);
      expect(reply.body).toMatchObject({ running: false, success: true, captureErrorBehaviour: 'rollback', errors: [], eventCount: 2, stored: 2, duplicates: 0, rejected: 0 });
      expect(Date.parse(reply.body.createdAt)).not.toBeNaN();

      const job = await node.request('GET', location, { token: acme.token });
      expect(job.status).toBe(200);
      expect(job.headers.get('content-type')).toMatch(/^application\/json/);
      expect(job.headers.get('gs1-capture-error-behaviour')).toBe('rollback');
      expect(job.body).toEqual(reply.body);

      // Identical to what the MQTT path stores for the same document: the validator's normalised events.
      const parsed = parseEpcisPayload(JSON.stringify(doc));
      if (!parsed.ok) throw new Error('the document does not parse');
      const rows = await node.db.client.query(`SELECT event_id, hash_id, document, source, enterprise_prefix FROM epcis_events WHERE event_id = ANY($1)`, [parsed.events.map((e) => e.eventId)]);
      expect(rows.rows).toHaveLength(2);
      for (const event of parsed.events) {
        const row = rows.rows.find((r) => r.event_id === event.eventId);
        expect(row).toEqual({ event_id: event.eventId, hash_id: event.hashId, document: event.document, source: 'capture', enterprise_prefix: '88.118.8' });
      }
      // The user extension field with its declared namespace comes back intact, with the namespace.
      const withExtension = parsed.events[1];
      const read = await node.request('GET', `/epcis/events/${encodeURIComponent(withExtension.eventId)}`, { token: acme.token });
      expect(read.status).toBe(200);
      const returned = read.body.epcisBody.queryResults.resultsBody.eventList[0];
      expect(returned['example:carrier']).toEqual({ 'example:name': 'Wuhan Freight', 'example:legs': [1, 2] });
      expect(JSON.stringify(returned['@context'] ?? read.body['@context'])).toContain('http://ns.example.com/epcis/');
    });

    it('stores an extension event type with its user extension fields and returns it intact', async () => {
      const context = ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld', { example: 'http://ns.example.com/epcis/' }];
      const calibration = {
        type: 'example:CalibrationEvent',
        eventID: 'urn:uuid:0e0c6f40-1b7e-4c6e-9d55-3f1c0000a001',
        eventTime: '2025-03-01T10:00:00.000+08:00',
        eventTimeZoneOffset: '+08:00',
        epcList: ['hdl:88.118.8/SENSOR-9'],
        readPoint: { id: 'urn:epc:id:sgln:0614141.07346.1234' },
        'example:calibration': { 'example:offset': -0.25, 'example:unit': 'CEL', 'example:steps': [1, 2, 3], 'example:note': '校准 ✓' },
      };
      const reply = await post('/epcis/capture', acme, { ...epcisDocument([calibration]), '@context': context });
      expect(reply.status).toBe(202);
      expect(reply.body).toMatchObject({ success: true, stored: 1 });
      const read = await node.request('GET', `/epcis/events/${encodeURIComponent(calibration.eventID)}`, { token: acme.token });
      expect(read.status).toBe(200);
      const { '@context': ownContext, recordTime, ...returned } = read.body.epcisBody.queryResults.resultsBody.eventList[0];
      expect(returned).toEqual(calibration);
      expect(recordTime).toEqual(expect.any(String));
      expect(ownContext).toEqual([{ example: 'http://ns.example.com/epcis/' }]);
      // The query side finds it by its type, and lists the type among the event types.
      const byType = await node.request('GET', `/epcis/events?eventType=${encodeURIComponent('example:CalibrationEvent')}`, { token: acme.token });
      expect(byType.status).toBe(200);
      expect(byType.body.epcisBody.queryResults.resultsBody.eventList.map((e: { eventID: string }) => e.eventID)).toEqual([calibration.eventID]);
      const types = await node.request('GET', '/epcis/eventTypes', { token: acme.token });
      expect(JSON.stringify(types.body)).toContain('example:CalibrationEvent');

      // The same kind of event alone, by POST /epcis/events, its prefix declared in its own @context.
      const single = { ...calibration, eventID: 'urn:uuid:0e0c6f40-1b7e-4c6e-9d55-3f1c0000a002', '@context': context };
      const created = await post('/epcis/events', acme, single);
      expect(created.status).toBe(201);
      expect(created.body).toEqual(single);
      const undeclared = await node.refused('POST', '/epcis/events', { token: acme.token, body: { ...calibration, eventID: 'urn:uuid:0e0c6f40-1b7e-4c6e-9d55-3f1c0000a003' }, headers: { 'content-type': LD } });
      expect(undeclared.status).toBe(400);
      expect(JSON.stringify(undeclared.body.errors)).toMatch(/prefix \\"example\\", which no @context declares/);
    });

    it('accepts application/json too, and an EPCISQueryDocument’s events', async () => {
      const event = objectEvent({ epcs: ['hdl:88.118.8/CAP-Q1'] });
      const queryDocument = {
        '@context': ['https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld'],
        type: 'EPCISQueryDocument',
        schemaVersion: '2.0',
        creationDate: '2025-01-15T08:00:00.000+08:00',
        epcisBody: { queryResults: { queryName: 'SimpleEventQuery', resultsBody: { eventList: [event] } } },
      };
      const reply = await post('/epcis/capture', acme, queryDocument, { 'content-type': 'application/json; charset=utf-8' });
      expect(reply.status).toBe(202);
      expect(reply.body).toMatchObject({ success: true, stored: 1 });
      expect(await storedIds([event.eventID])).toEqual([event.eventID]);
    });

    it('refuses what cannot be received with the binding’s status and EPCISException type, changing nothing', async () => {
      const good = epcisDocument([objectEvent({ epcs: ['hdl:88.118.8/CAP-BAD-0'] })]);
      const tooMany = epcisDocument(Array.from({ length: 21 }, (_, i) => objectEvent({ epcs: [`hdl:88.118.8/CAP-MANY-${i}`] })));
      const padded = epcisDocument([objectEvent({ epcs: ['hdl:88.118.8/CAP-BIG'], extra: { 'example:pad': 'x'.repeat(40_000) } })]);
      const huge = epcisDocument([objectEvent({ epcs: ['hdl:88.118.8/CAP-HUGE'], extra: { 'example:pad': 'x'.repeat(70_000) } })]);
      const invalid = objectEvent({ epcs: ['hdl:88.118.8/CAP-BAD-1'] });
      delete invalid.action;
      const cases: Array<[string, { body?: unknown; rawBody?: string; headers?: Record<string, string>; token?: string }, number, string]> = [
        ['malformed JSON-LD', { rawBody: '{"type": "EPCISDocument", ', headers: { 'content-type': LD } }, 400, 'epcisException:ValidationException'],
        ['malformed JSON', { rawBody: '{"type": "EPCISDocument", ', headers: { 'content-type': 'application/json' } }, 400, 'epcisException:ValidationException'],
        ['JSON-LD nested too deep', { rawBody: `{"type":"EPCISDocument","x":${'['.repeat(5000)}${']'.repeat(5000)}}`, headers: { 'content-type': LD } }, 400, 'epcisException:ValidationException'],
        ['empty JSON-LD', { rawBody: '', headers: { 'content-type': LD } }, 400, 'epcisException:ValidationException'],
        ['wrong content type', { rawBody: 'type=EPCISDocument', headers: { 'content-type': 'text/plain' } }, 415, 'epcisException:ImplementationException'],
        ['XML', { rawBody: '<epcis:EPCISDocument/>', headers: { 'content-type': 'application/xml' } }, 415, 'epcisException:ImplementationException'],
        ['not acceptable', { body: good, headers: { 'content-type': LD, accept: 'text/html' } }, 406, 'epcisException:ImplementationException'],
        ['EPCIS 1.2 asked for', { body: good, headers: { 'content-type': LD, 'GS1-EPCIS-Version': '1.2' } }, 406, 'epcisException:ImplementationException'],
        ['unknown error behaviour', { body: good, headers: { 'content-type': LD, 'GS1-Capture-Error-Behaviour': 'maybe' } }, 400, 'epcisException:ValidationException'],
        ['a bare event', { body: objectEvent({ epcs: ['hdl:88.118.8/CAP-BAD-2'] }), headers: { 'content-type': LD } }, 400, 'epcisException:ValidationException'],
        ['an invalid event (rollback)', { body: epcisDocument([objectEvent({ epcs: ['hdl:88.118.8/CAP-BAD-3'] }), invalid]), headers: { 'content-type': LD } }, 400, 'epcisException:ValidationException'],
        ['over GS1-EPCIS-Capture-Limit', { body: tooMany, headers: { 'content-type': LD } }, 413, 'epcisException:CaptureLimitExceededException'],
        ['over GS1-EPCIS-Capture-File-Size-Limit', { body: padded, headers: { 'content-type': LD } }, 413, 'epcisException:CaptureLimitExceededException'],
        ['over the node’s body limit', { body: huge, headers: { 'content-type': LD } }, 413, 'epcisException:CaptureLimitExceededException'],
        ['no credentials', { body: good, headers: { 'content-type': LD }, token: '' }, 401, 'epcisException:SecurityException'],
      ];
      const jobsBefore = await countRows(node, 'SELECT 1 FROM epcis_capture_jobs');
      for (const [name, options, status, type] of cases) {
        const reply = await node.refused('POST', '/epcis/capture', { token: options.token === '' ? undefined : acme.token, ...options, ...(options.token === '' ? { token: undefined } : {}) });
        expect({ name, status: reply.status, type: reply.body?.type }).toEqual({ name, status, type });
        expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(reply.body).toMatchObject({ title: expect.any(String), status, detail: expect.any(String), instance: '/epcis/capture' });
        if (status === 413) {
          expect({ name, limit: reply.headers.get('gs1-epcis-capture-limit'), size: reply.headers.get('gs1-epcis-capture-file-size-limit') }).toEqual({ name, limit: '20', size: '32768' });
        }
      }
      const rollback = await node.request('POST', '/epcis/capture', { token: acme.token, body: epcisDocument([objectEvent({ epcs: ['hdl:88.118.8/CAP-BAD-3'] }), invalid]), headers: { 'content-type': LD } });
      expect(rollback.body.errors).toEqual([{ path: '$.epcisBody.eventList[1].action', message: expect.stringMatching(/action is required/) }]);
      expect(await countRows(node, 'SELECT 1 FROM epcis_capture_jobs')).toBe(jobsBefore);
    });

    it('JSON-LD is parsed for the capture routes only: another route still answers 415 to it', async () => {
      const reply = await node.refused('POST', '/api/v1/enterprises/applications', { rawBody: '{}', headers: { 'content-type': LD } });
      expect(reply.status).toBe(415);
    });

    it('rollback vs proceed with one bad event among three: nothing stored, or the two good ones and a job that names the bad one', async () => {
      const bad = objectEvent({ epcs: ['hdl:88.118.8/MIX-2'], eventTime: 'yesterday' });
      const events = () => [objectEvent({ epcs: ['hdl:88.118.8/MIX-1'] }), { ...bad }, objectEvent({ epcs: ['hdl:88.118.8/MIX-3'] })];

      const rollbackEvents = events();
      const rollback = await node.refused('POST', '/epcis/capture', { token: acme.token, body: epcisDocument(rollbackEvents), headers: { 'content-type': LD, 'GS1-Capture-Error-Behaviour': 'rollback' } });
      expect(rollback.status).toBe(400);
      expect(rollback.body.type).toBe('epcisException:ValidationException');
      expect(await storedIds(rollbackEvents.map((e) => e.eventID))).toEqual([]);

      const proceedEvents = events();
      const proceed = await post('/epcis/capture', acme, epcisDocument(proceedEvents), { 'GS1-Capture-Error-Behaviour': 'proceed' });
      expect(proceed.status).toBe(202);
      expect(proceed.headers.get('gs1-capture-error-behaviour')).toBe('proceed');
      expect(proceed.body).toMatchObject({ running: false, success: false, captureErrorBehaviour: 'proceed', eventCount: 3, stored: 2, duplicates: 0, rejected: 1 });
      expect(proceed.body.errors).toEqual([
        {
          type: 'epcisException:ValidationException',
          title: 'Validation exception',
          status: 400,
          path: '$.epcisBody.eventList[1].eventTime',
          message: expect.stringMatching(/"yesterday" is not an ISO 8601 date-time/),
          detail: expect.stringMatching(/"yesterday" is not an ISO 8601 date-time/),
          eventID: bad.eventID,
        },
      ]);
      expect(await storedIds(proceedEvents.map((e) => e.eventID))).toEqual([proceedEvents[0].eventID, proceedEvents[2].eventID].sort());
      const job = await node.request('GET', proceed.headers.get('location') as string, { token: acme.token });
      expect(job.body).toEqual(proceed.body);
    });

    it('proceed: several bad events, including one for another enterprise’s identifiers, are each reported; a bad document is still a 400', async () => {
      const list = [
        objectEvent({ epcs: ['hdl:88.118.8/PRO-1'] }),
        objectEvent({ epcs: ['hdl:88.118.9/STOLEN-1'], action: 'ADD' }),
        objectEvent({ epcs: ['hdl:88.118.8/PRO-3'], action: 'SOMETIMES' }),
        objectEvent({ epcs: ['hdl:88.118.8/PRO-4'] }),
      ];
      const reply = await post('/epcis/capture', acme, epcisDocument(list), { 'GS1-Capture-Error-Behaviour': 'proceed' });
      expect(reply.status).toBe(202);
      expect(reply.body).toMatchObject({ success: false, stored: 2, rejected: 2 });
      const byPath = Object.fromEntries(reply.body.errors.map((e: { path: string; type: string }) => [e.path.replace(/\.action$/, ''), e.type]));
      expect(byPath).toEqual({ 'epcisBody.eventList[1]': 'epcisException:SecurityException', '$.epcisBody.eventList[2]': 'epcisException:ValidationException' });
      expect(await storedIds(list.map((e) => e.eventID))).toEqual([list[0].eventID, list[3].eventID].sort());
      expect(await countRows(node, `SELECT 1 FROM epcis_event_identifiers WHERE identifier = 'hdl:88.118.9/STOLEN-1'`)).toBe(0);

      const noDate = { ...epcisDocument([objectEvent({ epcs: ['hdl:88.118.8/PRO-5'] })]), creationDate: undefined };
      const refused = await node.refused('POST', '/epcis/capture', { token: acme.token, body: noDate, headers: { 'content-type': LD, 'GS1-Capture-Error-Behaviour': 'proceed' } });
      expect(refused.status).toBe(400);
      expect(JSON.stringify(refused.body.errors)).toMatch(/creationDate/);
    });

    it('is idempotent: the same document again is all duplicates, a repeated eventID within a document is stored once', async () => {
      const list = [objectEvent({ epcs: ['hdl:88.118.8/IDEM-1'] }), objectEvent({ epcs: ['hdl:88.118.8/IDEM-2'] })];
      const first = await post('/epcis/capture', acme, epcisDocument(list));
      expect(first.body).toMatchObject({ success: true, stored: 2, duplicates: 0 });
      const again = await post('/epcis/capture', acme, epcisDocument(list));
      expect(again.status).toBe(202);
      expect(again.body).toMatchObject({ success: true, stored: 0, duplicates: 2 });
      expect(again.body.captureID).not.toBe(first.body.captureID);

      const twice = objectEvent({ epcs: ['hdl:88.118.8/IDEM-3'] });
      const repeated = await post('/epcis/capture', acme, epcisDocument([twice, { ...twice }]));
      expect(repeated.body).toMatchObject({ success: true, stored: 1, duplicates: 1 });
      expect(await countRows(node, 'SELECT 1 FROM epcis_events WHERE event_id = ANY($1)', [[...list, twice].map((e) => e.eventID)])).toBe(3);
    });
  });

  describe('POST /epcis/events', () => {
    it('captures one event: 201 with the stored event and its Location; the same event again is a 409 naming it', async () => {
      const event = objectEvent({ epcs: ['hdl:88.118.8/ONE-1'], eventID: null, bizStep: 'shipping' });
      const reply = await post('/epcis/events', acme, event, { accept: `${LD}, application/json;q=0.5` });
      expect(reply.status).toBe(201);
      expect(reply.headers.get('content-type')).toMatch(/^application\/ld\+json/);
      expect(reply.headers.get('gs1-epcis-version')).toBe('2.0.0');
      // Without an eventID the event gets its CBV 2.0 hash ID, as over MQTT.
      expect(reply.body.eventID).toMatch(/^ni:\/\/\/sha-256;[0-9a-f]{64}\?ver=CBV2\.0$/);
      expect(reply.body).toMatchObject({ type: 'ObjectEvent', epcList: ['hdl:88.118.8/ONE-1'], bizStep: 'shipping' });
      const location = reply.headers.get('location') as string;
      expect(location).toBe(`/epcis/events/${encodeURIComponent(reply.body.eventID)}`);
      const read = await node.request('GET', location, { token: acme.token });
      expect(read.status).toBe(200);
      // As stored, with the recordTime the node gave it.
      expect(read.body.epcisBody.queryResults.resultsBody.eventList).toEqual([{ ...reply.body, recordTime: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/) }]);

      const again = await node.refused('POST', '/epcis/events', { token: acme.token, body: event, headers: { 'content-type': LD } });
      expect(again.status).toBe(409);
      expect(again.body.type).toBe('epcisException:ResourceAlreadyExistsException');
      expect(again.headers.get('location')).toBe(location);
    });

    it('refuses bad single events with the binding’s statuses, changing nothing', async () => {
      const invalid = objectEvent({ epcs: ['hdl:88.118.8/ONE-BAD'] });
      delete invalid.eventTimeZoneOffset;
      const cases: Array<[string, { body?: unknown; rawBody?: string; headers: Record<string, string> }, number, string]> = [
        ['a document', { body: epcisDocument([objectEvent({ epcs: ['hdl:88.118.8/ONE-2'] })]), headers: { 'content-type': LD } }, 400, 'epcisException:ValidationException'],
        ['an invalid event', { body: invalid, headers: { 'content-type': LD } }, 400, 'epcisException:ValidationException'],
        ['malformed JSON', { rawBody: '{"type":"ObjectEvent"', headers: { 'content-type': LD } }, 400, 'epcisException:ValidationException'],
        ['wrong content type', { rawBody: '<ObjectEvent/>', headers: { 'content-type': 'application/xml' } }, 415, 'epcisException:ImplementationException'],
        ['not acceptable', { body: objectEvent({ epcs: ['hdl:88.118.8/ONE-3'] }), headers: { 'content-type': LD, accept: 'application/xml' } }, 406, 'epcisException:ImplementationException'],
        ['too large', { body: objectEvent({ epcs: ['hdl:88.118.8/ONE-4'], extra: { 'example:pad': 'y'.repeat(40_000) } }), headers: { 'content-type': LD } }, 413, 'epcisException:CaptureLimitExceededException'],
        ['another enterprise’s identifier', { body: objectEvent({ epcs: ['hdl:88.118.9/ONE-5'], action: 'ADD' }), headers: { 'content-type': LD } }, 403, 'epcisException:SecurityException'],
      ];
      for (const [name, options, status, type] of cases) {
        const reply = await node.refused('POST', '/epcis/events', { token: acme.token, ...options });
        expect({ name, status: reply.status, type: reply.body?.type }).toEqual({ name, status, type });
      }
    });
  });

  describe('tenancy', () => {
    it('an enterprise cannot capture for another’s identifiers, nor see, list or guess its jobs', async () => {
      const acmeJob = await post('/epcis/capture', acme, epcisDocument([objectEvent({ epcs: ['hdl:88.118.8/TEN-1'], action: 'ADD' })]));
      expect(acmeJob.status).toBe(202);

      // Commissioning acme's identifiers, whole document or per event.
      const forged = await node.refused('POST', '/epcis/capture', { token: globex.token, body: epcisDocument([objectEvent({ epcs: ['hdl:88.118.8/TEN-2'], action: 'ADD' })]), headers: { 'content-type': LD } });
      expect(forged.status).toBe(403);
      expect(forged.body.type).toBe('epcisException:SecurityException');
      const underAcme = await node.refused('POST', '/epcis/capture?prefix=88.118.8', { token: globex.token, body: epcisDocument([objectEvent({ epcs: ['hdl:88.118.9/TEN-3'] })]), headers: { 'content-type': LD } });
      expect(underAcme.status).toBe(403);
      const single = await node.refused('POST', '/epcis/events?prefix=88.118.8', { token: globex.token, body: objectEvent({ epcs: ['hdl:88.118.9/TEN-4'] }), headers: { 'content-type': LD } });
      expect(single.status).toBe(403);

      // Reusing acme's eventID: refused without saying whose it is.
      const acmeEvent = objectEvent({ epcs: ['hdl:88.118.8/TEN-SECRET'] });
      expect((await post('/epcis/events', acme, acmeEvent)).status).toBe(201);
      const reuse = await node.refused('POST', '/epcis/events', { token: globex.token, body: objectEvent({ epcs: ['hdl:88.118.9/TEN-5'], eventID: acmeEvent.eventID as string }), headers: { 'content-type': LD } });
      expect(reuse.status).toBe(409);
      expect(reuse.text).not.toMatch(/88\.118\.8|acme|TEN-SECRET/);

      // acme's job: 404 for globex (as for a job that does not exist), absent from globex's listing.
      const foreign = await node.request('GET', `/epcis/capture/${acmeJob.body.captureID}`, { token: globex.token });
      const missing = await node.request('GET', '/epcis/capture/7b0e7c1e-0000-4000-8000-000000000000', { token: globex.token });
      expect(foreign.status).toBe(404);
      expect(foreign.body.type).toBe('epcisException:NoSuchNameException');
      expect({ ...foreign.body, detail: undefined, instance: undefined }).toEqual({ ...missing.body, detail: undefined, instance: undefined });
      expect(foreign.text).not.toMatch(/88\.118\.8|acme/);
      const listed = await node.request('GET', '/epcis/capture?perPage=100', { token: globex.token });
      expect(listed.status).toBe(200);
      expect(listed.body.map((j: { captureID: string }) => j.captureID)).not.toContain(acmeJob.body.captureID);
      expect(listed.body.every((j: { enterprisePrefix: string }) => j.enterprisePrefix === '88.118.9')).toBe(true);
      expect(listed.text).not.toContain('88.118.8');
    });
  });

  describe('API keys', () => {
    it('a key with capture-events captures and lists its enterprise’s jobs; a key without it neither captures nor reads jobs', async () => {
      const keyOf = async (operations: string[]) => {
        const reply = await node.request('POST', `/api/v1/enterprises/${acme.enterpriseId}/api-keys`, { token: acme.token, body: { name: `capture-${operations.join('-')}`, prefixes: ['88.118.8'], operations } });
        if (reply.status !== 201) throw new Error(`key creation failed: ${reply.status} ${reply.text}`);
        return reply.body.secret as string;
      };
      const capturer = await keyOf(['capture-events']);
      const reader = await keyOf(['read-events']);
      const captured = await node.request('POST', '/epcis/capture', { headers: { 'x-api-key': capturer, 'content-type': LD }, rawBody: JSON.stringify(epcisDocument([objectEvent({ epcs: ['hdl:88.118.8/KEY-1'] })])) });
      expect(captured.status).toBe(202);
      const listed = await node.request('GET', '/epcis/capture?perPage=100', { headers: { 'x-api-key': capturer } });
      expect(listed.body.map((j: { captureID: string }) => j.captureID)).toContain(captured.body.captureID);

      const refused = await node.refused('POST', '/epcis/capture', { headers: { 'x-api-key': reader, 'content-type': LD }, rawBody: JSON.stringify(epcisDocument([objectEvent({ epcs: ['hdl:88.118.8/KEY-2'] })])) });
      expect(refused.status).toBe(403);
      expect(refused.body.type).toBe('epcisException:SecurityException');
      // Refused for the key's operations before any job is looked at: the same answer for a real job and an unknown one.
      const real = await node.request('GET', `/epcis/capture/${captured.body.captureID}`, { headers: { 'x-api-key': reader } });
      const unknown = await node.request('GET', '/epcis/capture/7b0e7c1e-0000-4000-8000-00000000beef', { headers: { 'x-api-key': reader } });
      expect([real.status, unknown.status]).toEqual([403, 403]);
      expect(real.body.type).toBe('epcisException:SecurityException');
      expect(real.body.detail).toBe(unknown.body.detail);
      expect((await node.request('GET', '/epcis/capture', { headers: { 'x-api-key': reader } })).status).toBe(403);
    });
  });

  describe('GET /epcis/capture', () => {
    it('lists the caller’s jobs newest first, a page at a time with Link rel="next"; an operator sees every job', async () => {
      const initech = await node.approvedEnterprise('88.118.10', 'initech');
      const ids: string[] = [];
      for (let i = 0; i < 5; i += 1) {
        const reply = await post('/epcis/capture', initech, epcisDocument([objectEvent({ epcs: [`hdl:88.118.10/LIST-${i}`] })]));
        ids.push(reply.body.captureID);
      }
      const seen: string[] = [];
      let path: string | null = '/epcis/capture?perPage=2';
      for (let page = 0; path && page < 10; page += 1) {
        const reply: HttpReply = await node.request('GET', path, { token: initech.token });
        expect(reply.status).toBe(200);
        expect(reply.headers.get('gs1-epcis-version')).toBe('2.0.0');
        expect(reply.body.length).toBeLessThanOrEqual(2);
        seen.push(...reply.body.map((j: { captureID: string }) => j.captureID));
        const link: string | null = reply.headers.get('link');
        if (link) expect(reply.headers.get('gs1-next-page-token-expires')).toMatch(/^\d{4}-/);
        path = link ? (/^<([^>]+)>; rel="next"$/.exec(link)?.[1] ?? null) : null;
      }
      expect(seen).toEqual([...ids].reverse());

      const acmeJob = await post('/epcis/capture', acme, epcisDocument([objectEvent({ epcs: ['hdl:88.118.8/LIST-A'] })]));
      const operator = await node.operatorToken();
      const all = await node.request('GET', '/epcis/capture?perPage=100', { token: operator });
      expect(all.body.map((j: { captureID: string }) => j.captureID)).toEqual(expect.arrayContaining([...ids, acmeJob.body.captureID]));
      expect(all.body.map((j: { enterprisePrefix: string }) => j.enterprisePrefix)).toEqual(expect.arrayContaining(['88.118.8', '88.118.10']));

      for (const bad of ['/epcis/capture?perPage=0', '/epcis/capture?perPage=101', '/epcis/capture?perPage=abc', '/epcis/capture?nextPageToken=forged.token', '/epcis/capture?EQ_bizStep=shipping']) {
        const reply = await node.request('GET', bad, { token: initech.token });
        expect({ bad, status: reply.status, type: reply.body.type }).toEqual({ bad, status: 400, type: 'epcisException:ValidationException' });
      }
      expect((await node.request('GET', '/epcis/capture', { token: initech.token, headers: { accept: 'text/csv' } })).status).toBe(406);
    });
  });
});

describe('EPCIS capture jobs across a restart', () => {
  it('a job recorded before the node stopped is served by the node started on the same database', async () => {
    const first = await TestNode.start(LIMITS);
    let second: NestFastifyApplication | undefined;
    try {
      const acme = await first.approvedEnterprise('88.118.8', 'acme');
      const events = [objectEvent({ epcs: ['hdl:88.118.8/RST-1'] }), objectEvent({ epcs: ['hdl:88.118.8/RST-2'], eventTime: 'later' })];
      const captured = await first.request('POST', '/epcis/capture', { token: acme.token, body: epcisDocument(events), headers: { 'content-type': LD, 'GS1-Capture-Error-Behaviour': 'proceed' } });
      expect(captured.status).toBe(202);
      await first.app.close();

      const config = loadAppConfig({ DATABASE_URL: first.db.url, OPERATOR_PASSWORD, JWT_SECRET, LOG_LEVEL: 'error', SECONDARY_PREFIX: '88.118', RATE_LIMITS_ENABLED: 'false', ...LIMITS });
      second = await createNodeApp(config, first.db.url);
      await second.listen(0, '127.0.0.1');
      const address = second.getHttpServer().address();
      const baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
      const login = await request(baseUrl, 'POST', '/api/v1/auth/token', { body: { username: 'acme', password: acme.password } });
      const token = login.body.accessToken as string;
      const job = await request(baseUrl, 'GET', `/epcis/capture/${captured.body.captureID}`, { token });
      expect(job.status).toBe(200);
      expect(job.body).toEqual(captured.body);
      expect(job.body).toMatchObject({ running: false, success: false, captureErrorBehaviour: 'proceed', stored: 1, rejected: 1 });
      const listed = await request(baseUrl, 'GET', '/epcis/capture', { token });
      expect(listed.body.map((j: { captureID: string }) => j.captureID)).toContain(captured.body.captureID);
    } finally {
      await second?.close();
      await first.db.drop();
    }
  });
});
