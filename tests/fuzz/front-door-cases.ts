import fc from 'fast-check';
import { applicationBody } from '../support/test-node';
import {
  authorizations,
  bodies,
  encodeSegment,
  epcisDocuments,
  extraHeaders,
  type FuzzCase,
  handlePaths,
  handles,
  type HttpCase,
  mqttPayloads,
  type Principals,
  queries,
  text,
} from './arbitraries';

/** The front doors the fuzzer drives, each a generator of cases. */
export type Door = 'handle-rest' | 'proxy' | 'snms' | 'native' | 'epcis' | 'mqtt';

export const DOORS: readonly Door[] = ['handle-rest', 'proxy', 'snms', 'native', 'epcis', 'mqtt'];

function http(door: Door, method: fc.Arbitrary<string>, path: fc.Arbitrary<string>, p: Principals, body?: fc.Arbitrary<string>): fc.Arbitrary<HttpCase> {
  return fc
    .record({
      method,
      path,
      auth: authorizations(p),
      extra: extraHeaders,
      body: body ? fc.option(body, { freq: 8, nil: undefined }) : fc.constant(undefined),
    })
    .map(({ method: m, path: url, auth, extra, body: payload }) => {
      const headers: Record<string, string> = { ...auth, ...extra };
      if (payload !== undefined && !('content-type' in headers)) headers['content-type'] = 'application/json';
      return { kind: 'http' as const, door, method: m, path: url, headers, body: m === 'GET' || m === 'HEAD' ? undefined : payload };
    });
}

const handleValues = [
  { index: 1, type: 'URL', data: { format: 'string', value: 'https://acme.example.cn/p/1' } },
  { index: 2, type: 'EMAIL', data: { format: 'string', value: 'qa@acme.example.cn' } },
  { index: 100, type: 'HS_ADMIN', data: { format: 'admin', value: { handle: '0.NA/88.118.8', index: '200', permissions: '011111110011' } } },
];

function handleRest(p: Principals): fc.Arbitrary<HttpCase> {
  const query = queries(['index', 'type', 'overwrite', 'mintNewSuffix', 'auth', 'publicOnly', 'prefix', 'page', 'pageSize']);
  const path = fc.oneof(
    { weight: 6, arbitrary: fc.tuple(handlePaths(p), query).map(([h, q]) => `/api/handles/${h}${q}`) },
    { weight: 1, arbitrary: query.map((q) => `/api/handles${q}`) },
    { weight: 1, arbitrary: query.map((q) => `/api/prefixes${q}`) },
  );
  return http('handle-rest', fc.constantFrom('GET', 'PUT', 'PUT', 'DELETE', 'POST'), path, p, bodies(handleValues));
}

function proxy(p: Principals): fc.Arbitrary<HttpCase> {
  const path = fc.tuple(handlePaths(p), queries(['noredirect', 'locatt', 'auth', 'type', 'index'])).map(([h, q]) => `/${h}${q}`);
  return http('proxy', fc.constantFrom('GET', 'GET', 'HEAD'), path, p);
}

function snmsRecord(p: Principals, handle: string) {
  return { handle, templateVersion: '1.0', value: [{ index: 2000, type: 'name', data: { format: 'string', value: 'Wrench' } }] };
}

function snms(p: Principals): fc.Arbitrary<HttpCase> {
  const template = {
    prefix: p.own.prefix,
    version: '9.0',
    industryCategory: 'C',
    industrySpecific: '38',
    industryTrade: '384',
    industrySubclass: '3841',
    type: 1,
    items: [{ name: '名称', idType: 'name', required: true, metadata: { type: 'string', minLength: 1, maxLength: 20 } }],
  };
  const single = fc.tuple(fc.constantFrom('POST', 'PUT', 'DELETE'), handles(p)).chain(([method, h]) =>
    http('snms', fc.constant(method), fc.constant('/identityv2/data'), p, bodies(method === 'DELETE' ? { handle: h } : snmsRecord(p, h))),
  );
  const batch = fc.tuple(fc.constantFrom(['POST', 'batchCreate'], ['PUT', 'batchUpdate'], ['DELETE', 'batchDelete']), fc.array(handles(p), { minLength: 1, maxLength: 4 })).chain(([[method, route], hs]) =>
    http('snms', fc.constant(method), fc.constant(`/identityv2/data/${route}`), p, bodies(method === 'DELETE' ? { handles: hs } : { records: hs.map((h) => snmsRecord(p, h)) })),
  );
  const detail = http('snms', fc.constant('GET'), fc.oneof(handles(p).map((h) => `/identityv2/data/detail?handle=${encodeSegment(h)}`), queries(['handle', 'index', 'type']).map((q) => `/identityv2/data/detail${q}`)), p);
  const templates = http('snms', fc.constantFrom('GET', 'POST', 'PUT', 'DELETE'), queries(['prefix', 'version', 'page', 'size']).map((q) => `/snms/api/v5/template${q}`), p, bodies(template));
  return fc.oneof(single, batch, detail, templates);
}

function native(p: Principals): fc.Arbitrary<HttpCase> {
  const id = fc.oneof(fc.uuid(), text.map(encodeSegment));
  return fc.oneof(
    http('native', fc.constant('POST'), fc.constant('/api/v1/auth/token'), p, bodies({ username: 'fuzz-nobody', password: 'wrong-password-1' })),
    http('native', fc.constant('POST'), fc.constant('/api/v1/enterprises/applications'), p, bodies(applicationBody('88.118.77', 'fuzz-applicant'))),
    http('native', fc.constant('GET'), queries(['q', 'status', 'limit', 'cursor', 'page', 'pageSize']).map((q) => `/api/v1/enterprises/applications${q}`), p),
    http('native', fc.constantFrom('GET', 'POST'), fc.tuple(id, fc.constantFrom('', '/approve', '/reject')).map(([i, a]) => `/api/v1/enterprises/applications/${i}${a}`), p, bodies({ reason: 'fuzz' })),
    http('native', fc.constantFrom('GET', 'POST', 'DELETE'), fc.tuple(id, fc.constantFrom('', '/x')).map(([i, a]) => `/api/v1/enterprises/${i}/grants${a}`), p, bodies({ grantee: 'partner-x' })),
    http('native', fc.constant('GET'), fc.tuple(fc.constantFrom('resolutions', 'registrations'), queries(['from', 'to', 'granularity', 'prefix', 'interval', 'tz'])).map(([k, q]) => `/api/v1/stats/${k}${q}`), p),
    http('native', fc.constant('GET'), fc.tuple(handlePaths(p), queries(['depth', 'direction', 'limit'])).map(([h, q]) => `/api/v1/trace/${h}${q}`), p),
    http('native', fc.constantFrom('GET', 'POST'), fc.constantFrom('/api/v1/ingestion/status', '/api/v1/node/status', '/api/v1/upstream/outbox', '/api/v1/partners', '/health', '/metrics', '/api/v1/limits', '/api/v1/audit'), p, bodies({})),
  );
}

function epcis(p: Principals): fc.Arbitrary<HttpCase> {
  const names = ['eventType', 'GE_eventTime', 'LT_eventTime', 'EQ_bizStep', 'EQ_disposition', 'MATCH_anyEPC', 'MATCH_epc', 'perPage', 'nextPageToken', 'EQ_bizLocation', 'orderBy'];
  return fc.oneof(
    { weight: 3, arbitrary: http('epcis', fc.constant('POST'), fc.constant('/epcis/capture'), p, epcisDocuments(p.own.prefix)) },
    { weight: 2, arbitrary: http('epcis', fc.constant('GET'), queries(names).map((q) => `/epcis/events${q}`), p) },
    { weight: 1, arbitrary: http('epcis', fc.constant('GET'), text.map((t) => `/epcis/events/${encodeSegment(t)}`), p) },
    { weight: 1, arbitrary: http('epcis', fc.constant('GET'), fc.tuple(handlePaths(p), queries(names)).map(([h, q]) => `/epcis/epcs/${h}${q}`), p) },
    { weight: 1, arbitrary: http('epcis', fc.constant('GET'), text.map((t) => `/epcis/capture/${encodeSegment(t)}`), p) },
  );
}

function mqtt(p: Principals): fc.Arbitrary<FuzzCase> {
  return mqttPayloads(p.own.prefix).map((payload) => ({ kind: 'mqtt' as const, door: 'mqtt' as const, payload }));
}

export function casesFor(door: Door, p: Principals): fc.Arbitrary<FuzzCase> {
  switch (door) {
    case 'handle-rest':
      return handleRest(p);
    case 'proxy':
      return proxy(p);
    case 'snms':
      return snms(p);
    case 'native':
      return native(p);
    case 'epcis':
      return epcis(p);
    case 'mqtt':
      return mqtt(p);
  }
}
