import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendName, createTestStore, type TestStore } from '../../../../test/test-store.js';
import type { Finding } from '../../../../checks/check.js';
import { addUser } from '../../../auth/user-store.js';
import { AirlockError } from '../../../errors.js';
import { escalateTicket } from '../../../tickets/escalation.js';
import { recordInspectedItem, replaceItems, updateItem } from '../../../tickets/item-store.js';
import { canTransition, TERMINAL_STATES, type TicketState } from '../../../tickets/states.js';
import { createTicket } from '../../../tickets/ticket-store.js';
import { loadOverviewStats, type OverviewStats } from './overview-stats.js';

// transitionTicket stamps events with the database's clock and ticket_events refuses updates, so histories
// at chosen times are written here: the same rows transitionTicket writes, each move checked against the
// state machine. Tickets, items, findings and escalations go through the real store functions.

let store: TestStore;
const NOW = new Date('2024-03-14T15:00:00Z');
const to = (state: TicketState, at: string): [TicketState, string] => [state, at];
const allowed = (at: string) => [to('fetching', at), to('inspecting', at), to('allowed', at), to('delivering', at)];
const waiting = (entered: string) => [to('fetching', entered), to('inspecting', entered), to('awaiting_approval', entered)];
const waited = (entered: string, left: TicketState, at: string) => [...waiting(entered), to(left, at)];

async function ticket(options: { pipeline?: string; created: string; history?: Array<[TicketState, string]> }): Promise<string> {
  const { db } = store;
  const row = await createTicket(db, {
    pipeline: options.pipeline ?? 'finance',
    requester: 'alice',
    purpose: 'overview',
    deliveryMode: 'per-item',
    policy: 'default',
  });
  await db
    .updateTable('tickets')
    .set({ created_at: new Date(options.created) })
    .where('id', '=', row.id)
    .execute();
  await moveTicket(row.id, options.history ?? []);
  return row.id;
}

async function moveTicket(id: string, history: Array<[TicketState, string]>): Promise<void> {
  const { db } = store;
  for (const [next, at] of history) {
    const current = await db.selectFrom('tickets').select('state').where('id', '=', id).executeTakeFirstOrThrow();
    if (!canTransition(current.state, next)) throw new Error(`test history moves ${current.state} → ${next}`);
    const last = await db
      .selectFrom('ticket_events')
      .select((eb) => eb.fn.max('seq').as('seq'))
      .where('ticket_id', '=', id)
      .executeTakeFirstOrThrow();
    const when = new Date(at);
    await db
      .insertInto('ticket_events')
      .values({
        ticket_id: id,
        seq: Number(last.seq) + 1,
        actor: 'worker:test',
        from_state: current.state,
        to_state: next,
        reason: null,
        at: when,
      })
      .execute();
    await db
      .updateTable('tickets')
      .set({ state: next, updated_at: when, ...(TERMINAL_STATES.has(next) ? { finished_at: when } : {}) })
      .where('id', '=', id)
      .execute();
  }
}

/** Items inspected with these findings, then delivered at `delivered`, or failed when it is absent. */
async function items(ticketId: string, files: Array<{ size: number; detectors?: string[]; delivered?: string }>): Promise<void> {
  const rows = await replaceItems(
    store.db,
    ticketId,
    files.map((_, i) => `in/file-${i}.csv`),
  );
  for (const [i, file] of files.entries()) {
    const row = rows[i]!;
    const findings: Finding[] = (file.detectors ?? []).map((detector) => ({
      check: 'patterns',
      detector,
      severity: 'high',
      confidence: 0.9,
      location: { line: 1 },
      excerpt: '****',
    }));
    await recordInspectedItem(store.db, {
      id: row.id,
      ticketId,
      size: file.size,
      sha256: 'a'.repeat(64),
      type: undefined,
      runs: [{ check: 'patterns', version: '1', status: 'ok', durationMs: 1, findings }],
      verdict: { verdict: 'allow', rule: 'default', reasons: [] },
      actor: 'worker:test',
    });
    if (file.delivered) {
      await updateItem(store.db, row.id, { state: 'delivered', destination_path: `out/file-${i}.csv` });
      await store.db
        .updateTable('items')
        .set({ updated_at: new Date(file.delivered) })
        .where('id', '=', row.id)
        .execute();
    } else await updateItem(store.db, row.id, { state: 'failed', error: 'destination refused the file' });
  }
}

let stats: OverviewStats;

beforeAll(async () => {
  store = await createTestStore();
  await addUser(store.db, { name: 'olga', email: 'olga@example.com', roles: ['operator'] });

  // Out of the window: finished, delivered, inspected and waited just before 1 March.
  const before = await ticket({
    created: '2024-02-29T20:00:00Z',
    history: [...allowed('2024-02-29T21:00:00Z'), to('delivered', '2024-02-29T23:59:59Z')],
  });
  await items(before, [{ size: 1_000_000, detectors: ['old_detector'], delivered: '2024-02-29T23:59:00Z' }]);
  await ticket({ created: '2024-02-28T00:00:00Z', history: waited('2024-02-28T00:00:00Z', 'approved', '2024-02-29T23:00:00Z') });

  // 2 March: one delivered, one partially delivered (its failed item moved nothing), both in finance.
  const a = await ticket({
    created: '2024-03-02T09:00:00Z',
    history: [...allowed('2024-03-02T09:30:00Z'), to('delivered', '2024-03-02T10:00:00Z')],
  });
  await items(a, [
    { size: 1000, detectors: ['credit_card', 'credit_card', 'iban'], delivered: '2024-03-02T09:59:00Z' },
    { size: 500, delivered: '2024-03-02T09:59:30Z' },
  ]);
  const b = await ticket({
    created: '2024-03-02T22:00:00Z',
    history: [...allowed('2024-03-02T22:00:00Z'), to('partially_delivered', '2024-03-02T23:59:59Z')],
  });
  await items(b, [{ size: 2048, delivered: '2024-03-02T23:59:00Z' }, { size: 99_999 }]);

  // 3 March: an escalation whose response SLA was breached, then cancelled.
  const m = await ticket({ created: '2024-03-03T09:00:00Z' });
  await escalateTicket(store.db, m, 'alice', { slaMinutes: 30, now: new Date('2024-03-03T10:00:00Z') });
  await store.db
    .updateTable('tickets')
    .set({ sla_breached_at: new Date('2024-03-03T10:31:00Z') })
    .where('id', '=', m)
    .execute();
  await moveTicket(m, [to('cancelled', '2024-03-03T12:00:00Z')]);

  // 5 March, at midnight exactly: blocked in hr, with three findings.
  const c = await ticket({
    pipeline: 'hr',
    created: '2024-03-04T23:00:00Z',
    history: [to('fetching', '2024-03-04T23:00:00Z'), to('inspecting', '2024-03-04T23:10:00Z'), to('blocked', '2024-03-05T00:00:00Z')],
  });
  await items(c, [{ size: 777, detectors: ['aws_key', 'aws_key', 'aws_key'] }]);

  // Waits for approval: rejected after 10 min (6 March), expired after a day (7 March), five approved on 8 March.
  // The rejected one was escalated while waiting: that note (awaiting_approval → awaiting_approval) is no new wait.
  const d = await ticket({
    pipeline: 'hr',
    created: '2024-03-06T09:00:00Z',
    history: waiting('2024-03-06T10:00:00Z'),
  });
  await escalateTicket(store.db, d, 'alice', { slaMinutes: 60, now: new Date('2024-03-06T10:05:00Z') });
  await moveTicket(d, [to('rejected', '2024-03-06T10:10:00Z')]);
  await ticket({
    pipeline: 'hr',
    created: '2024-03-05T23:00:00Z',
    history: waited('2024-03-06T00:00:00Z', 'expired', '2024-03-07T00:00:00Z'),
  });
  for (const [i, seconds] of [60, 120, 180, 240, 1200].entries()) {
    const left = new Date(Date.parse('2024-03-08T12:00:00Z') + seconds * 1000).toISOString();
    const id = await ticket({
      pipeline: 'ops',
      created: '2024-03-08T11:00:00Z',
      history: [...waited('2024-03-08T12:00:00Z', 'approved', left), to('delivering', left), to('delivered', left)],
    });
    if (i === 0) await items(id, [{ size: 4096, detectors: ['credit_card'], delivered: left }]);
  }

  // 10 March: cancelled before work started, and cancelled while awaiting approval (not an approval wait).
  await ticket({ created: '2024-03-10T08:00:00Z', history: [to('cancelled', '2024-03-10T08:30:00Z')] });
  await ticket({ created: '2024-03-09T23:00:00Z', history: waited('2024-03-10T00:00:00Z', 'cancelled', '2024-03-10T01:00:00Z') });

  // Still open: awaiting approval since 13 March; escalated past its SLA (breach reported 13 March); escalated within it.
  await ticket({
    created: '2024-03-13T08:00:00Z',
    history: waiting('2024-03-13T08:01:00Z'),
  });
  const k = await ticket({ created: '2024-03-13T09:00:00Z' });
  await escalateTicket(store.db, k, 'alice', { slaMinutes: 60, now: new Date('2024-03-13T10:00:00Z') });
  await store.db
    .updateTable('tickets')
    .set({ sla_breached_at: new Date('2024-03-13T11:05:00Z') })
    .where('id', '=', k)
    .execute();
  const l = await ticket({ created: '2024-03-14T14:00:00Z' });
  await escalateTicket(store.db, l, 'alice', { slaMinutes: 60, now: new Date('2024-03-14T14:30:00Z') });
  const n = await ticket({ created: '2024-02-20T00:00:00Z' });
  await store.db
    .updateTable('tickets')
    .set({ sla_breached_at: new Date('2024-02-29T12:00:00Z') })
    .where('id', '=', n)
    .execute();

  // Today: one failure.
  await ticket({
    created: '2024-03-14T13:00:00Z',
    history: [to('fetching', '2024-03-14T13:00:00Z'), to('failed', '2024-03-14T14:00:00Z')],
  });

  stats = await loadOverviewStats(store.db, { now: NOW, days: 14 });
});
afterAll(async () => {
  await store?.close();
});

const zero = { delivered: 0, blocked: 0, rejected: 0, cancelled: 0, failed: 0 };

describe(`overview stats (${backendName})`, () => {
  it('covers the last 14 UTC days, today included, oldest first', () => {
    expect(stats.days).toHaveLength(14);
    expect(stats.days[0]).toBe('2024-03-01');
    expect(stats.days[13]).toBe('2024-03-14');
    expect(stats.from).toEqual(new Date('2024-03-01T00:00:00Z'));
    expect(stats.to).toEqual(new Date('2024-03-15T00:00:00Z'));
  });

  it('counts finished tickets per UTC day by outcome, every day present, boundaries on the right day', () => {
    const expected: Record<string, Partial<typeof zero>> = {
      '2024-03-02': { delivered: 2 },
      '2024-03-03': { cancelled: 1 },
      '2024-03-05': { blocked: 1 },
      '2024-03-06': { rejected: 1 },
      '2024-03-07': { rejected: 1 },
      '2024-03-08': { delivered: 5 },
      '2024-03-10': { cancelled: 2 },
      '2024-03-14': { failed: 1 },
    };
    expect(stats.ticketsPerDay).toEqual(stats.days.map((day) => ({ day, outcomes: { ...zero, ...expected[day] } })));
    expect(stats.ticketsPerDay.find((d) => d.day === '2024-03-01')?.outcomes).toEqual(zero);
  });

  it('sums the bytes of delivered items only, per pipeline, most first', () => {
    expect(stats.bytesByPipeline).toEqual([
      { pipeline: 'ops', bytes: 4096, items: 1 },
      { pipeline: 'finance', bytes: 1000 + 500 + 2048, items: 3 },
    ]);
  });

  it('measures approval waits from entering awaiting_approval to approved, rejected or expired: median and p90', () => {
    // Seven waits in the window: 60, 120, 180, 240, 600, 1200, 86400 s. p90 interpolates at 0.9 × 6 = 5.4.
    expect(stats.approvalLatency.overall).toEqual({ count: 7, medianSeconds: 240, p90Seconds: 1200 + 0.4 * (86_400 - 1200) });
    const byDay = Object.fromEntries(stats.approvalLatency.perDay.map(({ day, ...rest }) => [day, rest]));
    expect(byDay['2024-03-06']).toEqual({ count: 1, medianSeconds: 600, p90Seconds: 600 });
    expect(byDay['2024-03-07']).toEqual({ count: 1, medianSeconds: 86_400, p90Seconds: 86_400 });
    // 60, 120, 180, 240, 1200: p90 at 0.9 × 4 = 3.6, between 240 and 1200.
    expect(byDay['2024-03-08']).toEqual({ count: 5, medianSeconds: 180, p90Seconds: 816 });
    expect(byDay['2024-03-10']).toEqual({ count: 0, medianSeconds: null, p90Seconds: null });
    expect(stats.approvalLatency.perDay.map((d) => d.day)).toEqual(stats.days);
    expect(stats.approvalLatency.perDay.reduce((sum, d) => sum + d.count, 0)).toBe(7);
  });

  it('counts findings by detector for tickets created in the window, without excerpts', () => {
    expect(stats.findingsByDetector).toEqual([
      { detector: 'aws_key', count: 3 },
      { detector: 'credit_card', count: 3 },
      { detector: 'iban', count: 1 },
    ]);
    expect(JSON.stringify(stats)).not.toContain('****');
  });

  it('counts SLA breaches per day reported, and open escalations past their response SLA now', () => {
    const breaches = Object.fromEntries(stats.slaBreachesPerDay.map((d) => [d.day, d.count]));
    expect(stats.slaBreachesPerDay.map((d) => d.day)).toEqual(stats.days);
    expect(breaches).toEqual(Object.fromEntries(stats.days.map((day) => [day, day === '2024-03-03' || day === '2024-03-13' ? 1 : 0])));
    expect(stats.openEscalationsPastSla).toBe(1);
  });

  it('gives zero days and empty lists for a window with no activity', async () => {
    const empty = await loadOverviewStats(store.db, { now: new Date('2023-01-10T23:59:59Z'), days: 3 });
    expect(empty.days).toEqual(['2023-01-08', '2023-01-09', '2023-01-10']);
    expect(empty.ticketsPerDay).toEqual(empty.days.map((day) => ({ day, outcomes: zero })));
    expect(empty.bytesByPipeline).toEqual([]);
    expect(empty.findingsByDetector).toEqual([]);
    expect(empty.approvalLatency.overall).toEqual({ count: 0, medianSeconds: null, p90Seconds: null });
    expect(empty.slaBreachesPerDay).toEqual(empty.days.map((day) => ({ day, count: 0 })));
  });

  it('refuses a window that is not 1 to 366 whole days', async () => {
    for (const days of [0, 1.5, 367]) {
      await expect(loadOverviewStats(store.db, { now: NOW, days })).rejects.toSatisfy(
        (e) => e instanceof AirlockError && e.code === 'invalid_input',
      );
    }
  });
});
