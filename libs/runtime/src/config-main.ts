import { ConfigError } from './env-reader';

/** Exit code of a process that refused to start because of its configuration. */
export const CONFIG_ERROR_EXIT_CODE = 2;

/**
 * For `main`: the loaded configuration, or, when `load` throws a ConfigError, its message (and
 * `trailer`, such as a usage text) on stderr and exit code 2. Any other error is thrown on.
 */
export function loadConfigOrExit<T>(load: () => T, trailer = ''): T {
  try {
    return load();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n${trailer}`);
      process.exit(CONFIG_ERROR_EXIT_CODE);
    }
    throw error;
  }
}
