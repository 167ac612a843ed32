// retryTicket: a new ticket repeating a failed one, made and enqueued like any submission, linked both ways.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendName, createTestStore, type TestStore } from '../../test/test-store.js';
import { AirlockError } from '../errors.js';
import type { Db } from '../db/database.js';
import { retryTicket } from './retry-ticket.js';
import { formatTicketNumber } from './states.js';
import { submitTicket, type SubmitDeps } from './submit-ticket.js';
import { listEvents, transitionTicket } from './ticket-store.js';

let store: TestStore;
let dir: string;
let deps: SubmitDeps;
const enqueued: string[] = [];

beforeAll(async () => {
  store = await createTestStore();
  dir = await mkdtemp(path.join(os.tmpdir(), 'airlock-retry-'));
  const pipeline = {
    name: 'nightly',
    source: { kind: 'local', root: '../inbox', include: ['**/*'] },
    destination: { kind: 'local', root: '../outbox' },
    policy: 'default',
    delivery: 'per-item',
    approvers: [{ name: 'val', email: 'val@example.com' }],
    checks: ['filetype'],
    trigger: { manual: true },
  };
  await writeFile(path.join(dir, 'nightly.yaml'), JSON.stringify(pipeline));
  deps = {
    db: store.db,
    pipelinesDir: dir,
    enqueue: async (_trx: Db, ticketId: string) => {
      enqueued.push(ticketId);
    },
  };
});
afterAll(async () => {
  await store?.close();
  await rm(dir, { recursive: true, force: true });
});

async function failedTicket(purpose = 'monthly ledger', selection?: { include: string[] }) {
  const row = await submitTicket(deps, { pipeline: 'nightly', requester: 'rita', purpose, selection });
  await transitionTicket(store.db, row.id, 'failed', { actor: 'worker:test', reason: 'source unreachable' });
  return row;
}

describe(`retryTicket (${backendName})`, () => {
  it('makes a new ticket with the same pipeline, requester, purpose and selection, linked to the failed one and enqueued', async () => {
    const failed = await failedTicket('monthly ledger', { include: ['ledger/*.csv'] });
    const retry = await retryTicket(deps, failed.id, 'olga');
    expect(retry).toMatchObject({
      pipeline: 'nightly',
      requester: 'rita',
      purpose: 'monthly ledger',
      selection: { include: ['ledger/*.csv'] },
      state: 'requested',
      retry_of: failed.id,
    });
    expect(retry.number).toBeGreaterThan(failed.number);
    expect(enqueued.at(-1)).toBe(retry.id);
    const stored = await store.db.selectFrom('tickets').select(['retry_of']).where('id', '=', retry.id).executeTakeFirstOrThrow();
    expect(stored.retry_of).toBe(failed.id);

    // The approvers are copied as for any submission; the operator who retried it follows it.
    const participants = await store.db
      .selectFrom('ticket_participants')
      .select(['user_name', 'role'])
      .where('ticket_id', '=', retry.id)
      .orderBy('role')
      .execute();
    expect(participants).toEqual([
      { user_name: 'val', role: 'approver' },
      { user_name: 'olga', role: 'operator' },
    ]);

    const oldEvents = await listEvents(store.db, failed.id);
    expect(oldEvents.at(-1)).toMatchObject({
      actor: 'olga',
      from_state: 'failed',
      to_state: 'failed',
      reason: `retried as ${formatTicketNumber(retry.number)} by olga`,
    });
    const newEvents = await listEvents(store.db, retry.id);
    expect(newEvents[0]).toMatchObject({ to_state: 'requested', reason: `retry of ${formatTicketNumber(failed.number)} by olga` });
    const audit = await store.db
      .selectFrom('audit_log')
      .select(['actor', 'details'])
      .where('kind', '=', 'ticket.retried')
      .where('ticket_id', '=', failed.id)
      .execute();
    expect(audit).toEqual([
      { actor: 'olga', details: expect.objectContaining({ retry: formatTicketNumber(retry.number), retryId: retry.id }) },
    ]);
  });

  it('refuses a second retry of the same ticket (409), naming the first, and leaves nothing behind', async () => {
    const failed = await failedTicket();
    const first = await retryTicket(deps, failed.id, 'olga');
    const count = async () =>
      Number(
        (
          await store.db
            .selectFrom('tickets')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    const before = { tickets: await count(), enqueued: enqueued.length };
    const again = await retryTicket(deps, failed.id, 'oscar').catch((e: unknown) => e);
    expect(again).toBeInstanceOf(AirlockError);
    expect(again).toMatchObject({ status: 409, code: 'conflict' });
    expect((again as Error).message).toContain(formatTicketNumber(first.number));
    expect({ tickets: await count(), enqueued: enqueued.length }).toEqual(before);
  });

  it('lets only one of two simultaneous retries through', async () => {
    const failed = await failedTicket();
    const results = await Promise.allSettled([retryTicket(deps, failed.id, 'olga'), retryTicket(deps, failed.id, 'oscar')]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected');
    expect(rejected?.reason).toMatchObject({ status: 409 });
    const retries = await store.db.selectFrom('tickets').select('id').where('retry_of', '=', failed.id).execute();
    expect(retries).toHaveLength(1);
  });

  it('refuses a ticket that did not fail (409) and an unknown one (404)', async () => {
    const running = await submitTicket(deps, { pipeline: 'nightly', requester: 'rita', purpose: 'still going' });
    await expect(retryTicket(deps, running.id, 'olga')).rejects.toMatchObject({ status: 409, code: 'invalid_transition' });
    await expect(retryTicket(deps, '00000000-0000-4000-8000-000000000000', 'olga')).rejects.toMatchObject({ status: 404 });
  });
});
