/** The part of fontkit (pdfkit's font engine, no published types) that labels/label-font.ts uses. */
declare module 'fontkit' {
  export function openSync(path: string): unknown;
}
