import type { Template, TemplateItem } from './types';

/** The body of POST / PUT /snms/api/v5/template. */
export interface TemplateBody {
  prefix: string;
  version: string;
  industryCategory: string;
  industrySpecific: string;
  industryTrade: string;
  industrySubclass: string;
  type: number;
  description?: string;
  items: Array<{ name: string; idType: string; idIndex?: number; required: boolean; state: number; metadata: { type: 'string'; minLength: number; maxLength: number } }>;
}

/** A new item as the dialog edits it. */
export interface ItemDraft {
  name: string;
  idType: string;
  required: boolean;
  minLength: number;
  maxLength: number;
}

const ID_TYPE = /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,127}$/;

/** Why the node would refuse a new item (snms-template.controller.ts templateSchema), as an i18n key, or null. */
export function itemDraftProblem(draft: ItemDraft, existing: Array<{ idType: string }>): string | null {
  if (draft.name.trim() === '' || draft.name.length > 128) return 'itemName';
  if (!ID_TYPE.test(draft.idType) || draft.idType.endsWith('.')) return 'itemType';
  if (existing.some((item) => item.idType.toLowerCase() === draft.idType.toLowerCase())) return 'itemTypeTaken';
  if (!Number.isInteger(draft.minLength) || !Number.isInteger(draft.maxLength) || draft.minLength < 0 || draft.maxLength < 1 || draft.maxLength > 255 || draft.minLength > draft.maxLength) return 'itemLengths';
  return null;
}

function itemOf(item: TemplateItem): TemplateBody['items'][number] {
  return { name: item.name, idType: item.idType, idIndex: item.idIndex, required: item.required, state: item.state, metadata: { type: 'string', minLength: item.metadata.minLength, maxLength: item.metadata.maxLength } };
}

function newItem(draft: ItemDraft): TemplateBody['items'][number] {
  return { name: draft.name.trim(), idType: draft.idType, required: draft.required, state: 1, metadata: { type: 'string', minLength: draft.minLength, maxLength: draft.maxLength } };
}

/** The PUT body that keeps every item (a version's items are never deleted) and changes what `change` says. */
function updateBody(template: Template, items: TemplateBody['items']): TemplateBody {
  const { prefix, version, industryCategory, industrySpecific, industryTrade, industrySubclass, type, description } = template;
  return { prefix, version, industryCategory, industrySpecific, industryTrade, industrySubclass, type, description, items };
}

/** PUT body adding an item to a version. */
export function withItem(template: Template, draft: ItemDraft): TemplateBody {
  return updateBody(template, [...template.items.map(itemOf), newItem(draft)]);
}

/** PUT body disabling (state 0) or enabling again (state 1) one item of a version. */
export function withItemState(template: Template, idIndex: number, state: 0 | 1): TemplateBody {
  return updateBody(template, template.items.map((item) => (item.idIndex === idIndex ? { ...itemOf(item), state } : itemOf(item))));
}

/**
 * POST body of a new version: a copy of `base` (its enabled items, indexes renumbered by the node)
 * under a new version name, or a first version with `items`.
 */
export function newVersion(prefix: string, version: string, base: Template | null, first: { industry: [string, string, string, string]; type: number; items: ItemDraft[] }): TemplateBody {
  if (base) {
    const items = base.items.filter((item) => item.state === 1).map((item) => ({ ...itemOf(item), idIndex: undefined }));
    return { ...updateBody(base, items), prefix, version };
  }
  const [industryCategory, industrySpecific, industryTrade, industrySubclass] = first.industry;
  return { prefix, version, industryCategory, industrySpecific, industryTrade, industrySubclass, type: first.type, items: first.items.map(newItem) };
}
