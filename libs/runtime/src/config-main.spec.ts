import { CONFIG_ERROR_EXIT_CODE, loadConfigOrExit } from './config-main';
import { ConfigError } from './env-reader';

class Exited extends Error {
  constructor(readonly code: number | string | null | undefined) {
    super(`exit ${code}`);
  }
}

describe('loadConfigOrExit', () => {
  let written: string[];
  beforeEach(() => {
    written = [];
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    jest.spyOn(process, 'exit').mockImplementation((code) => {
      throw new Exited(code);
    });
  });
  afterEach(() => jest.restoreAllMocks());

  it('returns the configuration when it loads', () => {
    expect(loadConfigOrExit(() => ({ port: 8080 }))).toEqual({ port: 8080 });
    expect(written).toEqual([]);
    expect(process.exit).not.toHaveBeenCalled();
  });

  it('prints a ConfigError (and the trailer) on stderr and exits with code 2', () => {
    expect(CONFIG_ERROR_EXIT_CODE).toBe(2);
    const fail = () => {
      throw new ConfigError(['PORT must be an integer from 0 to 65535, got "x"']);
    };
    expect(() => loadConfigOrExit(fail)).toThrow(new Exited(2));
    expect(written).toEqual(['invalid configuration:\n  - PORT must be an integer from 0 to 65535, got "x"\n']);
    written = [];
    expect(() => loadConfigOrExit(fail, '\nusage: ...\n')).toThrow(new Exited(2));
    expect(written).toEqual(['invalid configuration:\n  - PORT must be an integer from 0 to 65535, got "x"\n\nusage: ...\n']);
  });

  it('throws any other error on, without exiting', () => {
    expect(() =>
      loadConfigOrExit(() => {
        throw new TypeError('a bug');
      }),
    ).toThrow(TypeError);
    expect(process.exit).not.toHaveBeenCalled();
    expect(written).toEqual([]);
  });
});
