// Two `airlock worker` processes share one PostgreSQL and a staging area: 200 tickets are each processed
// exactly once (one transition chain per ticket, one file per item at the destination), both workers take
// part, and SIGTERM stops them cleanly. PostgreSQL only: the embedded store is one process by design.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkerCluster, workerStarted, type WorkerCluster } from './worker-cluster.js';

const TICKETS = 200;
const onPostgres = Boolean(process.env.DATABASE_URL);

describe.runIf(onPostgres)('scale-out: two worker processes on one PostgreSQL', () => {
  let cluster: WorkerCluster;
  let ids: string[];

  beforeAll(async () => {
    cluster = await createWorkerCluster();
    ids = await cluster.submit(
      Array.from({ length: TICKETS }, (_, i) => [{ name: 'report.txt', content: Buffer.from(`quarterly report ${i}\n`.repeat(40)) }]),
    );
  }, 120_000);

  afterAll(async () => {
    await cluster?.cleanup();
  });

  it(`processes ${TICKETS} tickets exactly once between them, and both stop cleanly on SIGTERM`, async () => {
    const workers = [cluster.startWorker(), cluster.startWorker()];
    await Promise.all(workers.map((w) => workerStarted(w)));
    await cluster.waitUntilSettled(ids, 240_000);

    expect(await cluster.checkInvariants(ids)).toEqual([]);
    const tickets = await cluster.store.db.selectFrom('tickets').select(['id', 'state']).where('id', 'in', ids).execute();
    expect(tickets.filter((t) => t.state !== 'delivered')).toEqual([]);
    // Exactly once: every ticket made each transition once, in order.
    const events = await cluster.store.db
      .selectFrom('ticket_events')
      .select(['ticket_id', 'to_state', 'actor'])
      .where('ticket_id', 'in', ids)
      .orderBy('ticket_id')
      .orderBy('seq')
      .execute();
    const chains = new Map<string, string[]>();
    for (const e of events) chains.set(e.ticket_id, [...(chains.get(e.ticket_id) ?? []), e.to_state]);
    const expected = ['requested', 'fetching', 'inspecting', 'allowed', 'delivering', 'delivered'].join(' ');
    expect([...chains.values()].filter((c) => c.join(' ') !== expected)).toEqual([]);
    expect(chains.size).toBe(TICKETS);
    // Both processes did part of the work (the actor names the worker's host and pid).
    const pids = workers.map((w) => w.child.pid);
    const byWorker = pids.map((pid) => new Set(events.filter((e) => e.actor.endsWith(`:${pid}`)).map((e) => e.ticket_id)).size);
    expect(
      byWorker.every((n) => n > 0),
      `tickets per worker: ${byWorker.join(', ')}`,
    ).toBe(true);
    // One worker carries each ticket from fetching to delivered: no ticket changed hands mid-way.
    expect(byWorker[0]! + byWorker[1]!).toBe(TICKETS);

    for (const w of workers) w.child.kill('SIGTERM');
    const results = await Promise.all(workers.map((w) => w.exited));
    expect(results.map((r) => r.code)).toEqual([0, 0]);
  }, 360_000);
});
