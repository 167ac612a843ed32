// GET /openapi.json and GET /docs. `@seriousme/openapi-schema-validator` is not installed, so the document
// is validated structurally here: required fields, responses on every operation, every $ref resolving and
// every path parameter declared.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, type ApiHarness } from '../../test/api-harness.js';
import { ROUTES } from './route-access.js';

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
}
interface Operation {
  responses?: Record<string, { description?: string; content?: Record<string, unknown> }>;
  parameters?: (Parameter | { $ref: string })[];
  security?: Record<string, string[]>[];
}
interface OpenApiDoc {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, unknown>; securitySchemes?: Record<string, unknown> };
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

let api: ApiHarness;
let doc: OpenApiDoc;

beforeAll(async () => {
  api = await createApiHarness({ pipelines: {} });
  const response = await api.call('/openapi.json');
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  doc = response.json<OpenApiDoc>();
});
afterAll(() => api?.close());

/** Every `$ref` in the document, with where it was found. */
function refs(node: unknown, at = '#'): { ref: string; at: string }[] {
  if (Array.isArray(node)) return node.flatMap((child, i) => refs(child, `${at}/${i}`));
  if (typeof node !== 'object' || node === null) return [];
  return Object.entries(node).flatMap(([key, value]) =>
    key === '$ref' && typeof value === 'string' ? [{ ref: value, at }] : refs(value, `${at}/${key}`),
  );
}

/** Resolves a local JSON pointer (`#/components/schemas/X`) in the document, or undefined. */
function resolvePointer(ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = doc;
  for (const raw of ref.slice(2).split('/')) {
    const key = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (typeof node !== 'object' || node === null || !(key in node)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

const operations = () =>
  Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, operation]) => ({ path, method, operation })),
  );

describe('GET /openapi.json', () => {
  it('is an OpenAPI 3.1 document with a title, a version and paths', () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info).toMatchObject({ title: 'Airlock API', version: '0.0.0-test' });
    expect(Object.keys(doc.paths).length).toBeGreaterThan(0);
    for (const path of Object.keys(doc.paths)) expect(path).toMatch(/^\//);
  });

  it('lists every ROUTES entry under /api/v1, with its method', () => {
    const api = ROUTES.filter((r) => r.path.startsWith('/api/v1/'));
    expect(api.length).toBeGreaterThanOrEqual(9);
    for (const route of api) expect(doc.paths[route.path]?.[route.method.toLowerCase()], `${route.method} ${route.path}`).toBeDefined();
  });

  it('gives every operation responses, each with a description, and problem+json for its errors', () => {
    for (const { path, method, operation } of operations()) {
      const where = `${method.toUpperCase()} ${path}`;
      const responses = Object.entries(operation.responses ?? {});
      expect(responses.length, where).toBeGreaterThan(0);
      expect(
        responses.some(([status]) => status.startsWith('2')),
        where,
      ).toBe(true);
      for (const [status, response] of responses) {
        expect(response.description, `${where} ${status}`).toEqual(expect.any(String));
        if (Number(status) >= 400) expect(Object.keys(response.content ?? {}), `${where} ${status}`).toEqual(['application/problem+json']);
      }
    }
  });

  it('resolves every $ref inside the document', () => {
    const found = refs(doc);
    expect(found.length).toBeGreaterThan(0);
    const dangling = found.filter(({ ref }) => resolvePointer(ref) === undefined);
    expect(dangling).toEqual([]);
  });

  it('declares every path parameter, as required, and no path parameter the path lacks', () => {
    for (const { path, method, operation } of operations()) {
      const where = `${method.toUpperCase()} ${path}`;
      const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      const declared = (operation.parameters ?? [])
        .map((p) => ('$ref' in p ? (resolvePointer(p.$ref) as Parameter) : p))
        .filter((p) => p.in === 'path');
      expect(declared.map((p) => p.name).sort(), where).toEqual(inPath.sort());
      for (const p of declared) expect(p.required, `${where} {${p.name}}`).toBe(true);
    }
  });

  it('puts every operation behind the bearer scheme it defines', () => {
    expect(doc.components?.securitySchemes?.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const { path, method, operation } of operations()) {
      expect(operation.security, `${method.toUpperCase()} ${path}`).toEqual([{ bearer: [] }]);
    }
  });
});

describe('GET /docs', () => {
  it('is an HTML page that loads only same-origin assets, each of which answers 200', async () => {
    const page = await api.call('/docs');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");

    const assets = [...page.text.matchAll(/\b(?:src|href)="([^"]*)"/g)].map((m) => m[1]!);
    expect(assets.length).toBeGreaterThanOrEqual(3);
    // No inline script: the content security policy would block it.
    expect([...page.text.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)].every((m) => m[0].includes(' src=') && m[1] === '')).toBe(true);
    for (const asset of assets) {
      expect(asset, 'a same-origin absolute path').toMatch(/^\/(?!\/)/);
      const response = await api.call(asset);
      expect(response.status, asset).toBe(200);
      expect(response.headers.get('content-type'), asset).toMatch(/^text\/(css|javascript)/);
      expect(response.text.length, asset).toBeGreaterThan(0);
    }
    const init = assets.find((a) => a.endsWith('init.js'));
    expect(init).toBeDefined();
    const script = (await api.call(init!)).text;
    expect(script).toContain("url: '/openapi.json'");
    expect(script).not.toMatch(/https?:\/\//);
  });

  it('serves no other file from the docs folder', async () => {
    for (const path of ['/docs/package.json', '/docs/..%2Fpackage.json', '/docs/swagger-ui.js.map', '/docs/index.html']) {
      const response = await api.call(path);
      expect(response.status, path).toBe(404);
    }
  });
});
