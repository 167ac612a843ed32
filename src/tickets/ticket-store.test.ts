import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendName, createTestStore, type TestStore } from '../../test/test-store.js';
import { AirlockError } from '../errors.js';
import { ACTIVE_STATES, canTransition, TERMINAL_STATES, TICKET_STATES, formatTicketNumber, parseTicketRef } from './states.js';
import { createTicket, listEvents, transitionTicket, getTicketRow } from './ticket-store.js';

let store: TestStore;
beforeAll(async () => {
  store = await createTestStore();
});
afterAll(async () => {
  await store.close();
});

const newTicket = () =>
  createTicket(store.db, { pipeline: 'p', requester: 'alice', purpose: 'quarterly report', deliveryMode: 'per-item', policy: 'default' });

describe('state machine', () => {
  it('lets nothing leave a terminal state', () => {
    for (const from of TERMINAL_STATES) for (const to of TICKET_STATES) expect(canTransition(from, to)).toBe(false);
  });
  it('lets every active state and awaiting_approval fail', () => {
    for (const from of [...ACTIVE_STATES, 'awaiting_approval' as const]) expect(canTransition(from, 'failed')).toBe(true);
  });
  it('allows cancelling only before work starts or while waiting for people', () => {
    expect(TICKET_STATES.filter((s) => canTransition(s, 'cancelled'))).toEqual(['requested', 'awaiting_approval']);
  });
  it('formats and parses readable ticket ids', () => {
    expect(formatTicketNumber(123)).toBe('T-000123');
    expect(parseTicketRef('T-000123')).toEqual({ number: 123 });
    expect(parseTicketRef('42')).toEqual({ number: 42 });
    expect(parseTicketRef('not-a-ticket')).toBeUndefined();
  });
});

describe(`ticket store (${backendName})`, () => {
  it('creates a ticket in requested with a readable number and its first event', async () => {
    const a = await newTicket();
    const b = await newTicket();
    expect(a.state).toBe('requested');
    expect(b.number).toBe(a.number + 1);
    const events = await listEvents(store.db, a.id);
    expect(events.map((e) => [e.seq, e.from_state, e.to_state, e.actor])).toEqual([[1, null, 'requested', 'alice']]);
  });

  it('records each transition as one event with actor, from, to and reason', async () => {
    const t = await newTicket();
    await transitionTicket(store.db, t.id, 'fetching', { actor: 'worker:1', from: 'requested' });
    await transitionTicket(store.db, t.id, 'inspecting', { actor: 'worker:1', from: 'fetching' });
    await transitionTicket(store.db, t.id, 'blocked', {
      actor: 'worker:1',
      from: 'inspecting',
      reason: 'dangerous-content: executable found',
    });
    const row = await getTicketRow(store.db, t.id);
    expect(row.state).toBe('blocked');
    expect(row.finished_at).toBeInstanceOf(Date);
    const events = await listEvents(store.db, t.id);
    expect(events.map((e) => `${e.seq}:${e.from_state ?? '-'}>${e.to_state}`)).toEqual([
      '1:->requested',
      '2:requested>fetching',
      '3:fetching>inspecting',
      '4:inspecting>blocked',
    ]);
    expect(events.at(-1)?.reason).toBe('dangerous-content: executable found');
  });

  it('refuses a transition the state machine does not allow and leaves no trace', async () => {
    const t = await newTicket();
    const attempt = transitionTicket(store.db, t.id, 'delivered', { actor: 'x' });
    await expect(attempt).rejects.toMatchObject({ code: 'invalid_transition' });
    await expect(attempt).rejects.toThrow(/is requested; it cannot move to delivered/);
    expect((await getTicketRow(store.db, t.id)).state).toBe('requested');
    expect(await listEvents(store.db, t.id)).toHaveLength(1);
  });

  it('refuses a transition when the ticket is not in the state the caller expected', async () => {
    const t = await newTicket();
    await expect(transitionTicket(store.db, t.id, 'failed', { actor: 'x', from: 'delivering' })).rejects.toThrow(/expected delivering/);
  });

  it('stores the reason of a failure on the ticket', async () => {
    const t = await newTicket();
    await transitionTicket(store.db, t.id, 'failed', { actor: 'x', reason: 'source unreachable' });
    expect((await getTicketRow(store.db, t.id)).failure_reason).toBe('source unreachable');
  });

  it('lets exactly one of many racing identical transitions win', async () => {
    const t = await newTicket();
    const results = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) => transitionTicket(store.db, t.id, 'fetching', { actor: `worker:${i}`, from: 'requested' })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')) {
      expect(r.reason).toBeInstanceOf(AirlockError);
      expect((r.reason as AirlockError).code).toBe('invalid_transition');
    }
    expect(await listEvents(store.db, t.id)).toHaveLength(2);
  });

  it('lets exactly one of racing cancel and fetch win, and the history matches the final state', async () => {
    for (let round = 0; round < 5; round++) {
      const t = await newTicket();
      const results = await Promise.allSettled([
        transitionTicket(store.db, t.id, 'cancelled', { actor: 'alice' }),
        transitionTicket(store.db, t.id, 'fetching', { actor: 'worker', from: 'requested' }),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const events = await listEvents(store.db, t.id);
      expect(events).toHaveLength(2);
      expect(events[1]?.to_state).toBe((await getTicketRow(store.db, t.id)).state);
    }
  });

  it('keeps ticket_events append-only: UPDATE and DELETE are refused by the database', async () => {
    const t = await newTicket();
    await expect(sql`update ticket_events set actor = 'mallory' where ticket_id = ${t.id}`.execute(store.db)).rejects.toThrow(
      /append-only/,
    );
    await expect(sql`delete from ticket_events where ticket_id = ${t.id}`.execute(store.db)).rejects.toThrow(/append-only/);
    expect((await listEvents(store.db, t.id))[0]?.actor).toBe('alice');
  });
});
