/** POST /api/v1/identifiers/labels limits: 1 to 2,000 handles, 1–20 rows and 1–10 columns per A4 page. */
export const MAX_LABELS = 2000;
export const GRID_LIMITS = { rows: { min: 1, max: 20 }, columns: { min: 1, max: 10 } };

/** The pages a sheet of `count` labels takes on a rows × columns grid. */
export function labelPages(count: number, rows: number, columns: number): number {
  return Math.ceil(count / (rows * columns));
}

/** The handles of a label sheet: at most MAX_LABELS, duplicates kept once (a sheet per product, not per row). */
export function labelHandles(handles: string[]): { handles: string[]; truncated: boolean } {
  const unique = [...new Set(handles)];
  return { handles: unique.slice(0, MAX_LABELS), truncated: unique.length > MAX_LABELS };
}
