/** Unit specs sit next to the code; integration and e2e suites live under tests/. */
module.exports = {
  rootDir: '.',
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'json'],
  testMatch: ['<rootDir>/apps/**/*.spec.ts', '<rootDir>/libs/**/*.spec.ts', '<rootDir>/tests/**/*.spec.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  moduleNameMapper: {
    '^@idis/identifier$': '<rootDir>/libs/identifier/src',
    '^@idis/identifier/(.*)$': '<rootDir>/libs/identifier/src/$1',
    '^@idis/epcis$': '<rootDir>/libs/epcis/src',
    '^@idis/epcis/(.*)$': '<rootDir>/libs/epcis/src/$1',
    '^@idis/contracts$': '<rootDir>/libs/contracts/src',
    '^@idis/contracts/(.*)$': '<rootDir>/libs/contracts/src/$1',
    '^@idis/console-kit/(.*)$': '<rootDir>/libs/console-kit/src/$1',
    '^@idis/handle-protocol$': '<rootDir>/libs/handle-protocol/src',
    '^@idis/handle-protocol/(.*)$': '<rootDir>/libs/handle-protocol/src/$1',
    '^@idis/runtime$': '<rootDir>/libs/runtime/src',
    '^@idis/runtime/(.*)$': '<rootDir>/libs/runtime/src/$1',
    '^@idis/loadgen$': '<rootDir>/libs/loadgen/src',
    '^@idis/loadgen/(.*)$': '<rootDir>/libs/loadgen/src/$1',
  },
  // Fails the run at once, in one line naming the command that starts it, when PostgreSQL, Redis
  // or Mosquitto does not answer.
  globalSetup: '<rootDir>/tests/support/global-setup.ts',
  testTimeout: 60000,
  maxWorkers: 2,
};
