/** Browser tests in real headless Chromium (Debian's /usr/bin/chromium via playwright-core). */
const base = require('./jest.config.js');
module.exports = {
  ...base,
  testPathIgnorePatterns: ['/node_modules/'],
  testMatch: ['**/test/e2e/**/*.e2e.ts'],
  testTimeout: 120000,
};
