// Dual control through the API: a requester never decides their own ticket, one person counts once, the
// approval that completes the quorum approves and enqueues, a rejection ends and purges, and an approval
// stops counting once the content manifest or the policy version it was given for changes.
import type { z } from '@hono/zod-openapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, sha, ticketAwaitingApproval, type ApiHarness, type ProblemJson } from '../../test/api-harness.js';
import { createTicket } from '../tickets/ticket-store.js';
import type { DecisionResult, TicketDetails } from './api-schemas.js';

type Decided = z.infer<typeof DecisionResult>;
type Details = z.infer<typeof TicketDetails>;

const APPROVERS = ['rita', 'val', 'vic'];
const TWO = [{ count: 2, groups: [], distinctGroups: false }];

let api: ApiHarness;
const t: Record<string, string> = {};

beforeAll(async () => {
  api = await createApiHarness({ pipelines: { dual: { approvers: APPROVERS } } });
  // rita requests, and is also an approver the pipeline names.
  t.rita = await api.user('rita', ['requester', 'approver']);
  t.val = await api.user('val', ['approver']);
  t.vic = await api.user('vic', ['approver']);
});
afterAll(() => api?.close());

const decide = (token: string | undefined, ref: string, decision: 'approve' | 'reject', comment?: string) =>
  api.call(`/api/v1/tickets/${ref}/decisions`, { token, json: { decision, ...(comment ? { comment } : {}) } });
const details = async (ref: string) => {
  const response = await api.call(`/api/v1/tickets/${ref}`, { token: t.val });
  expect(response.status, response.text).toBe(200);
  return response.json<Details>();
};
const awaiting = (required = TWO) => ticketAwaitingApproval(api.db, { requester: 'rita', approvers: APPROVERS }, { required });

describe('dual control', () => {
  it("refuses the requester's own approval with 403, though they hold approver and the pipeline names them", async () => {
    const { ticket } = await awaiting([{ count: 1, groups: [], distinctGroups: false }]);
    const response = await decide(t.rita, ticket.id, 'approve');
    expect(response.status).toBe(403);
    expect(response.json<ProblemJson>()).toMatchObject({ code: 'forbidden', detail: expect.stringContaining('never approves their own') });
    expect(await details(ticket.id)).toMatchObject({ state: 'awaiting_approval', approvals: [] });
    expect(api.enqueued).not.toContain(ticket.id);
    expect(api.purged).not.toContain(ticket.id);
  });

  it('counts one person once: a second decision by the same approver is 409 and changes nothing', async () => {
    const { ticket } = await awaiting();
    expect((await decide(t.val, ticket.id, 'approve')).status).toBe(200);
    for (const decision of ['approve', 'reject'] as const) {
      const again = await decide(t.val, ticket.id, decision);
      expect(again.status).toBe(409);
      expect(again.json<ProblemJson>().code).toBe('conflict');
    }
    const seen = await details(ticket.id);
    expect(seen.state).toBe('awaiting_approval');
    expect(seen.approvals).toEqual([
      { user: 'val', decision: 'approve', comment: null, at: expect.any(String), valid: true, asRequester: false, channel: 'api' },
    ]);
    expect(seen.requiredApprovals).toEqual([{ count: 2, groups: [], distinctGroups: false, missing: 1 }]);
  });

  it('leaves a ticket needing two approvals waiting after one, and approves and enqueues it on the second', async () => {
    const { ticket } = await awaiting();
    const first = await decide(t.val, ticket.id, 'approve', 'checked the IBANs');
    expect(first.status, first.text).toBe(200);
    expect(first.json<Decided>()).toMatchObject({
      ticket: { state: 'awaiting_approval' },
      approvals: [{ user: 'val', decision: 'approve', comment: 'checked the IBANs', valid: true }],
      requiredApprovals: [{ count: 2, missing: 1 }],
    });
    expect(api.enqueued).not.toContain(ticket.id);
    expect(await api.jobsFor(ticket.id)).toBe(0);

    const second = await decide(t.vic, ticket.id, 'approve');
    expect(second.status, second.text).toBe(200);
    expect(second.json<Decided>()).toMatchObject({ ticket: { state: 'approved' }, requiredApprovals: [{ count: 2, missing: 0 }] });
    expect(api.enqueued.filter((id) => id === ticket.id)).toHaveLength(1);
    expect(await api.jobsFor(ticket.id)).toBe(1);
    expect(api.purged).not.toContain(ticket.id);
    const seen = await details(ticket.id);
    expect(seen.state).toBe('approved');
    expect(seen.events.at(-1)).toMatchObject({ actor: 'vic', from: 'awaiting_approval', to: 'approved', reason: 'approved by val, vic' });
  });

  it('ends a ticket on one rejection and purges its staged data, enqueueing nothing', async () => {
    const { ticket } = await awaiting();
    const rejected = await decide(t.vic, ticket.id, 'reject', 'wrong quarter');
    expect(rejected.status, rejected.text).toBe(200);
    expect(rejected.json<Decided>()).toMatchObject({
      ticket: { state: 'rejected', finishedAt: expect.any(String) },
      approvals: [{ user: 'vic', decision: 'reject', comment: 'wrong quarter', valid: true }],
    });
    expect(api.purged.filter((id) => id === ticket.id)).toHaveLength(1);
    expect(api.enqueued).not.toContain(ticket.id);
    expect(await api.jobsFor(ticket.id)).toBe(0);
    const late = await decide(t.val, ticket.id, 'approve');
    expect(late.status).toBe(409);
    expect(late.json<ProblemJson>().code).toBe('invalid_transition');
  });

  it('voids an approval when an item hash changes: the next approval does not complete the quorum', async () => {
    const { ticket, items } = await awaiting();
    expect((await decide(t.val, ticket.id, 'approve')).status).toBe(200);
    await api.db
      .updateTable('items')
      .set({ sha256: sha('f') })
      .where('id', '=', items[0]!.id)
      .execute();

    const second = await decide(t.vic, ticket.id, 'approve');
    expect(second.status, second.text).toBe(200);
    expect(second.json<Decided>().ticket.state).toBe('awaiting_approval');
    const seen = await details(ticket.id);
    expect(seen.state).toBe('awaiting_approval');
    expect(seen.approvals.map((a) => [a.user, a.valid])).toEqual([
      ['val', false],
      ['vic', true],
    ]);
    expect(seen.requiredApprovals[0]?.missing).toBe(1);
    expect(api.enqueued).not.toContain(ticket.id);
  });

  it('voids an approval when the policy version of the decision changes', async () => {
    const { ticket } = await awaiting();
    expect((await decide(t.val, ticket.id, 'approve')).status).toBe(200);
    await api.db.updateTable('decisions').set({ policy_version: 'policy-v2' }).where('ticket_id', '=', ticket.id).execute();

    const second = await decide(t.vic, ticket.id, 'approve');
    expect(second.json<Decided>().ticket.state).toBe('awaiting_approval');
    expect((await details(ticket.id)).approvals.map((a) => [a.user, a.valid])).toEqual([
      ['val', false],
      ['vic', true],
    ]);
  });

  it('refuses a decision on a ticket that is not awaiting approval with 409', async () => {
    const row = await createTicket(api.db, {
      pipeline: 'dual',
      requester: 'rita',
      purpose: 'not inspected yet',
      deliveryMode: 'per-item',
      policy: 'default',
      approvers: APPROVERS,
    });
    const response = await decide(t.val, String(row.number), 'approve');
    expect(response.status).toBe(409);
    expect(response.json<ProblemJson>()).toMatchObject({ code: 'invalid_transition', detail: expect.stringContaining('is requested') });
    expect((await details(row.id)).approvals).toEqual([]);
  });
});
