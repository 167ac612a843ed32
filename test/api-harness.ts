// Shared setup for the HTTP API tests: a migrated store, a real job queue on it (no workers, so tickets stay
// where the test puts them), a pipelines folder written to a temp dir, and the Hono app driven in-process.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { z } from '@hono/zod-openapi';
import { expect } from 'vitest';
import type { Role } from '../src/auth/roles.js';
import { createToken } from '../src/auth/token-store.js';
import { addUser } from '../src/auth/user-store.js';
import type { Db } from '../src/db/database.js';
import type { Problem } from '../src/http/api-schemas.js';
import { createApp, type AppDeps } from '../src/http/app.js';
import { QUEUES, TicketQueue } from '../src/jobs/ticket-queue.js';
import { createLogger } from '../src/log/logger.js';
import type { RequiredApprovals } from '../src/policy/evaluate-policy.js';
import { replaceItems, updateItem } from '../src/tickets/item-store.js';
import { createTicket, transitionTicket } from '../src/tickets/ticket-store.js';
import { createTestStore, type TestStore } from './test-store.js';

export const ROLE_NAMES = ['requester', 'approver', 'operator', 'auditor', 'admin'] as const satisfies readonly Role[];

/** What a test pipeline differs in; every pipeline moves local → local under the harness's temp folder. */
export interface PipelineSpec {
  approvers?: string[];
  redactNames?: boolean;
}

export interface CallOptions {
  method?: string;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** Serialised as the body, with `content-type: application/json`. */
  json?: unknown;
  /** A raw body (sent as given, with `content-type: application/json` unless `headers` says otherwise). */
  body?: string;
  headers?: Record<string, string>;
  /** The peer address the request appears to come from (the failed-sign-in limiter keys on it). */
  address?: string;
  /** Another app on the same store (see `buildApp`). */
  app?: ReturnType<typeof createApp>;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  text: string;
  json<T = Record<string, unknown>>(): T;
}

export type ProblemJson = z.infer<typeof Problem>;

export interface ApiHarness {
  store: TestStore;
  db: Db;
  app: ReturnType<typeof createApp>;
  queue: TicketQueue;
  pipelinesDir: string;
  /** Ticket ids passed to `enqueue`, in call order (each call also really enqueues, in the caller's transaction). */
  enqueued: string[];
  /** Ticket ids passed to `purge`, in call order. */
  purged: string[];
  /** Another app on the same store, queue and pipelines, with some dependencies replaced. */
  buildApp(overrides?: Partial<AppDeps>): ReturnType<typeof createApp>;
  /** Adds a user with these roles and returns a fresh API token for them. */
  user(name: string, roles: readonly Role[], options?: { groups?: string[] }): Promise<string>;
  call(path: string, options?: CallOptions): Promise<ApiResponse>;
  /** Processing jobs queued for a ticket. */
  jobsFor(ticketId: string): Promise<number>;
  close(): Promise<void>;
}

export async function createApiHarness(options: { pipelines: Record<string, PipelineSpec>; app?: Partial<AppDeps> }): Promise<ApiHarness> {
  const store = await createTestStore();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'airlock-api-'));
  const pipelinesDir = path.join(dir, 'pipelines');
  await writePipelines(pipelinesDir, options.pipelines);
  const logger = createLogger({ level: 'silent', pretty: false });
  const queue = await TicketQueue.start(store, { retryLimit: 1, retryDelaySeconds: 1, concurrency: 1 }, logger, { maintenance: false });
  const enqueued: string[] = [];
  const purged: string[] = [];
  const buildApp = (overrides: Partial<AppDeps> = {}) =>
    createApp({
      db: store.db,
      logger,
      version: '0.0.0-test',
      queueReady: () => queue.boss.isInstalled(),
      pipelinesDir,
      enqueue: async (trx, ticketId) => {
        enqueued.push(ticketId);
        await queue.enqueue(ticketId, trx);
      },
      purge: async (ticketId) => {
        purged.push(ticketId);
      },
      metrics: { render: async () => 'airlock_up 1\n', contentType: 'text/plain; version=0.0.4; charset=utf-8' },
      // High, so that tests sending many bad tokens from one address are not refused; tests of the limit lower it.
      authFailureLimit: 1000,
      ...options.app,
      ...overrides,
    });
  const app = buildApp();

  return {
    store,
    db: store.db,
    app,
    queue,
    pipelinesDir,
    enqueued,
    purged,
    buildApp,
    async user(name, roles, userOptions = {}) {
      await addUser(store.db, { name, email: `${name}@example.com`, roles });
      if (userOptions.groups) await store.db.updateTable('users').set({ groups: userOptions.groups }).where('name', '=', name).execute();
      return (await createToken(store.db, name)).token;
    },
    call: (target, callOptions) => call(callOptions?.app ?? app, target, callOptions),
    async jobsFor(ticketId) {
      return (await queue.boss.findJobs(QUEUES.processTicket, { key: ticketId })).length;
    },
    async close() {
      await queue.stop();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function writePipelines(dir: string, pipelines: Record<string, PipelineSpec>): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [name, spec] of Object.entries(pipelines)) {
    // YAML is a superset of JSON, so the file is written as JSON.
    const yaml = {
      name,
      source: { kind: 'local', root: '../inbox', include: ['**/*'] },
      destination: { kind: 'local', root: '../outbox' },
      policy: 'default',
      delivery: 'per-item',
      approvers: (spec.approvers ?? []).map((a) => ({ name: a, email: `${a}@example.com` })),
      checks: ['filetype', 'patterns'],
      trigger: { manual: true },
      redactNames: spec.redactNames ?? false,
    };
    await writeFile(path.join(dir, `${name}.yaml`), JSON.stringify(yaml, null, 2));
  }
}

/**
 * One request, in-process. Every error response is checked against the API's error contract on the way:
 * RFC 9457 problem+json with a stable `code` and the HTTP status repeated in the body.
 */
async function call(app: ReturnType<typeof createApp>, target: string, options: CallOptions = {}): Promise<ApiResponse> {
  const headers: Record<string, string> = {};
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  if (options.json !== undefined || options.body !== undefined) headers['content-type'] = 'application/json';
  Object.assign(headers, options.headers);
  const body = options.body ?? (options.json === undefined ? undefined : JSON.stringify(options.json));
  const method = options.method ?? (body === undefined ? 'GET' : 'POST');
  const env = { incoming: { socket: { remoteAddress: options.address ?? '192.0.2.1' } } };
  const response = await app.request(target, { method, headers, ...(body !== undefined ? { body } : {}) }, env);
  const text = await response.text();
  const result: ApiResponse = { status: response.status, headers: response.headers, text, json: <T>() => JSON.parse(text) as T };
  if (response.status >= 400) {
    const where = `${method} ${target} → ${response.status}: ${text}`;
    expect(response.headers.get('content-type'), where).toBe('application/problem+json');
    expect(result.json<ProblemJson>(), where).toMatchObject({ status: response.status, code: expect.stringMatching(/^[a-z_]+$/) });
  }
  return result;
}

/** A problem body without the parts that differ per request. */
export function comparable(problem: ProblemJson): Omit<ProblemJson, 'instance' | 'requestId'> {
  const rest: Partial<ProblemJson> = { ...problem };
  delete rest.instance;
  delete rest.requestId;
  return rest as Omit<ProblemJson, 'instance' | 'requestId'>;
}

export const sha = (c: string) => c.repeat(64);

/**
 * A ticket as the engine leaves it when a reviewer must decide: items staged with hashes, the ticket in
 * `awaiting_approval`, and its decision asking for `required`. Built directly in the database.
 */
export async function ticketAwaitingApproval(
  db: Db,
  ticket: { requester: string; approvers: string[]; pipeline?: string },
  options: { paths?: string[]; required?: RequiredApprovals[]; policyVersion?: string } = {},
) {
  const row = await createTicket(db, {
    pipeline: ticket.pipeline ?? 'dual',
    requester: ticket.requester,
    purpose: 'reviewed transfer',
    deliveryMode: 'per-item',
    policy: 'default',
    approvers: ticket.approvers,
  });
  const items = await replaceItems(db, row.id, options.paths ?? ['statements/q1.csv', 'statements/q2.csv']);
  for (const [i, item] of items.entries()) {
    await updateItem(db, item.id, {
      state: 'inspected',
      size: 1000 + i,
      sha256: sha(String(i + 1)),
      verdict: 'review',
      rule: 'review-sensitive',
      reasons: JSON.stringify(['review-sensitive: 1 distinct iban value']),
    });
  }
  for (const to of ['fetching', 'inspecting', 'awaiting_approval'] as const)
    await transitionTicket(db, row.id, to, { actor: 'worker:test' });
  await db
    .insertInto('decisions')
    .values({
      ticket_id: row.id,
      verdict: 'review',
      rule: 'review-sensitive',
      reasons: JSON.stringify(['review-sensitive: 1 distinct iban value']),
      policy: 'default',
      policy_version: options.policyVersion ?? 'policy-v1',
      required_approvals: JSON.stringify(options.required ?? [{ count: 1, groups: [], distinctGroups: false }]),
    })
    .execute();
  return { ticket: row, items };
}
