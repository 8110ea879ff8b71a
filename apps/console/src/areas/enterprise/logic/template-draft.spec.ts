import { sampleTemplate } from './fixtures';
import { itemDraftProblem, newVersion, withItem, withItemState } from './template-draft';

describe('template drafts', () => {
  const template = sampleTemplate();
  const draft = { name: '批次', idType: 'batch', required: false, minLength: 0, maxLength: 32 };

  it('checks a new item as the node does', () => {
    expect(itemDraftProblem(draft, template.items)).toBeNull();
    expect(itemDraftProblem({ ...draft, name: ' ' }, template.items)).toBe('itemName');
    expect(itemDraftProblem({ ...draft, idType: 'bad type' }, template.items)).toBe('itemType');
    expect(itemDraftProblem({ ...draft, idType: 'ends.' }, template.items)).toBe('itemType');
    expect(itemDraftProblem({ ...draft, idType: 'NAME' }, template.items)).toBe('itemTypeTaken');
    expect(itemDraftProblem({ ...draft, minLength: 5, maxLength: 4 }, template.items)).toBe('itemLengths');
    expect(itemDraftProblem({ ...draft, maxLength: 256 }, template.items)).toBe('itemLengths');
  });

  it('adds an item keeping every existing one with its index', () => {
    const body = withItem(template, draft);
    expect(body.items.map((i) => [i.idType, i.idIndex, i.state])).toEqual([['name', 2000, 1], ['colour', 2001, 1], ['legacy', 2002, 0], ['batch', undefined, 1]]);
    expect(body).toMatchObject({ prefix: '88.118.8', version: 'v1', industryCategory: 'C', type: 1 });
    expect(Object.keys(body)).not.toContain('id');
  });

  it('disables one item and leaves the others', () => {
    expect(withItemState(template, 2001, 0).items.map((i) => i.state)).toEqual([1, 0, 0]);
  });

  it('copies the enabled items of a version into a new one, or starts a first one', () => {
    const copy = newVersion('88.118.8', 'v2', template, { industry: ['A', '01', '011', '0111'], type: 2, items: [] });
    expect(copy.version).toBe('v2');
    expect(copy.industryCategory).toBe('C');
    expect(copy.items.map((i) => [i.idType, i.idIndex])).toEqual([['name', undefined], ['colour', undefined]]);
    const first = newVersion('88.118.8', 'v1', null, { industry: ['A', '01', '011', '0111'], type: 2, items: [draft] });
    expect(first).toEqual({ prefix: '88.118.8', version: 'v1', industryCategory: 'A', industrySpecific: '01', industryTrade: '011', industrySubclass: '0111', type: 2, items: [{ name: '批次', idType: 'batch', required: false, state: 1, metadata: { type: 'string', minLength: 0, maxLength: 32 } }] });
  });
});
