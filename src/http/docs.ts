import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from './app-env.js';
import { ROUTES } from './route-access.js';

ROUTES.push(
  { method: 'GET', path: '/openapi.json', access: { kind: 'public' } },
  { method: 'GET', path: '/docs', access: { kind: 'public' } },
);

const ASSETS = new Map([
  ['swagger-ui.css', 'text/css; charset=utf-8'],
  ['swagger-ui-bundle.js', 'text/javascript; charset=utf-8'],
]);

/**
 * `GET /openapi.json` (OpenAPI 3.1, generated from the zod schemas that validate requests) and `GET /docs`,
 * an interactive reference (Swagger UI served from the installed package: nothing is loaded from the
 * internet, and the page's script is a file of ours, so the content security policy stays `'self'`).
 */
export function registerDocs(app: OpenAPIHono<AppEnv>, version: string): void {
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Airlock API',
      version,
      description: 'Secure data-transfer gatekeeper. Tickets are visible only to their participants and auditors; others get 404.',
    },
    servers: [{ url: '/' }],
  });
  const assetsDir = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  app.get('/docs', (c) => c.html(PAGE));
  app.get('/docs/init.js', (c) => c.body(INIT, 200, { 'content-type': 'text/javascript; charset=utf-8' }));
  app.get('/docs/:asset', async (c) => {
    const asset = c.req.param('asset');
    const type = ASSETS.get(asset);
    if (!type) return c.notFound();
    return c.body(await readFile(path.join(assetsDir, asset)), 200, { 'content-type': type, 'cache-control': 'public, max-age=86400' });
  });
}

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Airlock API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css"></head>
<body><div id="reference"></div>
<script src="/docs/swagger-ui-bundle.js"></script><script src="/docs/init.js"></script></body></html>`;

const INIT = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#reference', persistAuthorization: false });`;
