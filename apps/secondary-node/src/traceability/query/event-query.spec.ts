import { DomainError } from '../../errors/domain-errors';
import { dispositionSpellings, parseEventQuery } from './event-query';

function refusal(query: Record<string, string | string[]>): DomainError {
  try {
    parseEventQuery(query);
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error(`accepted ${JSON.stringify(query)}`);
}

describe('parseEventQuery: named EPCIS parameters', () => {
  it('keeps the oldest-first eventTime order when no order is asked for, and defaults to DESC once orderBy is given', () => {
    expect(parseEventQuery({})).toMatchObject({ orderBy: 'eventTime', orderDirection: 'ASC', eventCountLimit: null });
    expect(parseEventQuery({ orderBy: 'recordTime' })).toMatchObject({ orderBy: 'recordTime', orderDirection: 'DESC' });
    expect(parseEventQuery({ orderBy: 'eventTime', orderDirection: 'asc', eventCountLimit: '5' })).toMatchObject({ orderDirection: 'ASC', eventCountLimit: 5 });
  });

  it('turns EPC patterns into identifier prefixes in their URN and Digital Link spellings', () => {
    const { filter } = parseEventQuery({ MATCH_epc: 'urn:epc:idpat:sgtin:0614141.107346.*|urn:epc:id:sgtin:0614141.107346.2018' });
    expect(filter.matches).toEqual([
      {
        parameter: 'MATCH_epc',
        roles: ['epc', 'child'],
        exact: ['urn:epc:id:sgtin:0614141.107346.2018'],
        prefixes: ['urn:epc:id:sgtin:0614141.107346.', 'https://id.gs1.org/01/10614141073464/'],
      },
    ]);
    expect(parseEventQuery({ MATCH_parentID: 'urn:epc:idpat:sscc:*.*' }).filter.matches[0]).toMatchObject({ roles: ['parent'], prefixes: ['urn:epc:id:sscc:'] });
    expect(parseEventQuery({ MATCH_inputEPC: 'hdl:88.118.8/LOT1', MATCH_outputEPC: 'hdl:88.118.8/P1' }).filter.matches.map((m) => m.roles)).toEqual([['input'], ['output']]);
  });

  it('reads EXISTS_ fields, record times, dispositions, locations and eventIDs', () => {
    const { filter } = parseEventQuery({
      EXISTS_errorDeclaration: '',
      'EXISTS_example:temp': 'true',
      GE_recordTime: '2025-01-15T00:00:00Z',
      EQ_disposition: 'in_transit',
      EQ_readPoint: 'urn:epc:id:sgln:0614141.00777.0',
      EQ_eventID: 'urn:uuid:1|ni:///sha-256;ab?ver=CBV2.0',
    });
    expect(filter.exists).toEqual(['errorDeclaration', 'example:temp']);
    expect(filter.geRecordTime).toBe('2025-01-15T00:00:00Z');
    expect(filter.dispositions).toContain('https://ref.gs1.org/cbv/Disp-in_transit');
    expect(filter.readPoints).toEqual(['urn:epc:id:sgln:0614141.00777.0']);
    expect(filter.eventIds).toEqual(['urn:uuid:1', 'ni:///sha-256;ab?ver=CBV2.0']);
  });

  it.each([
    [{ eventCountLimit: '3' }, /needs orderBy/],
    [{ orderBy: 'quantity' }, /orderBy/],
    [{ orderBy: 'eventTime', orderDirection: 'sideways' }, /orderDirection/],
    [{ EXISTS_nothing: '' }, /EXISTS_nothing/],
    [{ EXISTS_ilmd: 'no' }, /takes no value/],
    [{ MATCH_epc: 'urn:epc:idpat:sgtin:0614141.*.7' }, /MATCH_epc/],
    [{ EQ_disposition: 'urn:epcglobal:cbv:disp:misplaced' }, /EQ_disposition/],
    [{ maxEventCount: '1' }, /unsupported query parameter "maxEventCount"/],
  ])('refuses %j', (query, message) => {
    const error = refusal(query);
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.message).toMatch(message);
  });

  it('spells every CBV disposition form alike and takes user URIs as given', () => {
    expect(dispositionSpellings('https://ref.gs1.org/cbv/Disp-recalled')).toEqual(dispositionSpellings('recalled'));
    expect(dispositionSpellings('https://example.com/disp/quarantined')).toEqual(['https://example.com/disp/quarantined']);
  });
});
