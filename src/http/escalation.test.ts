// POST /tickets/{id}/escalate, the requester's "talk to a human": severity high, the least busy enabled
// operator assigned, the SLA clock started and the event recorded; asking again changes nothing.
import type { z } from '@hono/zod-openapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, type ApiHarness, type ProblemJson } from '../../test/api-harness.js';
import { disableUser } from '../auth/user-store.js';
import type { EscalationResult, TicketDetails, TicketSummary } from './api-schemas.js';

type Escalated = z.infer<typeof EscalationResult>;
type Details = z.infer<typeof TicketDetails>;

const SLA_MINUTES = 90;

let api: ApiHarness;
const t: Record<string, string> = {};

beforeAll(async () => {
  api = await createApiHarness({ pipelines: { helpdesk: { approvers: ['val'] } }, app: { escalationSlaMinutes: SLA_MINUTES } });
  t.ann = await api.user('ann', ['requester']);
  t.ben = await api.user('ben', ['requester']);
  t.val = await api.user('val', ['approver']);
  t.audrey = await api.user('audrey', ['auditor']);
  // op-0 would win every tie by name, but is disabled; op-a and op-b are the operators on duty.
  await api.user('op-0', ['operator']);
  await disableUser(api.db, 'op-0');
  t.opa = await api.user('op-a', ['operator']);
  t.opb = await api.user('op-b', ['operator']);
});
afterAll(() => api?.close());

async function submit(token: string | undefined): Promise<z.infer<typeof TicketSummary>> {
  const response = await api.call('/api/v1/tickets', { token, json: { pipeline: 'helpdesk', purpose: 'please help' } });
  expect(response.status, response.text).toBe(201);
  return response.json();
}
const escalate = (token: string | undefined, ref: string) => api.call(`/api/v1/tickets/${ref}/escalate`, { method: 'POST', token });
const details = async (ref: string) => (await api.call(`/api/v1/tickets/${ref}`, { token: t.audrey })).json<Details>();

describe('escalation', () => {
  it('assigns the least busy enabled operator (ties by name), raises severity, starts the SLA clock and records it', async () => {
    // Both on-duty operators are idle: the tie goes to op-a.
    const first = await submit(t.ben);
    const toOpA = await escalate(t.ben, first.id);
    expect(toOpA.status, toOpA.text).toBe(200);
    expect(toOpA.json<Escalated>()).toMatchObject({ operator: 'op-a', created: true });

    // op-a now handles an open ticket, so the next escalation goes to op-b although op-a sorts first.
    const ticket = await submit(t.ann);
    const before = Date.now();
    const response = await escalate(t.ann, ticket.id);
    expect(response.status, response.text).toBe(200);
    const result = response.json<Escalated>();
    expect(result).toMatchObject({ operator: 'op-b', created: true, ticket: { id: ticket.id, severity: 'high', state: 'requested' } });
    const escalatedAt = Date.parse(result.ticket.escalatedAt ?? '');
    expect(escalatedAt).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(result.ticket.slaDueAt ?? '') - escalatedAt).toBe(SLA_MINUTES * 60_000);

    const seen = await details(ticket.id);
    expect(seen).toMatchObject({ severity: 'high', operators: ['op-b'], escalatedAt: result.ticket.escalatedAt });
    expect(seen.events.at(-1)).toMatchObject({
      actor: 'ann',
      from: 'requested',
      to: 'requested',
      reason: `escalated: severity high, operator op-b assigned, SLA ${SLA_MINUTES} min`,
    });
  });

  it('answers a second escalation with created: false and changes nothing', async () => {
    const ticket = await submit(t.ann);
    const first = (await escalate(t.ann, ticket.id)).json<Escalated>();
    const eventsBefore = (await details(ticket.id)).events.length;

    const again = await escalate(t.ann, ticket.id);
    expect(again.status, again.text).toBe(200);
    expect(again.json<Escalated>()).toEqual({ ...first, created: false });
    const seen = await details(ticket.id);
    expect(seen.events).toHaveLength(eventsBefore);
    expect(seen.operators).toEqual([first.operator]);
  });

  it('lets only the requester escalate: a named approver and an auditor get 403', async () => {
    const ticket = await submit(t.ann);
    for (const token of [t.val, t.audrey]) {
      const response = await escalate(token, ticket.id);
      expect(response.status).toBe(403);
      expect(response.json<ProblemJson>().code).toBe('forbidden');
    }
    expect(await details(ticket.id)).toMatchObject({ severity: 'normal', escalatedAt: null, operators: [] });
  });

  it('refuses to escalate a finished ticket with 409', async () => {
    const ticket = await submit(t.ann);
    expect((await api.call(`/api/v1/tickets/${ticket.id}/cancel`, { method: 'POST', token: t.ann })).status).toBe(200);
    const response = await escalate(t.ann, ticket.id);
    expect(response.status).toBe(409);
    expect(response.json<ProblemJson>()).toMatchObject({ code: 'invalid_transition', detail: expect.stringContaining('cancelled') });
  });

  it('answers 409 when no enabled user holds the operator role, and leaves the ticket as it was', async () => {
    const ticket = await submit(t.ann);
    const onDuty = ['op-a', 'op-b'];
    await api.db.updateTable('users').set({ disabled_at: new Date() }).where('name', 'in', onDuty).execute();
    try {
      const response = await escalate(t.ann, ticket.id);
      expect(response.status).toBe(409);
      expect(response.json<ProblemJson>()).toMatchObject({
        code: 'conflict',
        detail: expect.stringContaining('No enabled user holds the operator role'),
      });
    } finally {
      await api.db.updateTable('users').set({ disabled_at: null }).where('name', 'in', onDuty).execute();
    }
    const seen = await details(ticket.id);
    expect(seen).toMatchObject({ severity: 'normal', escalatedAt: null, slaDueAt: null, operators: [] });
    expect(seen.events.map((e) => e.reason)).toEqual(['submitted']);
  });
});
