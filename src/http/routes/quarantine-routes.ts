import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Db } from '../../db/database.js';
import { AirlockError } from '../../errors.js';
import { listQuarantine } from '../../quarantine/quarantine-store.js';
import { cancelReleaseRequest, RELEASE_ROLES, releaseQuarantinedItem, type ReleaseContext } from '../../quarantine/release.js';
import type { AppEnv } from '../app-env.js';
import { callerOf } from '../authenticate.js';
import {
  CancelReleaseBody,
  ListQuarantineQuery,
  QuarantineIdParam,
  QuarantineList,
  QuarantinedItem,
  ReleaseBody,
  ReleaseResult,
} from '../api-schemas.js';
import { defineRoute, ERRORS } from '../route-access.js';

export interface QuarantineRouteDeps {
  db: Db;
  /** Staging and pipelines, for the approval that writes an item out; absent, releases are refused. */
  release?: ReleaseContext | undefined;
}

const json = <T>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });
const { 400: e400, 401: e401, 403: e403, 404: e404, 409: e409, 413: e413, 429: e429 } = ERRORS;

const list = defineRoute(
  {
    method: 'get',
    path: '/api/v1/quarantine',
    summary: 'Blocked items kept in quarantine: what blocked them, until when, and any release in progress',
    tags: ['quarantine'],
    request: { query: ListQuarantineQuery },
    responses: { 200: json(QuarantineList, 'Quarantined items, soonest purge first'), 400: e400, 401: e401, 403: e403, 429: e429 },
  },
  { kind: 'roles', roles: ['operator', 'auditor'] },
);

const release = defineRoute(
  {
    method: 'post',
    path: '/api/v1/quarantine/{id}/release',
    summary: "Ask for, or approve and perform, a quarantined item's release (two different operators, never the requester)",
    description:
      'The first call asks (`release_requested`); a call by a different operator approves it and writes the item to the ' +
      "pipeline's `quarantine.releaseTo`, verified against the staged size and hash (`released`). Refusals name their " +
      '`code`: `requester_cannot_release` (403), `same_person`, `already_released`, `quarantine_expired`, ' +
      '`quarantine_purged`, `no_release_destination` (409).',
    tags: ['quarantine'],
    request: { params: QuarantineIdParam, body: { content: { 'application/json': { schema: ReleaseBody } }, required: true } },
    responses: {
      200: json(ReleaseResult, 'Requested, or released'),
      400: e400,
      401: e401,
      403: e403,
      404: e404,
      409: e409,
      413: e413,
      429: e429,
    },
  },
  { kind: 'roles', roles: RELEASE_ROLES },
);

const cancel = defineRoute(
  {
    method: 'post',
    path: '/api/v1/quarantine/{id}/cancel',
    summary: 'Withdraw a release request (the item stays held)',
    tags: ['quarantine'],
    request: { params: QuarantineIdParam, body: { content: { 'application/json': { schema: CancelReleaseBody } }, required: false } },
    responses: { 200: json(QuarantinedItem, 'Held again'), 400: e400, 401: e401, 403: e403, 404: e404, 409: e409, 413: e413, 429: e429 },
  },
  { kind: 'roles', roles: RELEASE_ROLES },
);

/**
 * The quarantine queue. Listing is for operators and auditors; asking for, approving and withdrawing a release
 * for operators only, with the two-person rule and the requester exclusion enforced by the store functions.
 * Item names appear as elsewhere: as their hash when the ticket's pipeline redacts names.
 */
export function registerQuarantineRoutes(app: OpenAPIHono<AppEnv>, deps: QuarantineRouteDeps): void {
  const { db } = deps;

  app.openapi(list, async (c) => {
    const { state } = c.req.valid('query');
    return c.json({ items: await listQuarantine(db, state ? { states: [state] } : {}) }, 200);
  });

  app.openapi(release, async (c) => {
    if (!deps.release) throw new AirlockError('not_found', 'Quarantine release is not enabled in this process.');
    const result = await releaseQuarantinedItem(db, deps.release, c.req.valid('param').id, callerOf(c), c.req.valid('json'));
    return c.json(result, 200);
  });

  app.openapi(cancel, async (c) => {
    const input = c.req.valid('json') ?? {};
    return c.json(await cancelReleaseRequest(db, c.req.valid('param').id, callerOf(c), input), 200);
  });
}
