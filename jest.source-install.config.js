// `npm run test:source-install`: test/source-install only (a source build; the default config
// leaves it out).
const base = require('./jest.config');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  roots: ['<rootDir>/test/source-install'],
  testPathIgnorePatterns: ['/node_modules/'],
};
