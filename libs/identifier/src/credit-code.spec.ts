import { creditCodeCheckCharacter, creditCodeFormProblem, creditCodeProblem } from './index';

/**
 * Codes checked by hand against GB 32100-2015 (weights 3^i mod 31, check = 31 − Σ mod 31) before
 * being used here; each is a published code of a real organisation.
 */
const VALID = [
  '91350100M000100Y43',
  '91110000802100433B',
  '91330100716105852F',
  '9144030071526726XG',
  '914403001922038216',
  '91440300708461136T',
];

describe('unified social credit code (GB 32100)', () => {
  it.each(VALID)('accepts %s', (code) => {
    expect(creditCodeProblem(code)).toBeUndefined();
    expect(creditCodeCheckCharacter(code.slice(0, 17))).toBe(code[17]);
  });

  it('computes the check character from the first 17 characters', () => {
    expect(creditCodeCheckCharacter('91350100M000100Y4')).toBe('3');
    expect(creditCodeCheckCharacter('9144030071526726X')).toBe('G');
    // Σ ≡ 0 (mod 31) gives the check character "0", not index 31
    expect(creditCodeCheckCharacter('00000000000000000')).toBe('0');
  });

  it('refuses a code whose check character is wrong and says which one it should be', () => {
    // Often quoted as an example, but its check character does not satisfy GB 32100: it should be N.
    expect(creditCodeProblem('911101087226036806')).toBe('check character is "6" but should be "N"');
    expect(creditCodeProblem('911101087226036806'.slice(0, 17) + 'N')).toBeUndefined();
    expect(creditCodeProblem('91350100M000100Y44')).toBe('check character is "4" but should be "3"');
  });

  it('refuses every wrong check character for a valid body', () => {
    const body = '91350100M000100Y4';
    for (const c of '0123456789ABCDEFGHJKLMNPQRTUWXY') {
      if (c === '3') continue;
      expect(creditCodeProblem(body + c)).toMatch(/^check character/);
    }
  });

  it.each(['I', 'O', 'Z', 'S', 'V'])('refuses the letter %s, which GB 32100 leaves out', (letter) => {
    const code = `91350100M${letter}00100Y43`;
    expect(creditCodeProblem(code)).toBe(`character "${letter}" at position 10 is not allowed (digits and capitals except I, O, Z, S, V)`);
    expect(creditCodeCheckCharacter(code.slice(0, 17))).toBeUndefined();
  });

  it('refuses lower-case letters and punctuation', () => {
    expect(creditCodeProblem('91350100m000100Y43')).toMatch(/character "m" at position 9 is not allowed/);
    expect(creditCodeProblem('91350100-000100Y43')).toMatch(/character "-" at position 9 is not allowed/);
  });

  it.each([
    ['', 0],
    ['91350100M000100Y4', 17],
    ['91350100M000100Y433', 19],
  ])('refuses %j for its length', (code, length) => {
    expect(creditCodeProblem(code)).toBe(`must be 18 characters, got ${length}`);
  });

  it('requires the administrative division code (positions 3–8) to be digits', () => {
    const first17 = '91A50100M000100Y4';
    const code = `${first17}${creditCodeCheckCharacter(first17)}`;
    expect(creditCodeProblem(code)).toBe('positions 3-8 must be the 6-digit administrative division code');
  });

  it('checks only the form (length and alphabet) in creditCodeFormProblem', () => {
    expect(creditCodeFormProblem('91350100M000100Y44')).toBeUndefined();
    expect(creditCodeFormProblem('91A50100M000100Y40')).toBeUndefined();
    expect(creditCodeFormProblem('91350100M000100Y4')).toBe('must be 18 characters, got 17');
    expect(creditCodeFormProblem('91350100MI00100Y43')).toBe('character "I" at position 10 is not allowed (digits and capitals except I, O, Z, S, V)');
    for (const code of ['', '91350100M000100Y43', '9135010M000100Y43😀', '91350100m000100Y43', 'x'.repeat(18)]) {
      expect(creditCodeFormProblem(code) === undefined).toBe(/^[0-9A-HJ-NPQRTUWXY]{18}$/.test(code));
    }
  });
});
