// `npm run test:cross`: the suite in test/cross only (the default config leaves it out).
const base = require('./jest.config');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  roots: ['<rootDir>/test/cross'],
  testPathIgnorePatterns: ['/node_modules/'],
};
