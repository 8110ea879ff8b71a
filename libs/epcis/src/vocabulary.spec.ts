import { CBV_BIZ_STEPS, CBV_DISPOSITIONS, checkVocabularyValue, expandVocabularyValue } from './vocabulary';
import { formatUtcMillis, parseDateTime } from './time';

describe('CBV vocabularies', () => {
  it('holds the full CBV 2.0 bizStep and disposition lists', () => {
    expect(CBV_BIZ_STEPS).toHaveLength(41);
    expect(CBV_DISPOSITIONS).toHaveLength(33);
    expect(new Set(CBV_BIZ_STEPS).size).toBe(CBV_BIZ_STEPS.length);
    expect(new Set(CBV_DISPOSITIONS).size).toBe(CBV_DISPOSITIONS.length);
  });

  it.each(CBV_BIZ_STEPS)('accepts bizStep %s in all three spellings', (word) => {
    expect(checkVocabularyValue('bizStep', word)).toBeNull();
    expect(checkVocabularyValue('bizStep', `urn:epcglobal:cbv:bizstep:${word}`)).toBeNull();
    expect(checkVocabularyValue('bizStep', `https://ref.gs1.org/cbv/BizStep-${word}`)).toBeNull();
    expect(expandVocabularyValue('bizStep', word)).toBe(`https://ref.gs1.org/cbv/BizStep-${word}`);
  });

  it.each(CBV_DISPOSITIONS)('accepts disposition %s', (word) => {
    expect(checkVocabularyValue('disposition', word)).toBeNull();
    expect(expandVocabularyValue('disposition', `urn:epcglobal:cbv:disp:${word}`)).toBe(`https://ref.gs1.org/cbv/Disp-${word}`);
  });

  it.each([
    ['bizStep', 'Shipping'],
    ['bizStep', 'in_transit'],
    ['disposition', 'shipping'],
    ['bizStep', 'urn:epcglobal:cbv:disp:in_transit'],
    ['bizStep', 'https://ns.gs1.org/cbv/BizStep-shipping'],
    ['bizStep', 'has space:x y'],
    ['bizTransactionType', 'purchase_order'],
    ['sourceDestinationType', 'owner'],
    ['errorReason', 'wrong'],
  ] as const)('rejects %s %j', (vocabulary, value) => {
    expect(checkVocabularyValue(vocabulary, value)).toEqual(expect.any(String));
  });

  it('leaves user-vocabulary URIs unexpanded', () => {
    expect(checkVocabularyValue('bizStep', 'https://example.cn/voc/fermenting')).toBeNull();
    expect(expandVocabularyValue('bizStep', 'https://example.cn/voc/fermenting')).toBe('https://example.cn/voc/fermenting');
  });
});

describe('date-times', () => {
  it.each([
    ['2025-01-15T08:00:00+08:00', '2025-01-15T00:00:00.000Z'],
    ['2025-01-15T08:00:00.123456789-01:30', '2025-01-15T09:30:00.123Z'],
    ['2024-02-29T23:59:59.9995Z', '2024-03-01T00:00:00.000Z'],
    ['2022-02-16T20:33:31.116000-06:00', '2022-02-17T02:33:31.116Z'],
  ])('%s is %s', (input, utc) => {
    expect(formatUtcMillis(parseDateTime(input)!)).toBe(utc);
  });

  it.each([
    '2025-01-15T08:00:00',
    '2025-01-15 08:00:00Z',
    '2025-01-15',
    '2025-13-01T00:00:00Z',
    '2023-02-29T00:00:00Z',
    '2025-01-15T24:00:00Z',
    '2025-01-15T08:60:00Z',
    '2025-01-15T08:00:60Z',
    '2025-01-15T08:00:00+24:00',
    '2025-01-15T08:00:00+0800',
    '2025-01-15T08:00:00.Z',
    '0999-01-01T00:00:00Z',
    '+002025-01-15T08:00:00Z',
  ])('rejects %s', (input) => {
    expect(parseDateTime(input)).toBeNull();
  });
});
