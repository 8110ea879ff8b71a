import { genealogyGraph, layoutByDepth, nodeLabel } from './genealogy';
import { handleFromInput, traceApiPath, tracePath } from './handle-input';
import { traceRefusal } from './refusal';
import { cbvShortName, MAX_RELATED, timelineItems } from './timeline';
import type { TraceNode, TraceResult } from './types';

describe('the partner area: handle input', () => {
  it('takes a handle typed, with hdl:, or in the URL of a QR label or a trace link', () => {
    expect(handleFromInput(' 88.118.8/ABC-1 ')).toEqual({ handle: '88.118.8/ABC-1' });
    expect(handleFromInput('hdl:88.118.8/ABC-1')).toEqual({ handle: '88.118.8/ABC-1' });
    expect(handleFromInput('https://idis.example.cn/88.118.8/ABC%201?noredirect')).toEqual({ handle: '88.118.8/ABC 1' });
    expect(handleFromInput('http://127.0.0.1:8080/console/partner/trace/88.118.8/lot/7')).toEqual({ handle: '88.118.8/lot/7' });
  });

  it('names what is wrong with anything else', () => {
    expect(handleFromInput('   ')).toEqual({ problem: 'empty' });
    expect(handleFromInput('ABC-1')).toEqual({ problem: 'notAHandle' });
    expect(handleFromInput('88.118.8/')).toEqual({ problem: 'notAHandle' });
    expect(handleFromInput('/ABC')).toEqual({ problem: 'notAHandle' });
    expect(handleFromInput('x88.118/ABC')).toEqual({ problem: 'notAHandle' });
    expect(handleFromInput('https://[bad')).toEqual({ problem: 'notAHandle' });
    expect(handleFromInput(`88.118.8/${'x'.repeat(300)}`)).toEqual({ problem: 'tooLong' });
  });

  it('builds the console and API paths with each segment encoded and slashes kept', () => {
    expect(tracePath('88.118.8/a b/#1')).toBe('/partner/trace/88.118.8/a%20b/%231');
    expect(traceApiPath('88.118.8/a?b', 'forward', 7)).toBe('/api/v1/trace/88.118.8/a%3Fb?direction=forward&depth=7');
  });
});

describe('the partner area: timeline', () => {
  it('shortens CBV business steps and dispositions, both URI and URN forms', () => {
    expect(cbvShortName('https://ns.gs1.org/cbv/BizStep-shipping')).toBe('shipping');
    expect(cbvShortName('urn:epcglobal:cbv:disp:in_transit')).toBe('in_transit');
    expect(cbvShortName('https://example.cn/steps/custom')).toBe('https://example.cn/steps/custom');
    expect(cbvShortName(undefined)).toBeNull();
    expect(cbvShortName('')).toBeNull();
  });

  it('turns events into rows: time, step, disposition, read point, location and the other identifiers', () => {
    const rows = timelineItems(
      [
        {
          type: 'TransformationEvent',
          eventID: 'ni:///sha-256;abc',
          eventTime: '2025-01-15T09:10:00.000+08:00',
          eventTimeZoneOffset: '+08:00',
          bizStep: 'https://ns.gs1.org/cbv/BizStep-assembling',
          disposition: 'https://ns.gs1.org/cbv/Disp-active',
          readPoint: { id: 'hdl:88.118.21/line-1' },
          bizLocation: { id: 'hdl:88.118.21/plant' },
          inputEPCList: ['hdl:88.118.20/STEEL', 'hdl:88.118.20/RUBBER'],
          outputEPCList: ['hdl:88.118.21/BIKE-1', 'hdl:88.118.21/BIKE-2'],
        },
        { type: 'ObjectEvent', eventTime: '2025-01-15T10:00:00Z', action: 'OBSERVE', epcList: ['hdl:88.118.21/BIKE-1'], errorDeclaration: { declarationTime: '2025-01-16T00:00:00Z' } },
      ],
      'hdl:88.118.21/BIKE-1',
    );
    expect(rows).toEqual([
      {
        key: 'ni:///sha-256;abc',
        time: '2025-01-15T09:10:00.000+08:00',
        type: 'TransformationEvent',
        action: null,
        bizStep: 'assembling',
        disposition: 'active',
        readPoint: 'hdl:88.118.21/line-1',
        bizLocation: 'hdl:88.118.21/plant',
        related: ['hdl:88.118.20/STEEL', 'hdl:88.118.20/RUBBER', 'hdl:88.118.21/BIKE-2'],
        erroneous: false,
      },
      {
        key: 'event-1',
        time: '2025-01-15T10:00:00Z',
        type: 'ObjectEvent',
        action: 'OBSERVE',
        bizStep: null,
        disposition: null,
        readPoint: null,
        bizLocation: null,
        related: [],
        erroneous: true,
      },
    ]);
  });

  it('lists at most a few other identifiers per row, the parent first', () => {
    const children = Array.from({ length: 20 }, (_, i) => `hdl:88.1/C-${i}`);
    const [row] = timelineItems([{ type: 'AggregationEvent', eventTime: '2025-01-15T10:00:00Z', parentID: 'hdl:88.1/PALLET', childEPCs: children }], 'hdl:88.1/C-0');
    expect(row.related).toHaveLength(MAX_RELATED);
    expect(row.related[0]).toBe('hdl:88.1/PALLET');
    expect(row.related).not.toContain('hdl:88.1/C-0');
  });
});

describe('the partner area: genealogy graph', () => {
  const node = (id: string, depth: number, access: TraceNode['access'] = 'full'): TraceNode => ({
    id,
    handle: id.startsWith('hdl:') ? id.slice(4) : null,
    depth,
    access,
    hiddenRelations: false,
    eventCount: access === 'hidden' ? 0 : 2,
    summary: access === 'hidden' ? null : { firstEventTime: '2025-01-15T00:00:00.000Z', lastEventTime: '2025-01-15T01:00:00.000Z', lastBizStep: 'packing', lastBizLocation: null },
  });
  const trace: Pick<TraceResult, 'identifier' | 'direction' | 'graph'> = {
    identifier: 'hdl:88.1/BIKE',
    direction: 'back',
    graph: {
      nodes: [node('hdl:88.1/BIKE', 0), node('hdl:88.1/STEEL', 1), node('urn:epc:id:sgtin:0614141.107346.2017', 1, 'hidden'), node('hdl:88.1/ORE', 2, 'partial')],
      edges: [
        { from: 'hdl:88.1/STEEL', to: 'hdl:88.1/BIKE', relation: 'input-of', eventId: 'e1', eventTime: '2025-01-15T00:00:00.000Z' },
        { from: 'urn:epc:id:sgtin:0614141.107346.2017', to: 'hdl:88.1/BIKE', relation: 'input-of', eventId: 'e2', eventTime: '2025-01-15T00:00:00.000Z' },
        { from: 'hdl:88.1/ORE', to: 'hdl:88.1/STEEL', relation: 'input-of', eventId: 'e3', eventTime: '2025-01-15T00:00:00.000Z' },
        { from: 'hdl:88.1/GONE', to: 'hdl:88.1/STEEL', relation: 'input-of', eventId: 'e4', eventTime: '2025-01-15T00:00:00.000Z' },
      ],
      depthLimitReached: false,
      truncated: false,
    },
  };

  it('makes one node per identifier, the product in its own category, unreadable ones marked', () => {
    const { nodes, links } = genealogyGraph(trace);
    expect(nodes.map((n) => [n.name, n.category, n.symbolSize])).toEqual([
      ['88.1/BIKE', 0, 34],
      ['88.1/STEEL', 1, 22],
      ['sgtin:0614141.107346.2017', 3, 22],
      ['88.1/ORE', 2, 22],
    ]);
    expect(nodes[1].details).toEqual(['hdl:88.1/STEEL', 'bizStep: packing', 'last: 2025-01-15T01:00:00.000Z', 'events: 2']);
    // An edge to a node the graph does not hold is left out, never drawn to nowhere.
    expect(links).toEqual([
      { source: 'hdl:88.1/STEEL', target: 'hdl:88.1/BIKE', relation: 'input-of' },
      { source: 'urn:epc:id:sgtin:0614141.107346.2017', target: 'hdl:88.1/BIKE', relation: 'input-of' },
      { source: 'hdl:88.1/ORE', target: 'hdl:88.1/STEEL', relation: 'input-of' },
    ]);
  });

  it('shortens long identifiers from the left', () => {
    expect(nodeLabel({ id: `https://id.example.cn/01/${'9'.repeat(60)}`, handle: null })).toHaveLength(40);
    expect(nodeLabel({ id: `https://id.example.cn/01/${'9'.repeat(60)}`, handle: null }).startsWith('…')).toBe(true);
  });

  it('lays the genealogy out in columns by depth: inputs left of the product when tracing back, outputs right of it forward', () => {
    const { nodes } = genealogyGraph(trace);
    const back = layoutByDepth(nodes, 'back');
    expect(back.get('hdl:88.1/BIKE')).toEqual({ x: 1000, y: 300 });
    expect(back.get('hdl:88.1/ORE')).toEqual({ x: 0, y: 300 });
    expect(back.get('hdl:88.1/STEEL')).toEqual({ x: 500, y: 200 });
    expect(back.get('urn:epc:id:sgtin:0614141.107346.2017')).toEqual({ x: 500, y: 400 });
    const forward = layoutByDepth(nodes, 'forward');
    expect(forward.get('hdl:88.1/BIKE')?.x).toBe(0);
    expect(forward.get('hdl:88.1/ORE')?.x).toBe(1000);
    expect(layoutByDepth([nodes[0]], 'back').get('hdl:88.1/BIKE')).toEqual({ x: 500, y: 300 });
  });
});

describe('the partner area: refusals', () => {
  it('turns the API status into the sentence the partner reads', () => {
    expect([403, 404, 400, 401, 429, 503, 500].map(traceRefusal)).toEqual(['noGrant', 'noEvents', 'invalid', 'signIn', 'busy', 'busy', 'failed']);
  });
});
