import { fileNameOf } from './download';
import { safeNext, signInProblem } from './sign-in';

describe('the console sign-in rules', () => {
  it('asks for a username and a password before calling the node', () => {
    expect(signInProblem('  ', 'x')).toBe('needUsername');
    expect(signInProblem('tools', '')).toBe('needPassword');
    expect(signInProblem('tools', 'secret')).toBeUndefined();
  });

  it('returns only to a page of the console after sign-in', () => {
    expect(safeNext('/operator/overview?x=1')).toBe('/operator/overview?x=1');
    expect(safeNext('//evil.example/')).toBeUndefined();
    expect(safeNext('/\\evil.example')).toBeUndefined();
    expect(safeNext('https://evil.example/')).toBeUndefined();
    expect(safeNext('/sign-in?next=/x')).toBeUndefined();
    expect(safeNext(['/a'])).toBeUndefined();
    expect(safeNext(`/${'a'.repeat(3000)}`)).toBeUndefined();
  });

  it('reads the file name a download announces', () => {
    expect(fileNameOf(`attachment; filename="report.csv"; filename*=UTF-8''%E6%9C%88%E6%8A%A5.csv`)).toBe('月报.csv');
    expect(fileNameOf('attachment; filename="labels.pdf"')).toBe('labels.pdf');
    expect(fileNameOf(null)).toBeUndefined();
  });
});
