import { sql } from 'kysely';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendName, createTestStore, type TestStore } from '../../test/test-store.js';
import { AirlockError } from '../errors.js';
import { createTicket, getTicketRow } from '../tickets/ticket-store.js';
import { TicketQueue } from './ticket-queue.js';

let store: TestStore;
let queue: TicketQueue;
const attempts = new Map<string, number>();
const failures = new Map<string, string>();
/** What each ticket's job does, by purpose: the handlers below are the real queue's callers. */
const behaviour: Record<string, (attempt: number) => void> = {
  ok: () => {},
  'flaky-twice': (attempt) => {
    if (attempt <= 2) throw new AirlockError('connector_unreachable', 'source not reachable yet');
  },
  'always-transient': () => {
    throw new AirlockError('connector_unreachable', 'source never comes back');
  },
  permanent: () => {
    throw new AirlockError('connector_failed', 'source folder does not exist');
  },
};

beforeAll(async () => {
  store = await createTestStore();
  queue = await TicketQueue.start(store, { retryLimit: 2, retryDelaySeconds: 1, concurrency: 2 }, pino({ level: 'silent' }), {
    maintenance: false,
  });
  await queue.work({
    async process(ticketId, job) {
      attempts.set(ticketId, job.attempt);
      const ticket = await getTicketRow(store.db, ticketId);
      behaviour[ticket.purpose]!(job.attempt);
    },
    async fail(ticketId, reason) {
      failures.set(ticketId, reason);
    },
  });
});
afterAll(async () => {
  await queue.stop();
  await store.close();
});

async function submit(purpose: string) {
  return createTicket(
    store.db,
    { pipeline: 'p', requester: 'r', purpose, deliveryMode: 'per-item', policy: 'default' },
    { afterInsert: (trx, row) => queue.enqueue(row.id, trx) },
  );
}

async function until(predicate: () => boolean, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe(`ticket queue on pg-boss (${backendName})`, () => {
  it('a created ticket is picked up by a worker', async () => {
    const t = await submit('ok');
    await until(() => attempts.has(t.id));
    expect(attempts.get(t.id)).toBe(1);
    expect(failures.has(t.id)).toBe(false);
  });

  it('retries a transient failure with backoff until it succeeds', async () => {
    const t = await submit('flaky-twice');
    await until(() => attempts.get(t.id) === 3);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(failures.has(t.id)).toBe(false);
  });

  it('after the last retry of a transient failure, the ticket is failed with the reason', async () => {
    const t = await submit('always-transient');
    await until(() => failures.has(t.id));
    expect(attempts.get(t.id)).toBe(3);
    expect(failures.get(t.id)).toBe('source never comes back');
  });

  it('a permanent failure is not retried: the ticket fails at once with the reason', async () => {
    const t = await submit('permanent');
    await until(() => failures.has(t.id));
    expect(attempts.get(t.id)).toBe(1);
    expect(failures.get(t.id)).toBe('source folder does not exist');
  });

  it('a ticket whose transaction rolls back leaves no job behind', async () => {
    let rolledBack = '';
    await expect(
      store.db.transaction().execute(async (trx) => {
        const row = await createTicket(
          trx,
          { pipeline: 'p', requester: 'r', purpose: 'ok', deliveryMode: 'per-item', policy: 'default' },
          { afterInsert: (inner, r) => queue.enqueue(r.id, inner) },
        );
        rolledBack = row.id;
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(rolledBack).not.toBe('');
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from pgboss.job where data->>'ticketId' = ${rolledBack}`.execute(
      store.db,
    );
    expect(rows[0]?.n).toBe(0);
  });
});
