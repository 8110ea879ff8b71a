/**
 * CBV 2.0 vocabularies (bare words as used in EPCIS 2.0 JSON) and their expansion to the GS1 web
 * vocabulary URIs used by the event hash (reference epcis-mqtt.md §1.3, §1.5).
 */

export const CBV_BIZ_STEPS: readonly string[] = [
  'accepting', 'arriving', 'assembling', 'collecting', 'commissioning', 'consigning', 'creating_class_instance',
  'cycle_counting', 'decommissioning', 'departing', 'destroying', 'disassembling', 'dispensing', 'encoding',
  'entering_exiting', 'holding', 'inspecting', 'installing', 'killing', 'loading', 'other', 'packing', 'picking',
  'receiving', 'removing', 'repackaging', 'repairing', 'replacing', 'reserving', 'retail_selling', 'shipping',
  'staging_outbound', 'stock_taking', 'stocking', 'storing', 'transporting', 'unloading', 'unpacking',
  'void_shipping', 'sensor_reporting', 'sampling',
];

export const CBV_DISPOSITIONS: readonly string[] = [
  'active', 'container_closed', 'damaged', 'destroyed', 'dispensed', 'disposed', 'encoded', 'expired',
  'in_progress', 'in_transit', 'inactive', 'no_pedigree_match', 'non_sellable_other', 'partially_dispensed',
  'recalled', 'reserved', 'retail_sold', 'returned', 'sellable_accessible', 'sellable_not_accessible', 'stolen',
  'unknown', 'available', 'completeness_verified', 'completeness_inferred', 'conformant', 'container_open',
  'mismatch_instance', 'mismatch_class', 'mismatch_quantity', 'needs_replacement', 'non_conformant', 'unavailable',
];

/** CBV 2.0 business transaction types. */
export const CBV_BIZ_TRANSACTION_TYPES: readonly string[] = [
  'bol', 'cert', 'desadv', 'inv', 'pedigree', 'po', 'poc', 'prodorder', 'recadv', 'rma', 'testprd', 'testres', 'upevt',
];

/** CBV 2.0 source/destination types. */
export const CBV_SOURCE_DESTINATION_TYPES: readonly string[] = ['owning_party', 'possessing_party', 'location'];

/** CBV 2.0 error reasons. */
export const CBV_ERROR_REASONS: readonly string[] = ['did_not_occur', 'incorrect_data'];

export type CbvVocabulary = 'bizStep' | 'disposition' | 'bizTransactionType' | 'sourceDestinationType' | 'errorReason';

interface VocabularySpec {
  words: ReadonlySet<string>;
  /** the segment of the legacy URN form `urn:epcglobal:cbv:<urn>:<word>` */
  urn: string;
  /** the term prefix of the web form `https://ref.gs1.org/cbv/<web>-<word>` */
  web: string;
}

const CBV_WEB_BASE = 'https://ref.gs1.org/cbv/';

const VOCABULARIES: Record<CbvVocabulary, VocabularySpec> = {
  bizStep: { words: new Set(CBV_BIZ_STEPS), urn: 'bizstep', web: 'BizStep' },
  disposition: { words: new Set(CBV_DISPOSITIONS), urn: 'disp', web: 'Disp' },
  bizTransactionType: { words: new Set(CBV_BIZ_TRANSACTION_TYPES), urn: 'btt', web: 'BTT' },
  sourceDestinationType: { words: new Set(CBV_SOURCE_DESTINATION_TYPES), urn: 'sdt', web: 'SDT' },
  errorReason: { words: new Set(CBV_ERROR_REASONS), urn: 'er', web: 'ER' },
};

/** Namespaces reserved for standard CBV values: a value in them must name a real CBV term. */
const RESERVED_CBV_PREFIXES = ['urn:epcglobal:cbv:', 'https://ns.gs1.org/cbv/', 'https://ref.gs1.org/cbv/'];

const ABSOLUTE_URI = /^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$/;

export function isAbsoluteUri(value: string): boolean {
  return ABSOLUTE_URI.test(value) && !/[\u0000-\u001f\u007f-\u009f]/.test(value);
}

/**
 * Checks a CBV-typed value: a bare CBV word, its URN or web URI form, or any absolute URI outside the reserved
 * CBV namespaces (a user vocabulary). Returns an error message, or null when the value is acceptable.
 */
export function checkVocabularyValue(vocabulary: CbvVocabulary, value: string): string | null {
  const spec = VOCABULARIES[vocabulary];
  const word = standardWord(spec, value);
  if (word !== null) {
    return spec.words.has(word)
      ? null
      : `${JSON.stringify(value)} is not a CBV 2.0 ${vocabulary} value; use one of the CBV words ` +
          `(e.g. ${JSON.stringify([...spec.words][0])}) or an absolute URI of your own vocabulary`;
  }
  if (!value.includes(':')) {
    return (
      `${JSON.stringify(value)} is not a CBV 2.0 ${vocabulary} value; use one of the CBV words ` +
      `(e.g. ${JSON.stringify([...spec.words][0])}) or an absolute URI of your own vocabulary`
    );
  }
  if (RESERVED_CBV_PREFIXES.some((p) => value.toLowerCase().startsWith(p.toLowerCase()))) {
    return `${JSON.stringify(value)} lies in the reserved CBV namespace but is not a CBV 2.0 ${vocabulary} term`;
  }
  if (!isAbsoluteUri(value)) return `${JSON.stringify(value)} is neither a CBV word nor an absolute URI`;
  return null;
}

/** The bare word of a standard-form value (bare, URN or web URI), or null for a user-vocabulary URI. */
function standardWord(spec: VocabularySpec, value: string): string | null {
  if (!value.includes(':')) return value;
  const urn = `urn:epcglobal:cbv:${spec.urn}:`;
  if (value.startsWith(urn)) return value.slice(urn.length);
  const web = `${CBV_WEB_BASE}${spec.web}-`;
  if (value.startsWith(web)) return value.slice(web.length);
  return null;
}

/**
 * Expands a value of a CBV-typed field to the web URI used in the event hash: bare words and legacy URNs become
 * `https://ref.gs1.org/cbv/<Type>-<word>`; user-vocabulary URIs are returned unchanged.
 */
export function expandVocabularyValue(vocabulary: CbvVocabulary, value: string): string {
  const spec = VOCABULARIES[vocabulary];
  const word = standardWord(spec, value);
  return word === null ? value : `${CBV_WEB_BASE}${spec.web}-${word}`;
}

/** Replaces any legacy CBV URN (bizstep, disp, btt, sdt, er) by its web URI; other strings are unchanged. */
export function expandCbvUrn(value: string): string {
  const m = /^urn:epcglobal:cbv:(bizstep|disp|btt|sdt|er):(.+)$/.exec(value);
  if (!m) return value;
  const spec = Object.values(VOCABULARIES).find((v) => v.urn === m[1])!;
  return `${CBV_WEB_BASE}${spec.web}-${m[2]}`;
}
