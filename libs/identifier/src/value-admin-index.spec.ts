import { ValueError, valueFromJson } from './index';

const admin = (index: unknown, adminIndex: unknown) => ({ index, type: 'HS_ADMIN', data: { format: 'admin', value: { handle: '0.NA/88.118.8', index: adminIndex, permissions: '011111111111' } } });

describe('valueFromJson: HS_ADMIN indexes as numeric strings (as pyhandle sends them)', () => {
  it('reads "100" and "200" as numbers', () => {
    const value = valueFromJson(admin('100', '200'));
    expect(value.index).toBe(100);
    expect(value.data).toMatchObject({ format: 'admin', value: { index: 200 } });
  });

  it('reads the type case-insensitively, as Handle types compare', () => {
    expect(valueFromJson({ ...admin('7', 200), type: 'hs_admin' }).index).toBe(7);
  });

  it.each([
    ['non-numeric', admin('abc', 200), 'index'],
    ['non-numeric admin index', admin(100, 'x'), 'data.value.index'],
    ['zero', admin('0', 200), 'index'],
    ['leading zero', admin('0100', 200), 'index'],
    ['negative', admin(100, '-1'), 'data.value.index'],
    ['above 2^32-1', admin('4294967296', 200), 'index'],
    ['eleven digits', admin('10000000000', 200), 'index'],
    ['spaces', admin(' 1', 200), 'index'],
    ['exponent', admin('1e2', 200), 'index'],
  ])('refuses a %s index', (_what, input, path) => {
    try {
      valueFromJson(input);
      throw new Error('accepted');
    } catch (error) {
      expect(error).toBeInstanceOf(ValueError);
      expect((error as ValueError).path).toBe(path);
    }
  });

  it('keeps other values strict: a string index of a URL value is refused', () => {
    expect(() => valueFromJson({ index: '1', type: 'URL', data: 'x' })).toThrow(ValueError);
  });
});
