import { eventQuery, eventRows, nextPageToken } from './events';
import { labelHandles, labelPages, MAX_LABELS } from './labels';
import { mergeSeries, pointLabel, seriesWindow } from './stats-range';

describe('statistics ranges', () => {
  const now = new Date('2026-12-05T17:23:45Z');
  it('asks for 24 or 168 hourly points, or 30 daily ones, ending with the current one', () => {
    expect(seriesWindow('24h', now)).toEqual({ from: '2026-12-04T18:00:00.000Z', to: '2026-12-05T18:00:00.000Z', step: '1h' });
    expect(seriesWindow('7d', now)).toEqual({ from: '2026-11-28T18:00:00.000Z', to: '2026-12-05T18:00:00.000Z', step: '1h' });
    expect(seriesWindow('30d', now)).toEqual({ from: '2026-11-06T00:00:00.000Z', to: '2026-12-06T00:00:00.000Z', step: '1d' });
    expect(pointLabel('2026-12-05T17:00:00.000Z', '1h')).toBe('12-05 17:00');
    expect(pointLabel('2026-12-05T00:00:00.000Z', '1d')).toBe('12-05');
  });
  it('puts both series on one axis', () => {
    expect(mergeSeries([{ t: 'b', total: 2 }, { t: 'a', total: 1 }], [{ t: 'c', total: 5 }])).toEqual({ times: ['a', 'b', 'c'], resolutions: [1, 2, 0], registrations: [0, 0, 5] });
  });
});

describe('events query', () => {
  it('builds the EPCIS query and reads the next page token from Link', () => {
    const q = new URLSearchParams(eventQuery({ eventType: ['ObjectEvent', 'AggregationEvent'], from: '2026-12-01T00:00:00Z', to: '', bizStep: ' shipping ', epc: '' }, 20, 'tok'));
    expect(Object.fromEntries(q)).toEqual({ perPage: '20', eventType: 'ObjectEvent|AggregationEvent', GE_eventTime: '2026-12-01T00:00:00.000Z', EQ_bizStep: 'shipping', nextPageToken: 'tok' });
    expect(eventQuery({ eventType: [], from: '', to: '', bizStep: '', epc: '' }, 30)).toBe('perPage=30');
    expect(nextPageToken('</epcis/events?perPage=20&nextPageToken=abc%3D>; rel="next"')).toBe('abc=');
    expect(nextPageToken(null)).toBeNull();
    expect(nextPageToken('<x>; rel="prev"')).toBeNull();
  });
  it('flattens events into rows', () => {
    const rows = eventRows({
      epcisBody: {
        queryResults: {
          resultsBody: {
            eventList: [
              { type: 'ObjectEvent', eventID: 'urn:uuid:1', eventTime: '2026-12-01T00:00:00Z', action: 'OBSERVE', bizStep: 'https://ref.gs1.org/cbv/BizStep-shipping', epcList: ['hdl:88.118.8/A'] },
              { type: 'AggregationEvent', eventID: 'urn:uuid:2', eventTime: '2026-12-02T00:00:00Z', bizStep: 'urn:epcglobal:cbv:bizstep:packing', parentID: 'hdl:88.118.8/P', childEPCs: ['hdl:88.118.8/B'] },
            ],
          },
        },
      },
    });
    expect(rows).toEqual([
      { id: 'urn:uuid:1', type: 'ObjectEvent', eventTime: '2026-12-01T00:00:00Z', bizStep: 'shipping', action: 'OBSERVE', epcs: ['hdl:88.118.8/A'] },
      { id: 'urn:uuid:2', type: 'AggregationEvent', eventTime: '2026-12-02T00:00:00Z', bizStep: 'packing', action: '', epcs: ['hdl:88.118.8/P', 'hdl:88.118.8/B'] },
    ]);
    expect(eventRows({})).toEqual([]);
  });
});

describe('label sheets', () => {
  it('counts pages of a grid and bounds the handles', () => {
    expect(labelPages(4980, 8, 4)).toBe(156);
    expect(labelPages(32, 8, 4)).toBe(1);
    expect(labelPages(33, 8, 4)).toBe(2);
    expect(labelHandles(['a', 'b', 'a'])).toEqual({ handles: ['a', 'b'], truncated: false });
    const many = labelHandles(Array.from({ length: MAX_LABELS + 1 }, (_, i) => String(i)));
    expect(many.handles).toHaveLength(MAX_LABELS);
    expect(many.truncated).toBe(true);
  });
});
