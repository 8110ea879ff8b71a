import { documentWith, eventIndexOf, problemsByEvent, withOriginalIndex } from './capture-document';

describe('capture document helpers', () => {
  it('finds the event of a problem in each path form the validators write', () => {
    expect(eventIndexOf('$.epcisBody.eventList[3].action')).toBe(3);
    expect(eventIndexOf('$.epcisBody.eventList[12]')).toBe(12);
    expect(eventIndexOf('epcisBody.eventList[0]')).toBe(0);
    expect(eventIndexOf('epcisBody.eventList[2].eventID')).toBe(2);
    expect(eventIndexOf('/epcisBody/eventList/7/example:note')).toBe(7);
    expect(eventIndexOf('/epcisBody/eventList/7')).toBe(7);
    expect(eventIndexOf('$.schemaVersion')).toBeNull();
    expect(eventIndexOf('$')).toBeNull();
    expect(eventIndexOf('$.epcisBody.eventList')).toBeNull();
    expect(eventIndexOf('/epcisBody/eventList/x')).toBeNull();
  });

  it('groups problems per event and keeps document problems apart', () => {
    const grouped = problemsByEvent([
      { path: '$.epcisBody.eventList[1].action', message: 'a' },
      { path: '$.creationDate', message: 'b' },
      { path: 'epcisBody.eventList[1]', message: 'c' },
      { path: '/epcisBody/eventList/4/x:y', message: 'd' },
    ]);
    expect(grouped.document).toEqual([{ path: '$.creationDate', message: 'b' }]);
    expect([...grouped.events.keys()].sort()).toEqual([1, 4]);
    expect(grouped.events.get(1)?.map((p) => p.message)).toEqual(['a', 'c']);
  });

  it('maps a position in a shortened list back to the document as sent', () => {
    expect(withOriginalIndex('$.epcisBody.eventList[0].action', 5)).toBe('$.epcisBody.eventList[5].action');
    expect(withOriginalIndex('epcisBody.eventList[1]', 9)).toBe('epcisBody.eventList[9]');
    expect(withOriginalIndex('/epcisBody/eventList/0/a:b', 3)).toBe('/epcisBody/eventList/3/a:b');
  });

  it('keeps only the chosen events and the rest of the document as sent', () => {
    const doc = { '@context': ['x', { ex: 'http://ex/' }], type: 'EPCISDocument', epcisBody: { eventList: ['a', 'b', 'c'], 'ex:f': 1 } };
    expect(documentWith(doc, [0, 2])).toEqual({ '@context': ['x', { ex: 'http://ex/' }], type: 'EPCISDocument', epcisBody: { eventList: ['a', 'c'], 'ex:f': 1 } });
    expect(doc.epcisBody.eventList).toEqual(['a', 'b', 'c']);
  });
});
