import { setImmediate as nextTurn } from 'node:timers/promises';
import PDFDocument from 'pdfkit';
import type { EmbeddedFont, LabelFont } from './label-font';
import { QR_QUIET_ZONE_MODULES, qrModules } from './qr-code';

/** One label: the text printed under the code, and what the code holds. */
export interface Label {
  text: string;
  url: string;
}

export interface LabelSheet {
  labels: Label[];
  rows: number;
  columns: number;
  title?: string;
  /** Chooses the font of each text: Helvetica for Latin-1, the embedded CJK font for the rest. */
  font: LabelFont;
}

/** A4 in PostScript points. */
const PAGE = { width: 595.28, height: 841.89 };
/** 10 mm around the grid, which most office printers can print up to. */
const MARGIN = 28.35;
const TITLE_HEIGHT = 24;
const TITLE_FONT_SIZE = 12;
const CELL_PADDING = 3;
const TEXT_FONT_SIZES = { largest: 9, smallest: 4 };
/** Labels drawn before the event loop gets a turn (about 2 ms each, most of it choosing the QR mask): a 2,000-label sheet must not stall resolution. */
const LABELS_PER_TURN = 5;

export function pagesNeeded(labels: number, rows: number, columns: number): number {
  return Math.ceil(labels / (rows * columns));
}

/**
 * An A4 label sheet (pdfkit): `rows` × `columns` cells per page, each a QR code drawn as vectors
 * (sharp at any printer resolution) with its text under it, light dashed cutting guides, the
 * title on top of every page; as many pages as the labels need. The document streams out while
 * it is drawn; a consumer that goes away stops the drawing.
 */
export function drawLabelSheet(sheet: LabelSheet): PDFKit.PDFDocument {
  const doc = new PDFDocument({
    size: 'A4',
    margin: 0,
    autoFirstPage: false,
    compress: true,
    info: { Title: sheet.title ?? 'Identifier labels', Creator: 'IDIS secondary node', Producer: 'IDIS secondary node (pdfkit)' },
  });
  void drawPages(doc, sheet).catch((error: Error) => doc.destroy(error));
  return doc;
}

async function drawPages(doc: PDFKit.PDFDocument, sheet: LabelSheet): Promise<void> {
  const perPage = sheet.rows * sheet.columns;
  const top = MARGIN + (sheet.title ? TITLE_HEIGHT : 0);
  const cell = { width: (PAGE.width - 2 * MARGIN) / sheet.columns, height: (PAGE.height - MARGIN - top) / sheet.rows };
  for (const [position, label] of sheet.labels.entries()) {
    const slot = position % perPage;
    if (slot === 0) {
      doc.addPage({ size: 'A4', margin: 0 });
      if (sheet.title) drawTitle(doc, sheet.title, sheet.font);
      drawGuides(doc, top, cell, sheet.rows, sheet.columns);
    }
    const x = MARGIN + (slot % sheet.columns) * cell.width;
    const y = top + Math.floor(slot / sheet.columns) * cell.height;
    drawLabel(doc, label, x, y, cell, sheet.font);
    if ((position + 1) % LABELS_PER_TURN === 0) {
      await nextTurn();
      if (doc.destroyed) return;
    }
  }
  doc.end();
}

/** The title on one line, in a smaller size when it is long. */
function drawTitle(doc: PDFKit.PDFDocument, title: string, font: LabelFont): void {
  const width = PAGE.width - 2 * MARGIN;
  let size = TITLE_FONT_SIZE;
  useFont(doc, font.fontFor(title), 'Helvetica-Bold').fillColor('#000000');
  while (size > 6 && doc.fontSize(size).widthOfString(title) > width) size -= 0.5;
  doc.fontSize(size).text(title, MARGIN, MARGIN + (TITLE_HEIGHT - size) / 2 - 2, { width, height: TITLE_HEIGHT, align: 'center', ellipsis: true });
}

/** Where to cut: dashed light-grey lines around every cell. */
function drawGuides(doc: PDFKit.PDFDocument, top: number, cell: { width: number; height: number }, rows: number, columns: number): void {
  doc.save().lineWidth(0.25).strokeColor('#b0b0b0').dash(2, { space: 2 });
  for (let row = 0; row <= rows; row += 1) doc.moveTo(MARGIN, top + row * cell.height).lineTo(PAGE.width - MARGIN, top + row * cell.height);
  for (let column = 0; column <= columns; column += 1) doc.moveTo(MARGIN + column * cell.width, top).lineTo(MARGIN + column * cell.width, PAGE.height - MARGIN);
  doc.stroke().undash().restore();
}

function drawLabel(doc: PDFKit.PDFDocument, label: Label, x: number, y: number, cell: { width: number; height: number }, font: LabelFont): void {
  const textWidth = cell.width - 2 * CELL_PADDING;
  // The text gets a fifth of the cell (at least two small lines), the code the largest square above it.
  const textHeight = Math.max(cell.height * 0.2, 2.4 * TEXT_FONT_SIZES.smallest);
  const side = Math.max(0, Math.min(textWidth, cell.height - 2 * CELL_PADDING - textHeight));
  drawCode(doc, label.url, x + (cell.width - side) / 2, y + CELL_PADDING, side);
  const textTop = y + CELL_PADDING + side;
  const available = y + cell.height - CELL_PADDING - textTop;
  useFont(doc, font.fontFor(label.text), 'Helvetica').fillColor('#000000');
  let size = TEXT_FONT_SIZES.largest;
  while (size > TEXT_FONT_SIZES.smallest && doc.fontSize(size).heightOfString(label.text, { width: textWidth, align: 'center' }) > available) size -= 0.5;
  doc.fontSize(size).text(label.text, x + CELL_PADDING, textTop, { width: textWidth, height: available, align: 'center', ellipsis: true });
}

/** The embedded font when the text needs it (pdfkit subsets it: only the glyphs used are embedded), else a built-in one. */
function useFont(doc: PDFKit.PDFDocument, embedded: EmbeddedFont | undefined, builtIn: string): PDFKit.PDFDocument {
  if (embedded === undefined) return doc.font(builtIn);
  return embedded.family === undefined ? doc.font(embedded.path) : doc.font(embedded.path, embedded.family);
}

/** The code as filled rectangles, one per run of dark modules in a row, inside its quiet zone. */
function drawCode(doc: PDFKit.PDFDocument, url: string, x: number, y: number, side: number): void {
  const modules = qrModules(url);
  const unit = side / (modules.size + 2 * QR_QUIET_ZONE_MODULES);
  const origin = { x: x + QR_QUIET_ZONE_MODULES * unit, y: y + QR_QUIET_ZONE_MODULES * unit };
  for (let row = 0; row < modules.size; row += 1) {
    let column = 0;
    while (column < modules.size) {
      if (!modules.dark(row, column)) {
        column += 1;
        continue;
      }
      const start = column;
      while (column < modules.size && modules.dark(row, column)) column += 1;
      doc.rect(origin.x + start * unit, origin.y + row * unit, (column - start) * unit, unit);
    }
  }
  doc.fillColor('#000000').fill();
}
