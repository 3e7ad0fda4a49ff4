// Jest: TypeScript via SWC (fast, no type-check; `npm run typecheck` does that). Tests live under test/.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  // @virustotal/yara-x ships only an ES module (lib/yara/engine.ts imports it); Jest's CommonJS runtime needs it transformed
  transformIgnorePatterns: ['/node_modules/(?!@virustotal/yara-x/)'],
  testTimeout: 120000,
  maxWorkers: 2,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
};
