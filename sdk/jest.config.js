/* global module */
/** @type {import('jest').Config} */
module.exports = {
  displayName: 'sdk',
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/test/tsconfig.json' }] },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
};
