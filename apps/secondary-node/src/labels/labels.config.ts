import { existsSync } from 'node:fs';
import type { EnvReader } from '@idis/runtime';

/** Label sheets (labels/): the font that prints what Helvetica cannot. */
export interface LabelsConfig {
  /**
   * LABEL_FONT: a TrueType/OpenType font file (.ttf, .otf, or a .ttc collection) with the CJK
   * characters of handles and titles; `none` for none. Unset: the first of the usual system CJK
   * fonts that exists (Debian's fonts-wqy-zenhei, fonts-noto-cjk, fonts-droid-fallback). Without
   * one, labels print Latin-1 only (Helvetica, built into pdfkit), as before.
   */
  fontPath: string | undefined;
}

export const SYSTEM_CJK_FONTS = [
  '/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc',
  '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc',
  '/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf',
];

export function readLabelsConfig(read: EnvReader, fonts: readonly string[] = SYSTEM_CJK_FONTS): LabelsConfig {
  const chosen = read.optional('LABEL_FONT');
  if (chosen === 'none') return { fontPath: undefined };
  if (chosen !== undefined) {
    if (!/\.(ttf|otf|ttc)$/i.test(chosen) || !existsSync(chosen)) {
      read.problem(`LABEL_FONT must name an existing .ttf, .otf or .ttc font file (or be "none"), got "${chosen.slice(0, 200)}"`);
      return { fontPath: undefined };
    }
    return { fontPath: chosen };
  }
  return { fontPath: fonts.find((path) => existsSync(path)) };
}

export const LABELS_CONFIG = Symbol('LABELS_CONFIG');
