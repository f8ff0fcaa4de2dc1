/**
 * PLACEHOLDER written by the app shell so the tree compiles; the serving protocols owner replaces
 * this file. createApp mounts this router at '/'.
 */
import { Router } from 'express';
import type { AppDeps } from '../app';

export function createKServeRouter(_deps: AppDeps): Router {
  return Router();
}
