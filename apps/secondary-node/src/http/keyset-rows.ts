/** Rows fetched per database page by keysetRows(). */
export const EXPORT_PAGE_ROWS = 1000;

/**
 * Every row of a keyset-paged query: `page(after, limit)` returns the rows after the cursor, and
 * `cursorOf` names the cursor of a row. One page is in memory at a time, and each page is its own
 * short statement (no transaction or connection held across the download).
 */
export async function* keysetRows<T, C>(page: (after: C | undefined, limit: number) => Promise<T[]>, cursorOf: (row: T) => C, pageRows = EXPORT_PAGE_ROWS): AsyncGenerator<T> {
  let after: C | undefined;
  for (;;) {
    const rows = await page(after, pageRows);
    yield* rows;
    if (rows.length < pageRows) return;
    after = cursorOf(rows[rows.length - 1]);
  }
}
