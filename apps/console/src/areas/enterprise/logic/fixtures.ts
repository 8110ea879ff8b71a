import type { Template, TemplateItem } from './types';

/** A template for the specs: name required 1–20, colour optional up to 10, an old disabled item. */
export function sampleTemplate(items: Partial<TemplateItem>[] = []): Template {
  const base: TemplateItem[] = [
    { name: '产品名称', idType: 'name', idIndex: 2000, required: true, state: 1, metadata: { type: 'string', minLength: 1, maxLength: 20 } },
    { name: '颜色', idType: 'colour', idIndex: 2001, required: false, state: 1, metadata: { type: 'string', minLength: 0, maxLength: 10 } },
    { name: '旧字段', idType: 'legacy', idIndex: 2002, required: false, state: 0, metadata: { type: 'string', minLength: 0, maxLength: 10 } },
  ];
  return {
    id: 't1',
    prefix: '88.118.8',
    version: 'v1',
    industryCategory: 'C',
    industrySpecific: '13',
    industryTrade: '131',
    industrySubclass: '1311',
    type: 1,
    description: '',
    items: [...base, ...items.map((item) => ({ ...base[1], ...item }))],
    createdAt: '2026-01-01T00:00:00Z',
    updatedAt: '2026-01-01T00:00:00Z',
  };
}
