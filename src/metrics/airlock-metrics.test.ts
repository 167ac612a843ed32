import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseExposition } from '../../test/parse-exposition.js';
import { backendName, createTestStore, type TestStore } from '../../test/test-store.js';
import { AirlockError } from '../errors.js';
import { TICKET_STATES } from '../tickets/states.js';
import { createTicket, transitionTicket } from '../tickets/ticket-store.js';
import { AirlockMetrics, metrics, setMetrics } from './airlock-metrics.js';

let store: TestStore;
beforeAll(async () => {
  store = await createTestStore();
});
afterAll(async () => {
  await store.close();
});
afterEach(() => setMetrics(undefined));

const newTicket = () =>
  createTicket(store.db, { pipeline: 'p', requester: 'alice', purpose: 'metrics', deliveryMode: 'per-item', policy: 'default' });

describe(`Airlock metrics (${backendName})`, () => {
  it('counts tickets by state from the database at each scrape, every state present', async () => {
    const m = new AirlockMetrics({ db: store.db });
    await newTicket();
    await newTicket();
    const cancelled = await newTicket();
    await transitionTicket(store.db, cancelled.id, 'cancelled', { actor: 'alice' });
    const first = await m.render();
    expect(first).toContain('\nairlock_tickets{state="requested"} 2\n');
    expect(first).toContain('\nairlock_tickets{state="cancelled"} 1\n');
    expect(first).toContain('\nairlock_tickets{state="delivered"} 0\n');
    const samples = parseExposition(first);
    for (const state of TICKET_STATES) expect(samples.has(`airlock_tickets{state="${state}"}`)).toBe(true);

    const picked = await newTicket();
    await transitionTicket(store.db, picked.id, 'fetching', { actor: 'worker', from: 'requested' });
    const second = parseExposition(await m.render());
    expect(second.get('airlock_tickets{state="requested"}')).toBe(2);
    expect(second.get('airlock_tickets{state="fetching"}')).toBe(1);
  });

  it('renders only well-formed samples, with the process gauges and zeroed transfer counters', async () => {
    const m = new AirlockMetrics({ db: store.db, queueDepth: async () => ({ 'ticket-process': 3, 'ticket-dead': 0 }) });
    m.observeCheck('patterns', 12);
    m.observeTransfer('fetch', 0.5, 1024, true);
    m.observeApproval(600);
    const samples = parseExposition(await m.render());
    expect(samples.get('airlock_up')).toBe(1);
    expect(samples.get('process_start_time_seconds')).toBeCloseTo(Date.now() / 1000 - process.uptime(), -1);
    expect(samples.get('airlock_queue_depth{queue="ticket-process"}')).toBe(3);
    expect(samples.get('airlock_queue_depth{queue="ticket-dead"}')).toBe(0);
    expect(samples.get('airlock_items_total{phase="deliver",outcome="failed"}')).toBe(0);
    expect(samples.get('airlock_bytes_moved_total{phase="deliver"}')).toBe(0);
    expect(samples.get('airlock_check_duration_seconds_bucket{check="patterns",le="0.05"}')).toBe(1);
    expect(samples.get('airlock_check_duration_seconds_bucket{check="patterns",le="0.01"}')).toBe(0);
    expect(samples.get('airlock_approval_latency_seconds_bucket{le="900"}')).toBe(1);
    expect(samples.get('airlock_approval_latency_seconds_sum')).toBe(600);
  });

  it('counts bytes and items of every attempt, and times only the successful ones', async () => {
    const m = new AirlockMetrics({ db: store.db });
    m.observeTransfer('deliver', 2, 100, true);
    m.observeTransfer('deliver', 30, 40, false);
    const samples = parseExposition(await m.render());
    expect(samples.get('airlock_bytes_moved_total{phase="deliver"}')).toBe(140);
    expect(samples.get('airlock_items_total{phase="deliver",outcome="ok"}')).toBe(1);
    expect(samples.get('airlock_items_total{phase="deliver",outcome="failed"}')).toBe(1);
    expect(samples.get('airlock_transfer_duration_seconds_count{phase="deliver"}')).toBe(1);
    expect(samples.get('airlock_transfer_duration_seconds_sum{phase="deliver"}')).toBe(2);
  });

  it('rejects the scrape with store_unavailable when the database is closed', async () => {
    const closed = await createTestStore();
    await closed.close();
    const attempt = new AirlockMetrics({ db: closed.db }).render();
    await expect(attempt).rejects.toBeInstanceOf(AirlockError);
    await expect(attempt).rejects.toMatchObject({ code: 'store_unavailable', status: 503 });
    await expect(attempt).rejects.toThrow(/could not be read from the database/);
  });

  it('rejects the scrape when the queue depth cannot be read, without partial output', async () => {
    const m = new AirlockMetrics({
      db: store.db,
      queueDepth: async () => {
        throw new Error('connection terminated');
      },
    });
    await expect(m.render()).rejects.toMatchObject({ code: 'store_unavailable' });
  });

  it('records nothing and costs nothing until a process sets its metrics, then records into them', async () => {
    expect(() => metrics().observeTransfer('fetch', 1, 10, true)).not.toThrow();
    const m = new AirlockMetrics({ db: store.db });
    setMetrics(m);
    expect(metrics()).toBe(m);
    metrics().observeTransfer('fetch', 1, 10, true);
    expect(parseExposition(await m.render()).get('airlock_bytes_moved_total{phase="fetch"}')).toBe(10);
    setMetrics(undefined);
    expect(metrics()).not.toBe(m);
  });
});
