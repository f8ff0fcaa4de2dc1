/**
 * Starts the real server (main), then throws from a timer once it serves: the server's
 * uncaughtException handler must log it and exit 1. Used by test/server.test.ts.
 */
import { main } from '../../src/server';

void main().then(() => {
  setTimeout(() => {
    throw new Error('a bug nobody caught');
  }, 50);
});
