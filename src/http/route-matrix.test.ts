// The role × route matrix, generated from the route table: every route in ROUTES, every role and no token,
// against a ticket requested by someone else that names none of the callers. Participants are tested in
// ticket-visibility, dual-control and escalation tests.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, ROLE_NAMES, type ApiHarness, type ProblemJson } from '../../test/api-harness.js';
import { createActionLink } from '../approvals/action-links.js';
import { ROUTES } from './route-access.js';

type CallerKind = (typeof ROLE_NAMES)[number] | 'none';
type Expected = Record<CallerKind, number>;

/** Every route's expected status per caller. A route missing here, or listed here but not served, fails. */
const EXPECTED: Record<string, Expected> = {
  'POST /api/v1/tickets': { requester: 201, approver: 403, operator: 403, auditor: 403, admin: 403, none: 401 },
  'GET /api/v1/tickets': { requester: 200, approver: 200, operator: 200, auditor: 200, admin: 403, none: 401 },
  'GET /api/v1/tickets/{id}': { requester: 404, approver: 404, operator: 404, auditor: 200, admin: 404, none: 401 },
  'POST /api/v1/tickets/{id}/cancel': { requester: 404, approver: 404, operator: 404, auditor: 403, admin: 404, none: 401 },
  'POST /api/v1/tickets/{id}/decisions': { requester: 404, approver: 404, operator: 404, auditor: 403, admin: 404, none: 401 },
  'POST /api/v1/tickets/{id}/escalate': { requester: 404, approver: 404, operator: 404, auditor: 403, admin: 404, none: 401 },
  'GET /api/v1/pipelines': { requester: 200, approver: 403, operator: 200, auditor: 403, admin: 200, none: 401 },
  'POST /api/v1/pipelines/{name}/run': { requester: 403, approver: 403, operator: 201, auditor: 403, admin: 403, none: 401 },
  'GET /api/v1/quarantine': { requester: 403, approver: 403, operator: 200, auditor: 200, admin: 403, none: 401 },
  // Releases and withdrawals are for operators only; the id here names no quarantined item.
  'POST /api/v1/quarantine/{id}/release': { requester: 403, approver: 403, operator: 404, auditor: 403, admin: 403, none: 401 },
  'POST /api/v1/quarantine/{id}/cancel': { requester: 403, approver: 403, operator: 404, auditor: 403, admin: 403, none: 401 },
  'GET /api/v1/me': { requester: 200, approver: 200, operator: 200, auditor: 200, admin: 200, none: 401 },
  'GET /metrics': { requester: 403, approver: 403, operator: 200, auditor: 200, admin: 200, none: 401 },
  'GET /healthz': { requester: 200, approver: 200, operator: 200, auditor: 200, admin: 200, none: 200 },
  'GET /readyz': { requester: 200, approver: 200, operator: 200, auditor: 200, admin: 200, none: 200 },
  'GET /openapi.json': { requester: 200, approver: 200, operator: 200, auditor: 200, admin: 200, none: 200 },
  'GET /docs': { requester: 200, approver: 200, operator: 200, auditor: 200, admin: 200, none: 200 },
  // An action link's page: the link is the credential, whoever else the caller is.
  'GET /a/{token}': { requester: 200, approver: 200, operator: 200, auditor: 200, admin: 200, none: 200 },
  // Posted without the page's CSRF token: no bearer token stands in for it.
  'POST /a/{token}': { requester: 403, approver: 403, operator: 403, auditor: 403, admin: 403, none: 403 },
};

/** A valid body for the routes that take one. */
const BODIES: Record<string, unknown> = {
  'POST /api/v1/tickets': { pipeline: 'matrix', purpose: 'matrix check' },
  'POST /api/v1/tickets/{id}/decisions': { decision: 'approve', comment: 'looks fine' },
  'POST /api/v1/pipelines/{name}/run': { purpose: 'matrix run' },
  'POST /api/v1/quarantine/{id}/release': { reason: 'matrix check' },
};

/** Routes the app serves that are not API operations: the files the /docs page loads (tested in openapi.test.ts). */
const DOCS_ASSETS = ['GET /docs/init.js', 'GET /docs/{asset}'];
/** Served outside the OpenAPI document. */
const NON_OPENAPI = ['GET /healthz', 'GET /readyz', 'GET /metrics', 'GET /docs', 'GET /openapi.json', 'GET /a/{token}', 'POST /a/{token}'];
/** Pages for people, not API operations: they answer in HTML, errors included (tested in routes/link-routes.test.ts). */
const HTML_PAGES = new Set(['GET /a/{token}', 'POST /a/{token}']);

/** The web console (/ui, and / which sends people there): pages behind a session cookie, with their own role tests. */
const isConsole = (key: string) => /^[A-Z]+ \/(ui(\/|$)|$)/.test(key);

const CODE_BY_STATUS: Record<number, string> = { 401: 'unauthorized', 403: 'forbidden', 404: 'not_found' };
const CALLERS: CallerKind[] = [...ROLE_NAMES, 'none'];
const routeKeys = () => ROUTES.map((r) => `${r.method} ${r.path}`);

let api: ApiHarness;
const tokens = new Map<CallerKind, string>();
let params: Record<string, string>;

beforeAll(async () => {
  api = await createApiHarness({ pipelines: { matrix: { approvers: ['named-approver'] } }, app: { linkSecret: Buffer.alloc(32, 9) } });
  const owner = await api.user('owner', ['requester']);
  await api.user('named-approver', ['approver']);
  for (const role of ROLE_NAMES) tokens.set(role, await api.user(`only-${role}`, [role]));
  const created = await api.call('/api/v1/tickets', { token: owner, json: { pipeline: 'matrix', purpose: "the owner's transfer" } });
  expect(created.status).toBe(201);
  const { id, uuid } = created.json<{ id: string; uuid: string }>();
  const link = await createActionLink(api.db, {
    ticketId: uuid,
    userName: 'owner',
    email: 'owner@example.com',
    purpose: 'escalate',
    expiresAt: new Date(Date.now() + 3_600_000),
  });
  params = { id, name: 'matrix', token: link.token };
});
afterAll(() => api?.close());

describe('role × route matrix', () => {
  it('has an expectation for every route in ROUTES and none for routes that are not there', () => {
    expect(new Set(routeKeys()).size, 'ROUTES lists a route twice').toBe(ROUTES.length);
    expect(Object.keys(EXPECTED).sort()).toEqual(routeKeys().sort());
  });

  it('serves exactly the routes in ROUTES: the OpenAPI operations plus the non-OpenAPI routes', async () => {
    const doc = (await api.call('/openapi.json')).json<{ paths: Record<string, Record<string, unknown>> }>();
    const documented = Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`));
    expect([...documented, ...NON_OPENAPI].sort()).toEqual(routeKeys().sort());
  });

  it("has no handler in the app's router that ROUTES does not list", () => {
    const handled = api.app.routes
      .filter((r) => r.method !== 'ALL') // middleware registered with use()
      .map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`);
    const unlisted = [...new Set(handled)].filter((key) => !routeKeys().includes(key) && !DOCS_ASSETS.includes(key) && !isConsole(key));
    expect(unlisted).toEqual([]);
    for (const asset of DOCS_ASSETS) expect(handled).toContain(asset);
  });

  for (const route of ROUTES) {
    const key = `${route.method} ${route.path}`;
    describe(key, () => {
      for (const caller of CALLERS) {
        it(`answers ${caller === 'none' ? 'a request without a token' : `a caller holding only ${caller}`} with ${EXPECTED[key]?.[caller] ?? '(no expectation)'}`, async () => {
          const expected = EXPECTED[key]?.[caller];
          expect(expected, `${key} is missing from the expectation table`).toBeDefined();
          const target = route.path.replace(/\{(\w+)\}/g, (_, name: string) => {
            const value = params[name];
            if (value === undefined) throw new Error(`No value for path parameter {${name}} of ${key}; add one to the matrix.`);
            return value;
          });
          if (HTML_PAGES.has(key)) {
            const headers: Record<string, string> = caller === 'none' ? {} : { authorization: `Bearer ${tokens.get(caller)}` };
            const page = await api.app.request(target, { method: route.method, headers });
            expect(page.status, await page.text()).toBe(expected);
            expect(page.headers.get('content-type')).toMatch(/^text\/html/);
            return;
          }
          const response = await api.call(target, {
            method: route.method,
            ...(caller === 'none' ? {} : { token: tokens.get(caller) }),
            ...(key in BODIES ? { json: BODIES[key] } : {}),
          });
          expect(response.status, response.text).toBe(expected);
          const code = CODE_BY_STATUS[response.status];
          if (code) expect(response.json<ProblemJson>().code).toBe(code);
          if (response.status === 401) expect(response.headers.get('www-authenticate')).toBe('Bearer realm="airlock"');
        });
      }
    });
  }
});
