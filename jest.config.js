// One Jest run for the whole workspace, in two projects:
// - `unit`: pure logic (formulas and their golden cases, contracts, config, the cache core,
//   the batcher, queue options, CLI flags, bench helpers) and components exercised in
//   process; no Redis, no PostgreSQL. Tests live next to the code (`*.test.ts`), plus
//   test/golden/. `pnpm test:unit` runs these alone, on a machine with nothing listening.
// - `integration`: test/ on real Redis, PostgreSQL, BullMQ and HTTP; its global setup
//   migrates the template database each test file clones.
// `pnpm test` runs both.
const transform = {
  '^.+\\.tsx?$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  // jose ships ESM only, and Jest cannot require() an ES module on Node 20: compile it like our code.
  '/node_modules/\\.pnpm/jose@[^/]+/node_modules/jose/.+\\.js$': ['@swc/jest', { jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
};
const common = {
  testEnvironment: 'node',
  transform,
  transformIgnorePatterns: ['/node_modules/(?!\\.pnpm/jose@|jose/)'],
  moduleNameMapper: { '^@shared/(.*)$': '<rootDir>/shared/src/$1' },
  testPathIgnorePatterns: ['/node_modules/', '/generated/'],
};

/** @type {import('jest').Config} */
const config = {
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/{shared,services,workers,scripts,bench}/**/*.test.ts', '<rootDir>/test/golden/**/*.test.ts'],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testPathIgnorePatterns: [...common.testPathIgnorePatterns, '<rootDir>/test/golden/'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  testTimeout: 60_000,
  maxWorkers: 2,
};

module.exports = config;
