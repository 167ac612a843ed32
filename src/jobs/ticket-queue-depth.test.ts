import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendName, createTestStore, type TestStore } from '../../test/test-store.js';
import { AirlockMetrics } from '../metrics/airlock-metrics.js';
import { createTicket } from '../tickets/ticket-store.js';
import { QUEUES, TicketQueue } from './ticket-queue.js';

// Its own file, because ticket-queue.test.ts runs workers that empty the queue as soon as a job arrives.
let store: TestStore;
let queue: TicketQueue;
beforeAll(async () => {
  store = await createTestStore();
  queue = await TicketQueue.start(store, { retryLimit: 2, retryDelaySeconds: 1, concurrency: 1 }, pino({ level: 'silent' }), {
    maintenance: false,
  });
});
afterAll(async () => {
  await queue.stop();
  await store.close();
});

describe(`ticket queue depth (${backendName})`, () => {
  it('counts the jobs waiting in each queue, as the metrics endpoint shows them', async () => {
    for (let i = 0; i < 2; i++) {
      await createTicket(
        store.db,
        { pipeline: 'p', requester: 'r', purpose: 'queued', deliveryMode: 'per-item', policy: 'default' },
        { afterInsert: (trx, row) => queue.enqueue(row.id, trx) },
      );
    }
    expect(await queue.depth()).toEqual({ [QUEUES.processTicket]: 2, [QUEUES.deadTicket]: 0, [QUEUES.pipelineSchedule]: 0 });
    const rendered = await new AirlockMetrics({ db: store.db, queueDepth: () => queue.depth() }).render();
    expect(rendered).toContain(`\nairlock_queue_depth{queue="${QUEUES.processTicket}"} 2\n`);
    expect(rendered).toContain(`\nairlock_queue_depth{queue="${QUEUES.deadTicket}"} 0\n`);
  });
});
