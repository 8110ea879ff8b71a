import * as fontkit from 'fontkit';

/** Printable ASCII and printable Latin-1: what pdfkit's built-in Helvetica prints (WinAnsi). */
const LATIN_1 = /^[\u0020-\u007e\u00a0-\u00ff]*$/u;
const NOT_LATIN_1 = /[^\u0020-\u007e\u00a0-\u00ff]/gu;
/** Never printed, whatever the font: controls, separators, surrogates, private use, unassigned. */
const NEVER = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Co}\p{Cn}]/u;

/** The embedded font a label sheet registers in its pdfkit document, for text Helvetica cannot print. */
export interface EmbeddedFont {
  path: string;
  /** The PostScript name of the face in a .ttc collection (pdfkit's `family` argument). */
  family?: string;
}

interface GlyphSource {
  hasGlyphForCodePoint(codePoint: number): boolean;
  postscriptName?: string;
}

/**
 * What a label may print: Latin-1 with Helvetica, and with a CJK font (labels.config.ts) also every
 * character that font has a glyph for. The font file is opened once, on the first text that needs
 * it; a sheet of Latin-1 labels never loads it, and embeds only the glyphs it uses when it does.
 */
export class LabelFont {
  private face: GlyphSource | undefined;

  constructor(private readonly path: string | undefined) {}

  /** The characters of `text` no font here can print (each once, in order of appearance). */
  unprintable(text: string): string[] {
    if (LATIN_1.test(text)) return [];
    const missing = new Set<string>();
    for (const char of text.match(NOT_LATIN_1) ?? []) {
      if (NEVER.test(char) || !this.hasGlyph(char)) missing.add(char);
    }
    return [...missing];
  }

  /** The font to draw `text` with: undefined for Helvetica (Latin-1), else the embedded font. */
  fontFor(text: string): EmbeddedFont | undefined {
    if (LATIN_1.test(text) || this.path === undefined) return undefined;
    return { path: this.path, family: this.load().postscriptName };
  }

  /** For the refusal's words: which font decides. */
  describe(): string {
    return this.path === undefined ? 'Helvetica (Latin-1 only; no CJK font is configured: LABEL_FONT)' : `Helvetica and ${this.path}`;
  }

  private hasGlyph(char: string): boolean {
    if (this.path === undefined) return false;
    return this.load().hasGlyphForCodePoint(char.codePointAt(0) as number);
  }

  private load(): GlyphSource {
    if (this.face === undefined) {
      const opened = fontkit.openSync(this.path as string) as unknown as GlyphSource & { fonts?: GlyphSource[] };
      // A collection (.ttc): its first face, the regular one of the usual CJK collections.
      this.face = opened.fonts?.[0] ?? opened;
    }
    return this.face;
  }
}
