import { checkIdentifier, enabledItems, refusalFields, suffixProblem, toRecord, valueProblem, valuesOf } from './identifier-rules';
import { sampleTemplate } from './fixtures';

describe('identifier rules (the node\'s, checked in the browser)', () => {
  const template = sampleTemplate();
  const [name, colour] = enabledItems(template);

  it('offers the enabled items only, in index order', () => {
    expect(enabledItems(template).map((i) => i.idType)).toEqual(['name', 'colour']);
  });

  it('refuses empty, control-character, dot-segment and over-long suffixes', () => {
    expect(suffixProblem('88.118.8', 'SKU-1')).toBeNull();
    expect(suffixProblem('88.118.8', 'a/b c/中文')).toBeNull();
    expect(suffixProblem('88.118.8', '')).toEqual({ code: 'suffixEmpty' });
    expect(suffixProblem('88.118.8', 'SKU\t1')).toEqual({ code: 'suffixCharacters', params: { position: 4 } });
    expect(suffixProblem('88.118.8', 'a/../b')).toEqual({ code: 'suffixDotSegment' });
    expect(suffixProblem('88.118.8', '.')).toEqual({ code: 'suffixDotSegment' });
    expect(suffixProblem('88.118.8', 'a..b')).toBeNull();
    expect(suffixProblem('88.118.8', '\uD800x')?.code).toBe('suffixCharacters');
    // 255 bytes of handle: 8 + 1 + 246
    expect(suffixProblem('88.118.8', 'x'.repeat(246))).toBeNull();
    expect(suffixProblem('88.118.8', 'x'.repeat(247))).toEqual({ code: 'handleTooLong', params: { max: 255, bytes: 256 } });
    expect(suffixProblem('88.118.8', '中'.repeat(83))?.code).toBe('handleTooLong');
  });

  it('checks values by the item\'s metadata, counting characters not UTF-16 units', () => {
    expect(valueProblem(name, '')).toEqual({ code: 'required' });
    expect(valueProblem(colour, '')).toBeNull();
    expect(valueProblem(name, 'x'.repeat(20))).toBeNull();
    expect(valueProblem(name, 'x'.repeat(21))).toEqual({ code: 'tooLong', params: { max: 20, length: 21 } });
    expect(valueProblem(name, '😀'.repeat(20))).toBeNull();
    expect(valueProblem({ ...name, metadata: { type: 'string', minLength: 3, maxLength: 5 } }, 'ab')).toEqual({ code: 'tooShort', params: { min: 3, length: 2 } });
    expect(valueProblem(name, 'a\u0000b')).toEqual({ code: 'unstorable' });
  });

  it('collects every field problem of a form', () => {
    expect(checkIdentifier('88.118.8', 'SKU-1', template, { 2000: 'Cup' })).toEqual({});
    expect(checkIdentifier('88.118.8', '', template, { 2001: 'x'.repeat(11) })).toEqual({
      suffix: { code: 'suffixEmpty' },
      '2000': { code: 'required' },
      '2001': { code: 'tooLong', params: { max: 10, length: 11 } },
    });
  });

  it('builds the SNMS record without empty optional values and reads stored values back', () => {
    const record = toRecord('88.118.8', 'SKU-1', template, { 2000: 'Cup', 2001: '' });
    expect(record).toEqual({ handle: '88.118.8/SKU-1', templateVersion: 'v1', value: [{ index: 2000, type: 'name', data: { format: 'string', value: 'Cup' } }] });
    expect(valuesOf([{ index: 1001, data: { value: 'v1' } }, { index: 2000, data: { value: 'Cup' } }, { index: 2001, data: { value: 3 } }])).toEqual({ 2000: 'Cup' });
  });

  it('places the node\'s refusal on the field it names', () => {
    const record = toRecord('88.118.8', 'SKU-1', template, { 2000: 'Cup', 2001: 'red' });
    expect(refusalFields(record, 'value[1]: "colour" must be 0 to 10 characters long, got 11')).toEqual({ '2001': '"colour" must be 0 to 10 characters long, got 11' });
    expect(refusalFields(record, 'required template items missing: name (index 2000), colour (index 2001)')).toEqual({
      '2000': 'required template items missing: name (index 2000), colour (index 2001)',
      '2001': 'required template items missing: name (index 2000), colour (index 2001)',
    });
    expect(refusalFields(record, '标识已存在 (identifier already exists)', 'HANDLE_ALREADY_EXISTS')).toEqual({ suffix: '标识已存在 (identifier already exists)' });
    expect(refusalFields(record, 'value[7]: nonsense')).toEqual({ '': 'value[7]: nonsense' });
    expect(refusalFields(record, 'prefix 88.118.8 is suspended', 'PREFIX_NOT_OWNED')).toEqual({ '': 'prefix 88.118.8 is suspended' });
  });
});
