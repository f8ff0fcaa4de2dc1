/** Unit and HTTP tests: real vectorizer, real onnxruntime, real Express app (no mocks). */
module.exports = {
  testEnvironment: '<rootDir>/test/jest-environment.js',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/test/e2e/'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', isolatedModules: true, diagnostics: false }],
  },
  testTimeout: 30000,
};
