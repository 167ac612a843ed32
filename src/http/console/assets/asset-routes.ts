import type { Context, Hono } from 'hono';
import type { ConsoleEnv } from '../console-env.js';
import { SCRIPT, SCRIPT_ETAG } from './script.js';
import { STYLESHEET, STYLESHEET_ETAG } from './stylesheet.js';

/** The stylesheet and the script, public (the sign-in page uses them), revalidated by ETag. */
export function registerAssetRoutes(ui: Hono<ConsoleEnv>): void {
  ui.get('/assets/console.css', (c) => asset(c, STYLESHEET, STYLESHEET_ETAG, 'text/css; charset=utf-8'));
  ui.get('/assets/console.js', (c) => asset(c, SCRIPT, SCRIPT_ETAG, 'text/javascript; charset=utf-8'));
}

function asset(c: Context, body: string, etag: string, type: string): Response {
  const headers = { 'content-type': type, etag, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' };
  if (c.req.header('if-none-match') === etag) return c.body(null, 304, headers);
  return c.body(body, 200, headers);
}
