import Papa from 'papaparse';
import { sampleTemplate } from './fixtures';
import { countResults, mapHeader, mergeBatchReply, resultsCsv, RowChecker, type ColumnMapping, type SendableRow } from './upload';

describe('bulk upload rows', () => {
  const template = sampleTemplate();

  function mapping(header: string[]): ColumnMapping {
    const mapped = mapHeader(header, template);
    if (!('mapping' in mapped)) throw new Error(JSON.stringify(mapped.problems));
    return mapped.mapping;
  }

  it('maps the header by type or label, in any order and case', () => {
    const m = mapping([' Colour ', 'SUFFIX', '产品名称']);
    expect(m.suffixColumn).toBe(1);
    expect(m.columns.map((c) => [c.column, c.item.idType])).toEqual([[0, 'colour'], [2, 'name']]);
    expect(mapping(['后缀', 'name']).suffixColumn).toBe(0);
    expect(mapping(['suffix', 'name', '', ' ']).columns).toHaveLength(1);
  });

  it('refuses a header with unknown, disabled, repeated or empty columns, or without the suffix or a required item', () => {
    expect(mapHeader(['suffix', 'name', 'weight', 'legacy', 'NAME', '', 'colour'], template)).toEqual({
      problems: [
        { code: 'unknownColumn', params: { column: 3, name: 'weight' } },
        { code: 'disabledColumn', params: { column: 4, name: 'legacy' } },
        { code: 'duplicateColumn', params: { column: 5, name: 'NAME', first: 2 } },
        { code: 'emptyHeader', params: { column: 6 } },
      ],
    });
    expect(mapHeader(['colour'], template)).toEqual({ problems: [{ code: 'noSuffixColumn' }, { code: 'missingColumn', params: { name: 'name' } }] });
  });

  it('checks rows: bad suffix, duplicate suffix (ASCII case ignored), empty required, too long', () => {
    const checker = new RowChecker('88.118.8', template, mapping(['suffix', 'name', 'colour']));
    const ok = checker.check({ row: 2, cells: ['SKU-1', 'Cup', ''] });
    expect(ok).toEqual({ row: 2, handle: '88.118.8/SKU-1', record: { handle: '88.118.8/SKU-1', templateVersion: 'v1', value: [{ index: 2000, type: 'name', data: { format: 'string', value: 'Cup' } }] } });
    expect(checker.check({ row: 3, cells: ['sku-1', 'Cup', ''] })).toEqual({ row: 3, handle: '88.118.8/sku-1', problem: { code: 'duplicateSuffix', params: { first: 2 } } });
    expect(checker.check({ row: 4, cells: ['SKU\u00072', 'Cup'] })).toMatchObject({ problem: { code: 'suffixCharacters' } });
    expect(checker.check({ row: 5, cells: ['SKU-3', '', 'red'] })).toEqual({ row: 5, handle: '88.118.8/SKU-3', problem: { code: 'column', params: { name: 'name', problem: 'required' } } });
    expect(checker.check({ row: 6, cells: ['SKU-4', 'Cup', 'x'.repeat(11)] })).toEqual({ row: 6, handle: '88.118.8/SKU-4', problem: { code: 'column', params: { name: 'colour', problem: 'tooLong', max: 10, length: 11 } } });
    // A short row: missing cells are empty.
    expect(checker.check({ row: 7, cells: ['SKU-5'] })).toMatchObject({ problem: { code: 'column', params: { problem: 'required' } } });
    // A refused row does not claim its suffix: a later, corrected row may have it.
    expect(checker.check({ row: 8, cells: ['SKU-3', 'Cup'] })).toMatchObject({ record: { handle: '88.118.8/SKU-3' } });
  });

  it('merges a batch reply row by row; "already exists" is a harmless re-upload, not a failure', () => {
    const rows: SendableRow[] = [2, 3, 4].map((row) => ({ row, handle: `88.118.8/S${row}`, record: { handle: `88.118.8/S${row}`, templateVersion: 'v1', value: [] } }));
    const results = mergeBatchReply(rows, [
      { handle: '88.118.8/S2', code: 1, msg: 'success' },
      { handle: '88.118.8/S3', code: -2, msg: '标识已存在', reason: 'HANDLE_ALREADY_EXISTS' },
      { handle: '88.118.8/S4', code: -2, msg: 'value[0]: bad', reason: 'TEMPLATE_VIOLATION' },
    ]);
    expect(results).toEqual([
      { row: 2, handle: '88.118.8/S2', status: 'ok' },
      { row: 3, handle: '88.118.8/S3', status: 'exists' },
      { row: 4, handle: '88.118.8/S4', status: 'failed', message: 'value[0]: bad' },
    ]);
    expect(countResults(results)).toEqual({ ok: 1, exists: 1, failed: 1 });
    expect(() => mergeBatchReply(rows, [])).toThrow('answered 0 results for a batch of 3');
  });

  it('writes the results as CSV that parses back, with formulae neutralised', () => {
    const csv = resultsCsv(
      [
        { row: 2, handle: '88.118.8/A', status: 'ok' },
        { row: 3, handle: '88.118.8/=1+1', status: 'failed', problem: { code: 'required' } },
        { row: 4, handle: '88.118.8/"q",x', status: 'failed', message: 'line\nbreak' },
      ],
      (p) => `problem ${p.code}`,
      { row: 'row', handle: 'handle', status: 'status', message: 'message' },
      (s) => s.toUpperCase(),
    );
    expect(csv.startsWith('\uFEFF')).toBe(true);
    const parsed = Papa.parse<string[]>(csv.slice(1), { skipEmptyLines: true }).data;
    expect(parsed).toEqual([
      ['row', 'handle', 'status', 'message'],
      ['2', '88.118.8/A', 'OK', ''],
      ['3', '88.118.8/=1+1', 'FAILED', 'problem required'],
      ['4', '88.118.8/"q",x', 'FAILED', 'line\nbreak'],
    ]);
  });
});
