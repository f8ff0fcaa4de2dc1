/** Unit and HTTP tests: real vectorizer, real onnxruntime, real Express app (no mocks). Transpile-only
 * (tsconfig.json isolatedModules; `npm run typecheck` checks types). */
module.exports = {
  testEnvironment: '<rootDir>/test/jest-environment.js',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/test/e2e/'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', diagnostics: false }],
  },
  testTimeout: 30000,
};
