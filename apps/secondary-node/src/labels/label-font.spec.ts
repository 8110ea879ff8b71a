import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EnvReader } from '@idis/runtime';
import { LabelFont } from './label-font';
import { readLabelsConfig } from './labels.config';

const WQY = '/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc';

describe('label fonts', () => {
  it('without a CJK font prints Latin-1 only, and names each other character once', () => {
    const font = new LabelFont(undefined);
    expect(font.unprintable('88.118.8/Lot A - été')).toEqual([]);
    expect(font.unprintable('产品产品 x')).toEqual(['产', '品']);
    expect(font.fontFor('88.118.8/SKU')).toBeUndefined();
    expect(font.fontFor('产品')).toBeUndefined();
  });

  it('with one prints what it has glyphs for, and never controls or unassigned code points', () => {
    const font = new LabelFont(WQY); // fonts-wqy-zenhei (.ci/run installs it)
    expect(font.unprintable('红色/批次 1 été')).toEqual([]);
    expect(font.unprintable('标签 😀\u0007')).toEqual(['😀', '\u0007']);
    expect(font.fontFor('88.118.8/SKU')).toBeUndefined();
    expect(font.fontFor('红色')).toEqual({ path: WQY, family: 'WenQuanYiZenHei' });
  });

  it('reads LABEL_FONT: a font file, "none", or the first system CJK font there is', () => {
    const dir = mkdtempSync(join(tmpdir(), 'label-font-'));
    const fake = join(dir, 'fake.ttf');
    writeFileSync(fake, 'not really a font');
    const read = (env: Record<string, string>, fonts: string[] = []) => readLabelsConfig(new EnvReader(env), fonts);
    expect(read({ LABEL_FONT: 'none' }, [fake])).toEqual({ fontPath: undefined });
    expect(read({ LABEL_FONT: fake })).toEqual({ fontPath: fake });
    expect(read({}, [join(dir, 'missing.ttc'), fake])).toEqual({ fontPath: fake });
    expect(read({}, [join(dir, 'missing.ttc')])).toEqual({ fontPath: undefined });
    const wrong = new EnvReader({ LABEL_FONT: join(dir, 'missing.otf') });
    readLabelsConfig(wrong);
    expect(wrong.problems).toEqual([expect.stringContaining('LABEL_FONT must name an existing .ttf, .otf or .ttc font file')]);
    const notFont = new EnvReader({ LABEL_FONT: join(dir, 'notes.txt') });
    readLabelsConfig(notFont);
    expect(notFont.problems).toHaveLength(1);
  });
});
