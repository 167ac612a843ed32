// Need to know: a ticket is visible to its requester, the approvers its pipeline names, the operator handling
// its escalation and auditors. Everyone else gets the same 404 a ticket that does not exist gets.
import { randomUUID } from 'node:crypto';
import type { z } from '@hono/zod-openapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { comparable, createApiHarness, type ApiHarness, type ProblemJson } from '../../test/api-harness.js';
import type { TicketDetails, TicketList, TicketSummary } from './api-schemas.js';

type Summary = z.infer<typeof TicketSummary>;

let api: ApiHarness;
const t: Record<string, string> = {};
let annTicket: Summary;
let benTicket: Summary;

beforeAll(async () => {
  api = await createApiHarness({ pipelines: { shared: { approvers: ['val'] } } });
  t.ann = await api.user('ann', ['requester']);
  t.ben = await api.user('ben', ['requester']);
  t.val = await api.user('val', ['approver']);
  t.vera = await api.user('vera', ['approver']);
  t.olga = await api.user('olga', ['operator']);
  t.audrey = await api.user('audrey', ['auditor']);
  t.adam = await api.user('adam', ['admin']);
  const submit = async (token: string | undefined, purpose: string) => {
    const response = await api.call('/api/v1/tickets', { token, json: { pipeline: 'shared', purpose } });
    expect(response.status, response.text).toBe(201);
    return response.json<Summary>();
  };
  annTicket = await submit(t.ann, "ann's statements");
  benTicket = await submit(t.ben, "ben's statements");
});
afterAll(() => api?.close());

const actions = (ref: string) => [
  { method: 'GET', path: `/api/v1/tickets/${ref}` },
  { method: 'POST', path: `/api/v1/tickets/${ref}/cancel` },
  { method: 'POST', path: `/api/v1/tickets/${ref}/decisions`, json: { decision: 'approve' } },
  { method: 'POST', path: `/api/v1/tickets/${ref}/escalate` },
];

/** Status and comparable body of each action on `ref`, as `token`. */
async function attempt(token: string | undefined, ref: string) {
  const results = [];
  for (const action of actions(ref)) {
    const response = await api.call(action.path, { method: action.method, token, ...(action.json ? { json: action.json } : {}) });
    results.push({ status: response.status, body: comparable(response.json<ProblemJson>()) });
  }
  return results;
}

const ids = async (token: string | undefined, query = '') => {
  const response = await api.call(`/api/v1/tickets${query}`, { token });
  expect(response.status, response.text).toBe(200);
  return response.json<z.infer<typeof TicketList>>().tickets.map((x) => x.id);
};
const show = (token: string | undefined, ref: string) => api.call(`/api/v1/tickets/${ref}`, { token });

describe('ticket visibility', () => {
  it("answers B's read, cancel, approve and escalate on A's ticket with the 404 of a ticket that does not exist", async () => {
    const refs = [
      { ref: annTicket.uuid, absent: randomUUID() },
      { ref: annTicket.id, absent: 'T-999999' },
      { ref: String(Number(annTicket.id.slice(2))), absent: '999999' },
    ];
    for (const { ref, absent } of refs) {
      const onAnns = await attempt(t.ben, ref);
      const onNothing = await attempt(t.ben, absent);
      for (const result of [...onAnns, ...onNothing]) expect(result.status).toBe(404);
      // Every action gives the same body, and it differs from a missing ticket's only by the reference itself.
      for (const result of onAnns) expect(result.body).toEqual(onAnns[0]!.body);
      expect(JSON.parse(JSON.stringify(onNothing[0]!.body).replaceAll(absent, ref))).toEqual(onAnns[0]!.body);
      expect(onAnns[0]!.body).toEqual({
        type: 'about:blank',
        title: 'not found',
        status: 404,
        code: 'not_found',
        detail: `Ticket ${ref} does not exist or is not visible to you.`,
      });
    }
    // Nothing B tried changed A's ticket.
    const seen = (await show(t.ann, annTicket.id)).json<z.infer<typeof TicketDetails>>();
    expect(seen).toMatchObject({ state: 'requested', severity: annTicket.severity, escalatedAt: null, approvals: [], operators: [] });
    expect(seen.events.map((e) => e.reason)).toEqual(['submitted']);
  });

  it('lets B find only their own tickets by guessing numbers T-000001 onwards', async () => {
    const highest = Math.max(...[annTicket, benTicket].map((x) => Number(x.id.slice(2))));
    const visible: string[] = [];
    for (let n = 1; n <= highest + 2; n++) {
      const ref = `T-${String(n).padStart(6, '0')}`;
      const response = await show(t.ben, ref);
      expect([200, 404]).toContain(response.status);
      if (response.status === 200) visible.push(ref);
    }
    expect(visible).toEqual([benTicket.id]);
  });

  it("leaves A's ticket out of every list B gets", async () => {
    for (const query of ['', '?mine=false', '?mine=true', '?state=requested', '?limit=500']) {
      expect(await ids(t.ben, query), query).toEqual([benTicket.id]);
    }
  });

  it('shows the ticket to an approver the pipeline names, and not to another approver', async () => {
    const shown = await show(t.val, annTicket.uuid);
    expect(shown.status).toBe(200);
    expect(shown.json()).toMatchObject({ id: annTicket.id, approvers: ['val'] });
    expect(await ids(t.val)).toEqual([benTicket.id, annTicket.id]);

    expect((await show(t.vera, annTicket.uuid)).status).toBe(404);
    expect(await ids(t.vera)).toEqual([]);
  });

  it('shows the ticket to an operator only once an escalation assigned them', async () => {
    expect((await show(t.olga, annTicket.id)).status).toBe(404);
    expect(await ids(t.olga)).toEqual([]);

    const escalated = await api.call(`/api/v1/tickets/${annTicket.id}/escalate`, { method: 'POST', token: t.ann });
    expect(escalated.status, escalated.text).toBe(200);
    expect(escalated.json()).toMatchObject({ operator: 'olga', created: true });

    const shown = await show(t.olga, annTicket.id);
    expect(shown.status).toBe(200);
    expect(shown.json()).toMatchObject({ id: annTicket.id, operators: ['olga'] });
    expect(await ids(t.olga)).toEqual([annTicket.id]);
    expect((await show(t.olga, benTicket.id)).status).toBe(404);
  });

  it('shows every ticket to an auditor', async () => {
    for (const ticket of [annTicket, benTicket]) expect((await show(t.audrey, ticket.uuid)).status).toBe(200);
    expect(await ids(t.audrey)).toEqual([benTicket.id, annTicket.id]);
  });

  it('shows no ticket to a user who is only an admin: 404 for each, 403 for the list', async () => {
    for (const ticket of [annTicket, benTicket]) {
      const response = await show(t.adam, ticket.id);
      expect(response.status).toBe(404);
      expect(response.json<ProblemJson>().code).toBe('not_found');
    }
    const list = await api.call('/api/v1/tickets', { token: t.adam });
    expect(list.status).toBe(403);
    expect(list.json<ProblemJson>().code).toBe('forbidden');
  });
});
