// One Jest run for the whole workspace: unit tests live next to the code (`*.test.ts`),
// integration tests that need real Redis/PostgreSQL live in `test/`.
/** @type {import('jest').Config} */
const config = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.tsx?$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
    // jose ships ESM only, and Jest cannot require() an ES module on Node 20: compile it like our code.
    '/node_modules/\\.pnpm/jose@[^/]+/node_modules/jose/.+\\.js$': ['@swc/jest', { jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!\\.pnpm/jose@|jose/)'],
  moduleNameMapper: { '^@shared/(.*)$': '<rootDir>/shared/src/$1' },
  testMatch: ['<rootDir>/{shared,services,workers,test,scripts,bench}/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/generated/'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  testTimeout: 60_000,
  maxWorkers: 2,
};

module.exports = config;
