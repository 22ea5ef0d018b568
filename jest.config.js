/**
 * Two projects: `unit` (pure logic, fakes, property tests) and `integration`
 * (real SDK calls against moto and kinesis-mock started by the test itself; the examples'
 * own tests are integration tests too).
 * @middy/core is ESM-only, so swc transpiles it like our own TypeScript.
 */
const transform = { '^.+\\.(t|j|mj)s$': ['@swc/jest', { jsc: { target: 'es2023' }, module: { type: 'commonjs' } }] };
const common = {
  transform,
  transformIgnorePatterns: ['/node_modules/(?!@middy/)'],
  // @middy/core's (and @middy/util's) package exports offer only an "import" condition, which jest's CommonJS
  // resolver does not match; point it at the file (swc then transpiles it).
  moduleNameMapper: { '^@middy/(core|util)$': '<rootDir>/node_modules/@middy/$1/index.js' },
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  testEnvironment: 'node',
};
module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    { ...common, displayName: 'integration', testMatch: ['<rootDir>/test/integration/**/*.test.ts', '<rootDir>/examples/*/test/**/*.test.ts'], slowTestThreshold: 60 },
  ],
};
