import type { EpcisProblem } from '@idis/epcis';

/**
 * The index in epcisBody.eventList that a problem is about, from its path in any of the forms the
 * validators write (`$.epcisBody.eventList[3].action`, `epcisBody.eventList[3]`,
 * `/epcisBody/eventList/3/example:note`); null when the problem is about the document itself.
 */
export function eventIndexOf(path: string): number | null {
  const match = /^(?:\$\.)?epcisBody\.eventList\[(\d+)\]/.exec(path) ?? /^\/epcisBody\/eventList\/(\d+)(?:\/|$)/.exec(path);
  return match ? Number(match[1]) : null;
}

/** Problems grouped by the event they are about; `document` holds those about the document as a whole. */
export function problemsByEvent(problems: readonly EpcisProblem[]): { document: EpcisProblem[]; events: Map<number, EpcisProblem[]> } {
  const document: EpcisProblem[] = [];
  const events = new Map<number, EpcisProblem[]>();
  for (const problem of problems) {
    const index = eventIndexOf(problem.path);
    if (index === null) {
      document.push(problem);
      continue;
    }
    const list = events.get(index) ?? [];
    list.push(problem);
    events.set(index, list);
  }
  return { document, events };
}

/** The same path with the event's position in a shortened list replaced by its position in the document as sent. */
export function withOriginalIndex(path: string, originalIndex: number): string {
  return path
    .replace(/^(\$\.)?epcisBody\.eventList\[\d+\]/, (_m, dollar: string | undefined) => `${dollar ?? ''}epcisBody.eventList[${originalIndex}]`)
    .replace(/^\/epcisBody\/eventList\/\d+(?=\/|$)/, `/epcisBody/eventList/${originalIndex}`);
}

/** The document with only the events at `keep` (indexes into its eventList), everything else as sent. */
export function documentWith(document: Record<string, unknown>, keep: readonly number[]): Record<string, unknown> {
  const body = document.epcisBody as Record<string, unknown>;
  const list = body.eventList as unknown[];
  return { ...document, epcisBody: { ...body, eventList: keep.map((index) => list[index]) } };
}
