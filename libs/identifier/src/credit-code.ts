/**
 * Unified social credit code (统一社会信用代码), GB 32100-2015: 18 characters over a 31-symbol
 * alphabet (digits and capitals without I, O, Z, S, V); the last is a check character computed
 * as 31 − (Σ value·weight mod 31) with the weights 3^(i) mod 31.
 */
const ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

export function creditCodeCheckCharacter(first17: string): string | undefined {
  let sum = 0;
  for (let i = 0; i < 17; i += 1) {
    const value = ALPHABET.indexOf(first17[i]);
    if (value < 0) return undefined;
    sum += value * WEIGHTS[i];
  }
  const check = (31 - (sum % 31)) % 31;
  return ALPHABET[check];
}

/**
 * Undefined when `code` has the form of a credit code (18 characters of the alphabet), otherwise
 * why not. Nothing else is checked: the top-level node's automatic review asks only this much.
 */
export function creditCodeFormProblem(code: string): string | undefined {
  if (code.length !== 18) return `must be 18 characters, got ${code.length}`;
  const bad = [...code].findIndex((c) => !ALPHABET.includes(c));
  if (bad >= 0) return `character "${code[bad]}" at position ${bad + 1} is not allowed (digits and capitals except I, O, Z, S, V)`;
  return undefined;
}

/** Undefined when valid (form, administrative division digits and check character), otherwise why not. */
export function creditCodeProblem(code: string): string | undefined {
  const formProblem = creditCodeFormProblem(code);
  if (formProblem) return formProblem;
  if (!/^[0-9]{6}$/.test(code.slice(2, 8))) return 'positions 3-8 must be the 6-digit administrative division code';
  const expected = creditCodeCheckCharacter(code.slice(0, 17));
  if (code[17] !== expected) return `check character is "${code[17]}" but should be "${expected}"`;
  return undefined;
}
