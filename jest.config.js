/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // test/cross runs the package under qemu and wine (`npm run test:cross`), test/source-install
  // builds the engine from source at install time (`npm run test:source-install`): not the default run.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/cross/', '<rootDir>/test/source-install/'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.test.json' }],
  },
  testTimeout: 60000,
};
