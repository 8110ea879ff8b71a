import { create, toBuffer, toString } from 'qrcode';

/**
 * QR codes of the proxy URLs printed on labels (library `qrcode`). Level M (15 % of the code may
 * be lost) suits a printed label; the quiet zone is the standard four modules.
 */
export const QR_ERROR_CORRECTION = 'M';
export const QR_QUIET_ZONE_MODULES = 4;
export const QR_FORMATS = ['png', 'svg'] as const;
export type QrFormat = (typeof QR_FORMATS)[number];

/** Width and height in pixels (PNG) or user units (SVG): from a thumbnail to a poster-sized print. */
export const QR_MIN_SIZE = 64;
export const QR_MAX_SIZE = 2048;
export const QR_DEFAULT_SIZE = 256;

export const QR_CONTENT_TYPES: Record<QrFormat, string> = { png: 'image/png', svg: 'image/svg+xml; charset=utf-8' };

/**
 * The image of `text`, `size` wide and high. A code with more modules than `size` pixels (a long
 * handle in a small image) comes out larger, one pixel per module: a code is never scaled below
 * what a reader can decode.
 */
export async function renderQr(text: string, format: QrFormat, size: number): Promise<Buffer> {
  const options = { errorCorrectionLevel: QR_ERROR_CORRECTION, margin: QR_QUIET_ZONE_MODULES, width: size } as const;
  if (format === 'png') return toBuffer(text, { ...options, type: 'png' });
  return Buffer.from(await toString(text, { ...options, type: 'svg' }), 'utf8');
}

/** The modules of the code of `text`, row by row (true: dark), for drawing it as vectors. */
export function qrModules(text: string): { size: number; dark(row: number, column: number): boolean } {
  const matrix = create(text, { errorCorrectionLevel: QR_ERROR_CORRECTION }).modules;
  return { size: matrix.size, dark: (row, column) => Boolean(matrix.get(row, column)) };
}
