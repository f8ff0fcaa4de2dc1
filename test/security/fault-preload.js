/**
 * Preloaded into the built server by test/security/faults.test.ts (NODE_OPTIONS=--require): once the
 * server is up, SIGUSR2 raises the fault named by SIFT_TEST_FAULT, `throw` (an exception nothing
 * catches) or `reject` (a promise rejection nothing handles), as a bug in a request path would.
 * The server's own handlers must log it and exit 1.
 */
'use strict';

process.on('SIGUSR2', () => {
  if (process.env.SIFT_TEST_FAULT === 'reject') {
    void Promise.reject(new Error('a rejection nobody handled'));
    return;
  }
  throw new Error('a bug nobody caught');
});
