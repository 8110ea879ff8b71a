import type { Problem, SnmsRecord, Template, TemplateItem } from './types';

/** The node's limits (libs/identifier, snms-identifiers.service.ts): a handle is at most 255 bytes of UTF-8. */
export const MAX_HANDLE_BYTES = 255;
/** Index 1001 holds the template version; items start at 2000. */
const TEMPLATE_VALUE_INDEX = 1001;

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The items a record may carry values for, in index order: the form's fields and the upload's columns. */
export function enabledItems(template: Template): TemplateItem[] {
  return template.items.filter((item) => item.state === 1).sort((a, b) => a.idIndex - b.idIndex);
}

/** ASCII case folded, as the node compares handles (two suffixes differing in ASCII case are one identifier). */
export function handleKey(handle: string): string {
  return handle.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/** Why the node would refuse this suffix under `prefix`, or null (the checks of libs/identifier parseHandle). */
export function suffixProblem(prefix: string, suffix: string): Problem | null {
  if (suffix.length === 0) return { code: 'suffixEmpty' };
  if (LONE_SURROGATE.test(suffix)) return { code: 'suffixCharacters' };
  const control = CONTROL.exec(suffix);
  if (control) return { code: 'suffixCharacters', params: { position: control.index + 1 } };
  const segments = suffix.split('/');
  if (segments.some((segment) => segment === '.' || segment === '..')) return { code: 'suffixDotSegment' };
  const bytes = new TextEncoder().encode(`${prefix}/${suffix}`).length;
  if (bytes > MAX_HANDLE_BYTES) return { code: 'handleTooLong', params: { max: MAX_HANDLE_BYTES, bytes } };
  return null;
}

/** Why the node would refuse `value` for `item`, or null; an empty value is "not given". */
export function valueProblem(item: TemplateItem, value: string): Problem | null {
  if (value === '') return item.required ? { code: 'required' } : null;
  if (value.includes('\u0000') || LONE_SURROGATE.test(value)) return { code: 'unstorable' };
  // The node counts characters (code points), not UTF-16 units.
  const length = [...value].length;
  if (length < item.metadata.minLength) return { code: 'tooShort', params: { min: item.metadata.minLength, length } };
  if (length > item.metadata.maxLength) return { code: 'tooLong', params: { max: item.metadata.maxLength, length } };
  return null;
}

/** Field keys of the form: 'suffix', or an item's idIndex as text. */
export type FieldErrors = Record<string, Problem>;

/** Every field the node would refuse, checked in the browser with the node's rules. */
export function checkIdentifier(prefix: string, suffix: string, template: Template, values: Record<number, string>): FieldErrors {
  const errors: FieldErrors = {};
  const suffixRefusal = suffixProblem(prefix, suffix);
  if (suffixRefusal) errors.suffix = suffixRefusal;
  for (const item of enabledItems(template)) {
    const problem = valueProblem(item, values[item.idIndex] ?? '');
    if (problem) errors[String(item.idIndex)] = problem;
  }
  return errors;
}

/** The SNMS record of a form or an upload row: one string value per non-empty enabled item. */
export function toRecord(prefix: string, suffix: string, template: Template, values: Record<number, string>): SnmsRecord {
  const value = enabledItems(template)
    .filter((item) => (values[item.idIndex] ?? '') !== '')
    .map((item) => ({ index: item.idIndex, type: item.idType, data: { format: 'string' as const, value: values[item.idIndex] } }));
  return { handle: `${prefix}/${suffix}`, templateVersion: template.version, value };
}

/** The values of a stored identifier by item index (the form's starting point when editing). */
export function valuesOf(values: Array<{ index: number; data: { value?: unknown } }>): Record<number, string> {
  const out: Record<number, string> = {};
  for (const v of values) if (v.index !== TEMPLATE_VALUE_INDEX && typeof v.data.value === 'string') out[v.index] = v.data.value;
  return out;
}

/**
 * Which field of the form a refusal of the node is about (snms-identifiers.service.ts buildValues):
 * "value[i]: …" names the i-th value sent, "required template items missing: t (index 2001), …"
 * names items, an INVALID_HANDLE reason is the suffix; anything else belongs to the whole form ('').
 */
export function refusalFields(record: SnmsRecord, message: string, reason?: string): Record<string, string> {
  const fields: Record<string, string> = {};
  const valueRef = /^value\[(\d+)\]: (.*)$/s.exec(message);
  if (valueRef) {
    const sent = record.value[Number(valueRef[1])];
    if (sent) fields[String(sent.index)] = valueRef[2];
    else fields[''] = message;
    return fields;
  }
  if (message.startsWith('required template items missing:')) {
    for (const match of message.matchAll(/\(index (\d+)\)/g)) fields[match[1]] = message;
    if (Object.keys(fields).length > 0) return fields;
  }
  if (reason === 'INVALID_HANDLE' || reason === 'HANDLE_ALREADY_EXISTS') {
    fields.suffix = message;
    return fields;
  }
  fields[''] = message;
  return fields;
}
