import fc from 'fast-check';
import { IdentifierError } from '@idis/identifier';
import { canonicalIdentifier, checkIdentifier, gs1DigitalLinkForm, handleToIdentifier } from './identifiers';

describe('canonicalIdentifier', () => {
  it.each([
    ['hdl:88.118.8/ABC', { kind: 'hdl', canonical: 'hdl:88.118.8/ABC', handle: '88.118.8/ABC' }],
    ['HDL:88.118.8/ABC', { kind: 'hdl', canonical: 'hdl:88.118.8/ABC', handle: '88.118.8/ABC' }],
    ['hdl:88.118.Ent-A/Bottle/1', { kind: 'hdl', canonical: 'hdl:88.118.ent-a/Bottle/1', handle: '88.118.ent-a/Bottle/1' }],
    ['  hdl:88.118.8/x  ', { kind: 'hdl', canonical: 'hdl:88.118.8/x', handle: '88.118.8/x' }],
    ['https://id.gs1.org/01/09506000134352/21/2018', { kind: 'dl', canonical: 'https://id.gs1.org/01/09506000134352/21/2018', handle: null }],
    ['https://brand.example.com/x/01/9506000134352?linkType=all', { kind: 'dl', canonical: 'https://brand.example.com/x/01/9506000134352?linkType=all', handle: null }],
    ['https://id.gs1.org/00/106141412345678908', { kind: 'dl', canonical: 'https://id.gs1.org/00/106141412345678908', handle: null }],
    ['https://id.gs1.org/414/9506000134376/254/1', { kind: 'dl', canonical: 'https://id.gs1.org/414/9506000134376/254/1', handle: null }],
    ['urn:epc:id:sgtin:0614141.107346.2018', { kind: 'epc', canonical: 'urn:epc:id:sgtin:0614141.107346.2018', handle: null }],
    ['urn:epc:class:lgtin:4012345.011111.LOT1', { kind: 'epc', canonical: 'urn:epc:class:lgtin:4012345.011111.LOT1', handle: null }],
    ['urn:epc:idpat:sgtin:4012345.098765.*', { kind: 'epc', canonical: 'urn:epc:idpat:sgtin:4012345.098765.*', handle: null }],
    ['urn:epc:id:gid:95100000.12345.400', { kind: 'epc', canonical: 'urn:epc:id:gid:95100000.12345.400', handle: null }],
    ['urn:uuid:6b1f0c2e-6a43-4d0b-9a53-0f3f8a7c2d11', { kind: 'uri', canonical: 'urn:uuid:6b1f0c2e-6a43-4d0b-9a53-0f3f8a7c2d11', handle: null }],
    ['https://example.com/things/42', { kind: 'uri', canonical: 'https://example.com/things/42', handle: null }],
  ])('%s', (input, expected) => {
    expect(canonicalIdentifier(input)).toEqual(expected);
  });

  it.each([
    ['', /empty/],
    ['   ', /empty/],
    ['88.118.8/ABC', /bare handle; write it as "hdl:88.118.8\/ABC"/],
    ['bottle 1', /not an absolute URI/],
    ['hdl:88.118.8', /invalid handle/],
    ['hdl:/x', /invalid handle/],
    ['hdl:88..1/x', /invalid handle/],
    ['hdl:88.1/a\u0001b', /invalid handle/],
    ['urn:epc:id:sgtin:0614141.107346', /not a valid id:sgtin EPC URN/],
    ['urn:epc:id:sscc:0614141.123', /not a valid id:sscc/],
    ['URN:EPC:ID:SGTIN:0614141.107346.1', /pure-identity EPC URN/],
    ['urn:epc:tag:sgtin-96:3.0614141.107346.1', /pure-identity EPC URN/],
    ['https://id.gs1.org/01/09506000134353', /check digit/],
    ['https://id.gs1.org/01/123', /not a valid GS1 AI \(01\) value/],
    ['https://id.gs1.org/00/10614141234567890', /not a valid GS1 AI \(00\)/],
    ['https://id.gs1.org/01/09506000134352/21', /AI\/value pairs/],
    ['https://id.gs1.org/01/09506000134352/99/x', /qualifier \(99\) is not allowed/],
    ['https://id.gs1.org/01/09506000134352/21/1/22/x', /not allowed here/],
    ['https://id.gs1.org/nothing-here', /no GS1 primary key/],
    ['x'.repeat(2049), /2049 characters; the limit is 2048/],
  ])('rejects %j', (input, reason) => {
    expect(canonicalIdentifier(input)).toBeNull();
    expect(checkIdentifier(input)).toEqual({ ok: false, reason: expect.stringMatching(reason) });
  });

  it.each([
    ['urn:epc:id:sgtin:0614141.107346.2018', 'instance'],
    ['urn:epc:class:lgtin:4012345.011111.LOT1', 'class'],
    ['urn:epc:idpat:grai:0614141.12345.*', 'class'],
    ['https://id.gs1.org/01/09506000134352', 'class'],
    ['https://id.gs1.org/01/09506000134352/10/L1', 'class'],
    ['https://id.gs1.org/01/09506000134352/10/L1/21/S1', 'instance'],
    ['https://id.gs1.org/01/09506000134352/235/T1', 'instance'],
    ['https://id.gs1.org/8003/00614141123452', 'class'],
    ['https://id.gs1.org/8003/00614141123452400', 'instance'],
  ])('classifies %s as %s', (input, granularity) => {
    expect(checkIdentifier(input)).toMatchObject({ ok: true, granularity });
  });

  it('is idempotent and case-folds only the handle prefix', () => {
    const handle = fc
      .tuple(fc.stringMatching(/^[A-Za-z0-9_-]{1,8}(\.[A-Za-z0-9_-]{1,8}){0,3}$/), fc.stringMatching(/^[A-Za-z0-9._/-]{1,30}$/))
      .map(([p, s]) => `hdl:${p}/${s}`);
    fc.assert(
      fc.property(handle, (h) => {
        const c = canonicalIdentifier(h);
        expect(c).not.toBeNull();
        expect(canonicalIdentifier(c!.canonical)).toEqual(c);
        expect(c!.canonical.slice(c!.canonical.indexOf('/'))).toBe(h.slice(h.indexOf('/')));
        expect(canonicalIdentifier(h.toUpperCase().replace('HDL:', 'hdl:'))?.handle?.split('/')[0]).toBe(c!.handle!.split('/')[0]);
      }),
      { numRuns: 200 },
    );
  });

  it('never throws', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        const c = canonicalIdentifier(s);
        if (c !== null) expect(['hdl', 'dl', 'epc', 'uri']).toContain(c.kind);
        gs1DigitalLinkForm(s);
      }),
      { numRuns: 500 },
    );
  });
});

describe('handleToIdentifier', () => {
  it.each([
    ['88.118.8/ABC', 'hdl:88.118.8/ABC'],
    ['88.118.Ent/ABC', 'hdl:88.118.ent/ABC'],
    ['hdl:88.118.8/ABC', 'hdl:88.118.8/ABC'],
  ])('%s → %s', (handle, identifier) => {
    expect(handleToIdentifier(handle)).toBe(identifier);
    expect(canonicalIdentifier(identifier)?.canonical).toBe(identifier);
  });

  it.each(['', 'no-slash', '88..1/x', '88.1/'])('throws an IdentifierError for %j', (handle) => {
    expect(() => handleToIdentifier(handle)).toThrow(IdentifierError);
  });
});

describe('gs1DigitalLinkForm', () => {
  // GS1 EPC Tag Data Standard examples
  it.each([
    ['urn:epc:id:sgtin:0614141.812345.6789', 'https://id.gs1.org/01/80614141123458/21/6789'],
    // the serial is carried over as written, as in the reference generator's epclist_normalisation vector
    ['urn:epc:id:sgtin:0614141.107346.A!(1)', 'https://id.gs1.org/01/10614141073464/21/A!(1)'],
    ['urn:epc:id:sscc:0614141.1234567890', 'https://id.gs1.org/00/106141412345678908'],
    ['urn:epc:id:sgln:0614141.12345.400', 'https://id.gs1.org/414/0614141123452/254/400'],
    ['urn:epc:id:sgln:0614141.12345.0', 'https://id.gs1.org/414/0614141123452'],
    ['urn:epc:id:grai:0614141.12345.400', 'https://id.gs1.org/8003/00614141123452400'],
    ['urn:epc:id:giai:0614141.12345400', 'https://id.gs1.org/8004/061414112345400'],
    ['urn:epc:id:gsrn:0614141.1234567890', 'https://id.gs1.org/8018/061414112345678902'],
    ['urn:epc:id:gdti:0614141.12345.400', 'https://id.gs1.org/253/0614141123452400'],
    ['urn:epc:id:gsin:0614141.123456789', 'https://id.gs1.org/402/06141411234567890'],
    ['urn:epc:id:pgln:0614141.12345', 'https://id.gs1.org/417/0614141123452'],
    ['urn:epc:class:lgtin:4012345.012345.998877', 'https://id.gs1.org/01/04012345123456/10/998877'],
    ['urn:epc:idpat:sgtin:4012345.012345.*', 'https://id.gs1.org/01/04012345123456'],
    ['https://example.com/01/04012345123456/10/L1/21/S1?17=250101', 'https://id.gs1.org/01/04012345123456/21/S1'],
    ['https://example.com/gtin/4012345123456/cpv/2A/lot/L1', 'https://id.gs1.org/01/04012345123456/10/L1'],
    ['http://id.gs1.org/00/106141412345678908#top', 'https://id.gs1.org/00/106141412345678908'],
  ])('%s → %s', (input, expected) => {
    expect(gs1DigitalLinkForm(input)).toBe(expected);
  });

  // class-level and pattern URNs, CPI (reference generator vectors epcisDocWithAllGS1Keys, epclist_normalisation)
  it.each([
    ['urn:epc:id:cpi:4012345.ABC.123', 'https://id.gs1.org/8010/4012345ABC/8011/123'],
    ['urn:epc:id:cpi:0614141.11111111111111-A%23%2F.1234', 'https://id.gs1.org/8010/061414111111111111111-A%23%2F/8011/1234'],
    ['urn:epc:idpat:cpi:4012345.ABC.*', 'https://id.gs1.org/8010/4012345ABC'],
    ['urn:epc:idpat:gdti:4012345.55555.*', 'https://id.gs1.org/253/4012345555554'],
    ['urn:epc:idpat:sgcn:4012345.99999.*', 'https://id.gs1.org/255/4012345999990'],
    ['urn:epc:idpat:itip:4012345.012345.01.02.*', 'https://id.gs1.org/8006/040123451234560102'],
    ['urn:epc:idpat:grai:4012345.66666.*', 'https://id.gs1.org/8003/04012345666663'],
    ['urn:epc:idpat:upui:4012345.012345.*', 'https://id.gs1.org/01/04012345123456'],
    ['urn:epc:id:upui:4012345.012345.AB12', 'https://id.gs1.org/01/04012345123456/235/AB12'],
    ['urn:epc:id:pgln:999999999999.', 'https://id.gs1.org/417/9999999999994'],
    ['urn:epc:id:gdti:987659999999..9', 'https://id.gs1.org/253/98765999999929'],
  ])('converts the class, pattern or CPI URN %s → %s', (input, expected) => {
    expect(gs1DigitalLinkForm(input)).toBe(expected);
  });

  // percent-escapes are kept: decoding %2F would add a path segment, %25 would become a stray escape
  it.each([
    ['urn:epc:id:sgtin:0614141.812345.6789%2F%26%25%22!%3F()', 'https://id.gs1.org/01/80614141123458/21/6789%2F%26%25%22!%3F()'],
    ['urn:epc:id:ginc:0614141.xyz47%2F11', 'https://id.gs1.org/401/0614141xyz47%2F11'],
    ['https://example.com/8004/0614141AB%2F12', 'https://id.gs1.org/8004/0614141AB%2F12'],
    ['https://example.com/01/04012345111118/21/98%22', 'https://id.gs1.org/01/04012345111118/21/98%22'],
    ['https://example.com/8010/061414111111111111111-A%23%2F/8011/1234', 'https://id.gs1.org/8010/061414111111111111111-A%23%2F/8011/1234'],
  ])('keeps the percent-escapes of %s', (input, expected) => {
    expect(gs1DigitalLinkForm(input)).toBe(expected);
  });

  it.each(['urn:epc:idpat:sgtin:4012345.*.*', 'urn:epc:idpat:sscc:*.*', 'urn:epc:idpat:giai:4012345.*'])(
    'accepts the wider pattern %s as a class identifier and keeps it as written (no Digital Link form)',
    (input) => {
      expect(checkIdentifier(input)).toMatchObject({ ok: true, granularity: 'class' });
      expect(gs1DigitalLinkForm(input)).toBeNull();
    },
  );

  it.each(['urn:epc:idpat:sgtin:4012345.*.1', 'urn:epc:idpat:sgtin:40 12.*.*', 'urn:epc:id:cpi:4012345.abc.1'])('still rejects %s', (input) => {
    expect(checkIdentifier(input)).toMatchObject({ ok: false });
  });

  it.each(['hdl:88.1/x', 'urn:uuid:6b1f0c2e-6a43-4d0b-9a53-0f3f8a7c2d11', 'https://example.com/po/1', 'urn:epc:id:gid:1.2.3'])(
    'is null for %s, which is no GS1 key it can convert',
    (input) => {
      expect(gs1DigitalLinkForm(input)).toBeNull();
    },
  );
});
