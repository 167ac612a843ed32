// E-mailed action links through the app: opening one changes nothing, only a POST from its page with the
// page's CSRF token records an answer (channel `email`), and a used, expired, forged, voided or misdirected
// link gets a clear page and changes nothing. The requester fills only the confirmation place of a quorum.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, sha, ticketAwaitingApproval, type ApiHarness } from '../../../test/api-harness.js';
import { createActionLink, csrfFor, type NewActionLink } from '../../approvals/action-links.js';
import { approvalStatus } from '../../approvals/approval-store.js';
import { disableUser } from '../../auth/user-store.js';
import type { ActionPurpose } from '../../db/schema.js';
import { createLogger } from '../../log/logger.js';
import { replaceItems, updateItem } from '../../tickets/item-store.js';
import { ticketManifest } from '../../tickets/manifest.js';
import { createTicket, transitionTicket } from '../../tickets/ticket-store.js';
import { formatTicketNumber } from '../../tickets/states.js';
import { MAX_BODY_BYTES } from '../app.js';

const SECRET = Buffer.alloc(32, 7);
const SLA_MINUTES = 45;
const APPROVERS = ['rita', 'val', 'vic'];
const ONE = [{ count: 1, groups: [], distinctGroups: false }];
const TWO = [{ count: 2, groups: [], distinctGroups: false }];
const HOUR = 3_600_000;

let api: ApiHarness;

beforeAll(async () => {
  api = await createApiHarness({
    pipelines: { dual: { approvers: APPROVERS } },
    app: { linkSecret: SECRET, escalationSlaMinutes: SLA_MINUTES },
  });
  // rita requests, and is also an approver the pipeline names.
  await api.user('rita', ['requester', 'approver']);
  await api.user('val', ['approver']);
  await api.user('vic', ['approver']);
  await api.user('op-a', ['operator']);
});
afterAll(() => api?.close());

/** A ticket of rita's awaiting approval; `confirms` also asks for her confirmation (created as the engine would). */
async function awaiting(options: { required?: typeof ONE; confirms?: boolean } = {}) {
  if (!options.confirms) return (await ticketAwaitingApproval(api.db, { requester: 'rita', approvers: APPROVERS }, options)).ticket;
  const ticket = await createTicket(api.db, {
    pipeline: 'dual',
    requester: 'rita',
    purpose: 'reviewed transfer',
    deliveryMode: 'per-item',
    policy: 'default',
    approvers: APPROVERS,
    requesterConfirms: true,
  });
  const [item] = await replaceItems(api.db, ticket.id, ['statements/q1.csv']);
  await updateItem(api.db, item!.id, { state: 'inspected', size: 1000, sha256: sha('1'), verdict: 'review', rule: 'review-sensitive' });
  for (const to of ['fetching', 'inspecting', 'awaiting_approval'] as const)
    await transitionTicket(api.db, ticket.id, to, { actor: 'worker:test' });
  await api.db
    .insertInto('decisions')
    .values({
      ticket_id: ticket.id,
      verdict: 'review',
      rule: 'review-sensitive',
      reasons: JSON.stringify(['review-sensitive: 1 distinct iban value']),
      policy: 'default',
      policy_version: 'policy-v1',
      required_approvals: JSON.stringify(options.required ?? ONE),
    })
    .execute();
  return ticket;
}

async function link(ticketId: string, userName: string, purpose: ActionPurpose, overrides: Partial<NewActionLink> = {}) {
  const manifest = purpose === 'escalate' ? {} : { manifest: await ticketManifest(api.db, ticketId), policyVersion: 'policy-v1' };
  const expiresAt = new Date(Date.now() + 72 * HOUR);
  return createActionLink(api.db, { ticketId, userName, email: `${userName}@example.com`, purpose, expiresAt, ...manifest, ...overrides });
}

interface Page {
  status: number;
  headers: Headers;
  text: string;
}
const ENV = { incoming: { socket: { remoteAddress: '192.0.2.1' } } };
async function request(path: string, init: RequestInit = {}, app = api.app): Promise<Page> {
  const response = await app.request(path, init, ENV);
  return { status: response.status, headers: response.headers, text: await response.text() };
}
const open = (token: string, app = api.app) => request(`/a/${token}`, {}, app);
const post = (token: string, fields: Record<string, string>, app = api.app) =>
  request(
    `/a/${token}`,
    { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() },
    app,
  );
/** What a person does: open the link, then press a button on its page. */
async function answer(token: string, decision?: 'approve' | 'reject', comment?: string, app = api.app): Promise<Page> {
  const page = await open(token, app);
  expect(page.status, page.text).toBe(200);
  const csrf = /name="csrf" value="([^"]+)"/.exec(page.text)?.[1];
  expect(csrf).toBeDefined();
  return post(token, { csrf: csrf!, ...(decision ? { decision } : {}), ...(comment ? { comment } : {}) }, app);
}

/** Everything a link could change, but `opened_at`. */
async function snapshot(ticketId: string) {
  const db = api.db;
  return {
    ticket: await db
      .selectFrom('tickets')
      .select(['state', 'severity', 'escalated_at', 'sla_due_at', 'updated_at'])
      .where('id', '=', ticketId)
      .executeTakeFirstOrThrow(),
    approvals: await db.selectFrom('approvals').selectAll().where('ticket_id', '=', ticketId).orderBy('id').execute(),
    events: await db.selectFrom('ticket_events').select(['seq', 'reason']).where('ticket_id', '=', ticketId).orderBy('seq').execute(),
    participants: await db.selectFrom('ticket_participants').select(['user_name', 'role']).where('ticket_id', '=', ticketId).execute(),
    links: await db.selectFrom('action_links').select(['id', 'used_at']).where('ticket_id', '=', ticketId).orderBy('id').execute(),
    jobs: await api.jobsFor(ticketId),
    enqueued: api.enqueued.filter((id) => id === ticketId).length,
    purged: api.purged.filter((id) => id === ticketId).length,
  };
}
const linkRow = (id: string) => api.db.selectFrom('action_links').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

describe('opening a link', () => {
  it('shows every kind of link on a page and changes nothing but opened_at, however often it is fetched', async () => {
    const ticket = await awaiting({ confirms: true });
    const kinds = [
      { link: await link(ticket.id, 'rita', 'confirm'), buttons: ['>Confirm</button>', '>Stop</button>'] },
      { link: await link(ticket.id, 'val', 'approve'), buttons: ['>Approve</button>', '>Reject</button>'] },
      { link: await link(ticket.id, 'rita', 'escalate'), buttons: ['>Talk to a human</button>'] },
    ];
    const before = await snapshot(ticket.id);
    for (const { link: made, buttons } of kinds) {
      const page = await open(made.token);
      expect(page.status, page.text).toBe(200);
      expect(page.headers.get('content-type')).toBe('text/html; charset=UTF-8');
      expect(page.headers.get('cache-control')).toBe('no-store');
      expect(page.headers.get('referrer-policy')).toBe('no-referrer');
      expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(page.text).toContain(formatTicketNumber(ticket.number));
      expect(page.text).toContain(`<form method="post" action="/a/${made.token}">`);
      expect(page.text).toContain(`<input type="hidden" name="csrf" value="${csrfFor(made.id, SECRET)}" />`);
      for (const button of buttons) expect(page.text).toContain(button);
      // Nothing loaded or linked but the console's own stylesheet: no script, no image, no link to follow.
      expect(page.text).not.toMatch(/<script|\bsrc=|<style|\bstyle=/i);
      expect([...page.text.matchAll(/\bhref="([^"]*)"/gi)].map((m) => m[1])).toEqual(['/ui/assets/console.css']);
      const opened = (await linkRow(made.id)).opened_at;
      expect(opened).toBeInstanceOf(Date);
      expect((await open(made.token)).status).toBe(200);
      expect((await linkRow(made.id)).opened_at).toEqual(opened);
    }
    expect(await snapshot(ticket.id)).toEqual(before);
  });

  it("escapes the ticket's text on the page", async () => {
    const ticket = await awaiting();
    await api.db.updateTable('tickets').set({ purpose: `<script>alert("x")</script> & 'co'` }).where('id', '=', ticket.id).execute();
    const page = await open((await link(ticket.id, 'val', 'approve')).token);
    expect(page.text).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;co&#39;');
    expect(page.text).not.toContain('<script');
  });
});

describe('answering by link', () => {
  it("records an approval as the link's user with channel email and marks the link used", async () => {
    const ticket = await awaiting({ required: TWO });
    const made = await link(ticket.id, 'val', 'approve');
    const page = await answer(made.token, 'approve', 'checked the IBANs');
    expect(page.status, page.text).toBe(200);
    expect(page.text).toContain('Approval recorded');
    expect(page.text).toContain('still waits for other answers');
    const after = await snapshot(ticket.id);
    expect(after.ticket.state).toBe('awaiting_approval');
    expect(after.approvals).toEqual([
      expect.objectContaining({
        user_name: 'val',
        decision: 'approve',
        comment: 'checked the IBANs',
        channel: 'email',
        as_requester: false,
      }),
    ]);
    expect(after.events.at(-1)?.reason).toBe('approved by approver val via email (with a comment)');
    expect((await linkRow(made.id)).used_at).toBeInstanceOf(Date);
    expect(after.enqueued).toBe(0);
  });

  it('approves and enqueues delivery once the requester confirms and an approver approves, both by link', async () => {
    const ticket = await awaiting({ confirms: true });
    const confirmed = await answer((await link(ticket.id, 'rita', 'confirm')).token, 'approve');
    expect(confirmed.status, confirmed.text).toBe(200);
    expect(confirmed.text).toContain('Your confirmation of');
    expect((await snapshot(ticket.id)).ticket.state).toBe('awaiting_approval');

    const approved = await answer((await link(ticket.id, 'val', 'approve')).token, 'approve');
    expect(approved.status, approved.text).toBe(200);
    expect(approved.text).toContain('the transfer goes ahead');
    const after = await snapshot(ticket.id);
    expect(after.ticket.state).toBe('approved');
    expect(after.approvals.map((a) => [a.user_name, a.as_requester, a.channel])).toEqual([
      ['rita', true, 'email'],
      ['val', false, 'email'],
    ]);
    expect(after.enqueued).toBe(1);
    expect(after.jobs).toBe(1);
  });

  it("ends the ticket on an approver's Reject or the requester's Stop, and purges its staged data", async () => {
    for (const [user, purpose, title] of [
      ['vic', 'approve', 'Transfer rejected'],
      ['rita', 'confirm', 'Transfer stopped'],
    ] as const) {
      const ticket = await awaiting({ confirms: true });
      const page = await answer((await link(ticket.id, user, purpose)).token, 'reject', 'wrong quarter');
      expect(page.status, page.text).toBe(200);
      expect(page.text).toContain(title);
      const after = await snapshot(ticket.id);
      expect(after.ticket.state).toBe('rejected');
      expect(after.purged).toBe(1);
      expect(after.enqueued).toBe(0);
    }
  });

  it('refuses a page post that names no button with 400 and keeps the link usable', async () => {
    const ticket = await awaiting();
    const made = await link(ticket.id, 'val', 'approve');
    const before = await snapshot(ticket.id);
    expect((await answer(made.token)).status).toBe(400);
    expect(await snapshot(ticket.id)).toEqual(before);
    expect((await answer(made.token, 'approve')).status).toBe(200);
  });
});

describe('refused links change nothing', () => {
  it('answers a used link with 410, on opening and on posting', async () => {
    const ticket = await awaiting({ required: TWO });
    const made = await link(ticket.id, 'val', 'approve');
    expect((await answer(made.token, 'approve')).status).toBe(200);
    const before = await snapshot(ticket.id);
    const reopened = await open(made.token);
    expect(reopened.status).toBe(410);
    expect(reopened.text).toContain('This link was already used');
    for (const decision of ['approve', 'reject']) {
      const again = await post(made.token, { csrf: csrfFor(made.id, SECRET), decision });
      expect(again.status).toBe(410);
      expect(again.text).toContain('Nothing was changed.');
    }
    expect(await snapshot(ticket.id)).toEqual(before);
  });

  it('answers an expired link with 410', async () => {
    const ticket = await awaiting();
    const made = await link(ticket.id, 'val', 'approve', { expiresAt: new Date(Date.now() - 1000) });
    const before = await snapshot(ticket.id);
    expect((await open(made.token)).status).toBe(410);
    const page = await post(made.token, { csrf: csrfFor(made.id, SECRET), decision: 'approve' });
    expect(page.status).toBe(410);
    expect(page.text).toContain('This link has expired');
    expect(await snapshot(ticket.id)).toEqual(before);
  });

  it('answers forged, altered and malformed tokens with 404', async () => {
    const ticket = await awaiting();
    const made = await link(ticket.id, 'val', 'approve');
    const altered = made.token.slice(0, -1) + (made.token.endsWith('A') ? 'B' : 'A');
    const before = await snapshot(ticket.id);
    for (const token of [`alink_${'x'.repeat(43)}`, altered, 'alink_short', 'not-a-token', `alk_${'a'.repeat(43)}`]) {
      const opened = await open(token);
      expect(opened.status, token).toBe(404);
      expect(opened.text).toContain('This link is not valid');
      expect((await post(token, { csrf: csrfFor(made.id, SECRET), decision: 'approve' })).status, token).toBe(404);
    }
    expect(await snapshot(ticket.id)).toEqual(before);
    expect((await linkRow(made.id)).opened_at).toBeNull();
  });

  it('binds a link to its ticket: its answer lands there only, and another link’s CSRF token does not fit it', async () => {
    const a = await awaiting({ required: TWO });
    const b = await awaiting({ required: TWO });
    const forA = await link(a.id, 'val', 'approve');
    const forB = await link(b.id, 'val', 'approve');
    const beforeB = await snapshot(b.id);
    expect((await post(forA.token, { csrf: csrfFor(forB.id, SECRET), decision: 'approve' })).status).toBe(403);
    expect((await answer(forA.token, 'approve')).status).toBe(200);
    expect((await snapshot(a.id)).approvals.map((r) => r.user_name)).toEqual(['val']);
    expect(await snapshot(b.id)).toEqual(beforeB);
    // B's own link still works, for B.
    expect((await answer(forB.token, 'reject')).status).toBe(200);
    expect((await snapshot(b.id)).ticket.state).toBe('rejected');
    expect((await snapshot(a.id)).ticket.state).toBe('awaiting_approval');
  });

  it('voids a link once the content manifest or the policy version changed (410)', async () => {
    const byContent = await awaiting();
    const contentLink = await link(byContent.id, 'val', 'approve');
    await api.db
      .updateTable('items')
      .set({ sha256: sha('f') })
      .where('ticket_id', '=', byContent.id)
      .execute();
    const byPolicy = await awaiting();
    const policyLink = await link(byPolicy.id, 'val', 'approve');
    await api.db.updateTable('decisions').set({ policy_version: 'policy-v2' }).where('ticket_id', '=', byPolicy.id).execute();

    for (const [ticket, made, why] of [
      [byContent, contentLink, 'The content of'],
      [byPolicy, policyLink, 'The policy that asked'],
    ] as const) {
      const before = await snapshot(ticket.id);
      expect((await open(made.token)).status).toBe(410);
      const page = await post(made.token, { csrf: csrfFor(made.id, SECRET), decision: 'approve' });
      expect(page.status).toBe(410);
      expect(page.text).toContain(why);
      expect(await snapshot(ticket.id)).toEqual(before);
    }
  });

  it('refuses a post without the CSRF token of the link’s page with 403, and the link stays usable', async () => {
    const ticket = await awaiting();
    const made = await link(ticket.id, 'val', 'approve');
    const before = await snapshot(ticket.id);
    const wrong: Record<string, string>[] = [
      {},
      { csrf: '' },
      { csrf: 'x' },
      { csrf: csrfFor(made.id, Buffer.alloc(32, 8)) },
      { csrf: csrfFor(made.id, SECRET).slice(0, -1) },
    ];
    for (const fields of wrong) {
      const page = await post(made.token, { ...fields, decision: 'approve' });
      expect(page.status, JSON.stringify(fields)).toBe(403);
      expect(page.text).toContain('did not come from the confirmation page');
    }
    // Not a form at all: the token in a JSON body is not read.
    const json = await request(`/a/${made.token}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ csrf: csrfFor(made.id, SECRET), decision: 'approve' }),
    });
    expect(json.status).toBe(403);
    expect(await snapshot(ticket.id)).toEqual(before);
    expect((await answer(made.token, 'approve')).status).toBe(200);
  });

  it('answers 409 once the ticket has moved on, and 403 when the link’s user has been disabled', async () => {
    const cancelled = await awaiting();
    const late = await link(cancelled.id, 'val', 'approve');
    await transitionTicket(api.db, cancelled.id, 'cancelled', { actor: 'rita' });
    expect((await open(late.token)).status).toBe(409);
    expect((await post(late.token, { csrf: csrfFor(late.id, SECRET), decision: 'approve' })).status).toBe(409);

    await api.user('dora', ['approver']);
    const ticket = await ticketAwaitingApproval(api.db, { requester: 'rita', approvers: ['dora'] }).then((t) => t.ticket);
    const dormant = await link(ticket.id, 'dora', 'approve');
    await disableUser(api.db, 'dora');
    const before = await snapshot(ticket.id);
    expect((await open(dormant.token)).status).toBe(403);
    expect((await post(dormant.token, { csrf: csrfFor(dormant.id, SECRET), decision: 'approve' })).status).toBe(403);
    expect(await snapshot(ticket.id)).toEqual(before);
  });
});

describe('dual control by link', () => {
  it('lets the requester fill only the confirmation place: an approve link made out to them is refused', async () => {
    const ticket = await awaiting({ confirms: true });
    const asApprover = await link(ticket.id, 'rita', 'approve');
    const before = await snapshot(ticket.id);
    const page = await open(asApprover.token);
    expect(page.status).toBe(403);
    expect(page.text).toContain('never approves their own ticket');
    expect((await post(asApprover.token, { csrf: csrfFor(asApprover.id, SECRET), decision: 'approve' })).status).toBe(403);
    expect(await snapshot(ticket.id)).toEqual(before);

    expect((await answer((await link(ticket.id, 'rita', 'confirm')).token, 'approve')).status).toBe(200);
    const status = await approvalStatus(api.db, ticket.id);
    expect(status.requesterConfirmation).toEqual({ required: true, given: true });
    expect(status.required[0]?.missing).toBe(1);
    // A second confirmation link counts for nothing more: one person answers once.
    expect((await open((await link(ticket.id, 'rita', 'confirm')).token)).status).toBe(409);
    expect((await snapshot(ticket.id)).ticket.state).toBe('awaiting_approval');

    expect((await answer((await link(ticket.id, 'val', 'approve')).token, 'approve')).status).toBe(200);
    expect((await snapshot(ticket.id)).ticket.state).toBe('approved');
  });
});

describe('talk to a human by link', () => {
  it('escalates the ticket (severity high, an operator assigned, the SLA clock started) and refuses a second use with 410', async () => {
    const ticket = await createTicket(api.db, {
      pipeline: 'dual',
      requester: 'rita',
      purpose: 'help please',
      deliveryMode: 'per-item',
      policy: 'default',
      approvers: APPROVERS,
    });
    const made = await link(ticket.id, 'rita', 'escalate');
    const page = await answer(made.token);
    expect(page.status, page.text).toBe(200);
    expect(page.text).toContain('op-a owns it now');
    const after = await snapshot(ticket.id);
    expect(after.ticket).toMatchObject({ state: 'requested', severity: 'high' });
    expect(after.ticket.sla_due_at!.getTime() - after.ticket.escalated_at!.getTime()).toBe(SLA_MINUTES * 60_000);
    expect(after.participants).toContainEqual({ user_name: 'op-a', role: 'operator' });
    expect(after.events.at(-1)?.reason).toBe(`escalated: severity high, operator op-a assigned, SLA ${SLA_MINUTES} min`);

    const again = await post(made.token, { csrf: csrfFor(made.id, SECRET) });
    expect(again.status).toBe(410);
    expect(await snapshot(ticket.id)).toEqual(after);
  });

  it('refuses an escalate link made out to someone other than the requester', async () => {
    const ticket = await awaiting();
    const made = await link(ticket.id, 'val', 'escalate');
    expect((await open(made.token)).status).toBe(403);
    expect((await post(made.token, { csrf: csrfFor(made.id, SECRET) })).status).toBe(403);
    expect((await snapshot(ticket.id)).ticket.severity).toBe('normal');
  });
});

describe('the link pages', () => {
  it('never write the token to the logs, and log opens, uses and refusals with the link id', async () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const app = api.buildApp({ logger: createLogger({ level: 'debug', pretty: false, destination }) });
    const ticket = await awaiting({ required: TWO });
    const made = await link(ticket.id, 'val', 'approve');
    expect((await answer(made.token, 'approve', undefined, app)).status).toBe(200);
    expect((await open(made.token, app)).status).toBe(410);
    const log = lines.join('');
    expect(log).not.toContain(made.token);
    expect(log).not.toContain(made.token.slice(6, 20));
    const events = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events).toContainEqual(
      expect.objectContaining({ msg: 'action link opened', linkId: made.id, ticketId: ticket.id, first: true }),
    );
    expect(events).toContainEqual(expect.objectContaining({ msg: 'action link used', linkId: made.id, ticketId: ticket.id }));
    expect(events).toContainEqual(expect.objectContaining({ msg: 'action link refused', linkId: made.id, reason: 'used' }));
    expect(events).toContainEqual(expect.objectContaining({ msg: 'request', path: '/a/[token]' }));
  });

  it('refuse a body over the limit with 413 before reading it', async () => {
    const ticket = await awaiting();
    const made = await link(ticket.id, 'val', 'approve');
    const page = await post(made.token, { csrf: csrfFor(made.id, SECRET), decision: 'approve', comment: 'x'.repeat(MAX_BODY_BYTES) });
    expect(page.status).toBe(413);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect((await snapshot(ticket.id)).approvals).toEqual([]);
  });

  it('are not served without a link secret', async () => {
    const ticket = await awaiting();
    const made = await link(ticket.id, 'val', 'approve');
    const page = await open(made.token, api.buildApp({ linkSecret: undefined }));
    expect(page.status).toBe(404);
    expect(page.headers.get('content-type')).toBe('application/problem+json');
  });
});
