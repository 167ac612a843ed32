// The approver's inbox (/ui/approvals): only tickets naming the caller and not yet decided by them, oldest
// first, each with the blind review (masked excerpts, hashed names when redacted) and a decision form.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, ticketAwaitingApproval, type ApiHarness } from '../../../test/api-harness.js';
import { signIn, textOf, type ConsoleBrowser } from '../../../test/console-harness.js';
import { decideApproval } from '../../approvals/approval-store.js';
import { nameHash } from '../../tickets/name-hash.js';
import { formatTicketNumber } from '../../tickets/states.js';

const XSS = '<script>alert(1)</script><img src=x onerror=alert(2)>';
const RAW_CARD = '4111111111111111';
const MASKED_CARD = '4111 **** **** 1111';
// Whole minutes, so the deadline 90 minutes on reads as an exact time; the tokens' expiry runs on real time.
const NOW = new Date(Math.floor(Date.now() / 60_000) * 60_000);

let api: ApiHarness;
let console_: Pick<ApiHarness, 'app'>;
const tokens: Record<string, string> = {};
const refs: Record<string, string> = {};
const ids: Record<string, string> = {};

beforeAll(async () => {
  api = await createApiHarness({ pipelines: { dual: { approvers: ['val', 'vic'] }, secret: { approvers: ['val'], redactNames: true } } });
  console_ = { app: api.buildApp({ console: { now: () => NOW } }) };
  tokens.rita = await api.user('rita', ['requester']);
  tokens.val = await api.user('val', ['approver', 'requester']);
  tokens.vic = await api.user('vic', ['approver']);
  tokens.ann = await api.user('ann', ['approver']);
  tokens.amy = await api.user('amy', ['approver']);

  const two = [{ count: 2, groups: [], distinctGroups: false }];
  // Oldest first: the XSS ticket (with a finding), then a redacted one.
  const first = await ticketAwaitingApproval(
    api.db,
    { requester: 'rita', approvers: ['val', 'vic'] },
    { paths: [`statements/${XSS}.csv`, 'statements/q2.csv'], required: two },
  );
  ids.first = first.ticket.id;
  refs.first = formatTicketNumber(first.ticket.number);
  await api.db
    .updateTable('tickets')
    .set({ purpose: `quarterly ${XSS}` })
    .where('id', '=', first.ticket.id)
    .execute();
  await api.db
    .insertInto('findings')
    .values({
      ticket_id: first.ticket.id,
      item_id: first.items[0]!.id,
      check: 'patterns',
      detector: 'credit_card',
      severity: 'high',
      confidence: 0.9,
      // A canary: the page shows the masked excerpt, never the finding's other fields.
      location: JSON.stringify({ line: 3, raw: RAW_CARD }),
      excerpt: MASKED_CARD,
      value_key: 'k1',
      trace: JSON.stringify({ value: RAW_CARD }),
    })
    .execute();
  await api.db
    .insertInto('review_tasks')
    .values({ ticket_id: first.ticket.id, state: 'open', due_at: new Date(NOW.getTime() + 90 * 60_000), destination: 's3' })
    .execute();
  await decideApproval(api.db, first.ticket.id, { name: 'vic', roles: ['approver'], groups: [] }, { decision: 'approve', channel: 'web' });

  const redacted = await ticketAwaitingApproval(
    api.db,
    { requester: 'rita', approvers: ['val'], pipeline: 'secret' },
    { paths: ['payroll/ceo-salary.csv'] },
  );
  await api.db.updateTable('tickets').set({ redact_names: true }).where('id', '=', redacted.ticket.id).execute();
  refs.redacted = formatTicketNumber(redacted.ticket.number);

  // Not val's: names only vic; val requested it himself; val already decided it.
  refs.vicOnly = formatTicketNumber((await ticketAwaitingApproval(api.db, { requester: 'rita', approvers: ['vic'] })).ticket.number);
  refs.own = formatTicketNumber((await ticketAwaitingApproval(api.db, { requester: 'val', approvers: ['val', 'vic'] })).ticket.number);
  const decided = await ticketAwaitingApproval(api.db, { requester: 'rita', approvers: ['val', 'vic'] }, { required: two });
  refs.decided = formatTicketNumber(decided.ticket.number);
  await decideApproval(
    api.db,
    decided.ticket.id,
    { name: 'val', roles: ['approver'], groups: [] },
    { decision: 'approve', channel: 'email' },
  );
  refs.forAmy = formatTicketNumber((await ticketAwaitingApproval(api.db, { requester: 'rita', approvers: ['amy'] })).ticket.number);
});
afterAll(() => api?.close());

const browserOf = (name: string): Promise<ConsoleBrowser> => signIn(console_, name, tokens[name]!);

describe('the approver inbox', () => {
  it('lists only tickets that name the caller and that they have not decided, oldest first', async () => {
    const val = await browserOf('val');
    const inbox = await val.get('/ui/approvals');
    expect(inbox.status, inbox.html).toBe(200);
    const waiting = textOf(inbox.html.split('id="decided"')[0]!);
    expect(waiting).toContain(refs.first);
    expect(waiting).toContain(refs.redacted);
    expect(waiting.indexOf(refs.first!)).toBeLessThan(waiting.indexOf(refs.redacted!));
    for (const other of [refs.vicOnly, refs.own, refs.decided]) expect(waiting).not.toContain(other);
    expect(waiting).toContain('2 tickets wait for you, oldest first');
  });

  it('shows the blind review: counts and masked excerpts per detector, files with type, size and hash, destination, policy, rule and reasons', async () => {
    const html = (await (await browserOf('val')).get('/ui/approvals')).html;
    const text = textOf(html);
    expect(text).toContain(`credit_card (patterns) 1 ${MASKED_CARD}`);
    expect(html).not.toContain(RAW_CARD);
    expect(text).toContain('Files (2)');
    expect(text).toContain('statements/q2.csv');
    expect(text).toContain('1 kB'); // 1000 bytes, as the review mail writes it
    expect(text).toContain('2'.repeat(64));
    expect(text).toContain('Destination s3');
    expect(text).toContain('Policy default@policy-v1');
    expect(text).toContain('Rule review-sensitive');
    expect(text).toContain('review-sensitive: 1 distinct iban value');
  });

  it('shows approvals so far, what is still needed, and the review deadline', async () => {
    const text = textOf((await (await browserOf('val')).get('/ui/approvals')).html);
    expect(text).toContain('1 so far (vic)');
    expect(text).toContain('needed: 2 from any approver; 1 still missing');
    const deadline = new Date(NOW.getTime() + 90 * 60_000).toISOString().slice(0, 16).replace('T', ' ');
    expect(text).toContain(`Review deadline ${deadline} UTC (in 1 h 30 min)`);
  });

  it('hashes file names of a ticket whose pipeline redacts them', async () => {
    const html = (await (await browserOf('val')).get('/ui/approvals')).html;
    expect(html).not.toContain('ceo-salary');
    expect(html).toContain(nameHash('payroll/ceo-salary.csv'));
    // No review task recorded its destination: the pipeline's kind is shown.
    expect(textOf(html.split(`id="ticket-${refs.redacted}"`)[1]!)).toContain('Destination local');
  });

  it('gives each ticket a labelled decision form that posts to the ticket page’s decision handler', async () => {
    const val = await browserOf('val');
    const html = (await val.get('/ui/approvals')).html;
    for (const ref of [refs.first!, refs.redacted!]) {
      const form = new RegExp(`<form method="post" action="/ui/tickets/${ref}/decision"[^>]*>([\\s\\S]*?)</form>`).exec(html);
      expect(form, ref).not.toBeNull();
      const body = form![1]!;
      expect(body).toContain(`<input type="hidden" name="csrf" value="${val.csrf}"/>`);
      expect(body).toContain(`<label for="comment-${ref}">Comment</label>`);
      expect(body).toContain(`<textarea id="comment-${ref}" name="comment"`);
      expect(body).toMatch(/<button type="submit" name="decision" value="approve">\s*Approve\s*<\/button>/);
      expect(body).toMatch(/<button type="submit" name="decision" value="reject" class="stop">\s*Reject\s*<\/button>/);
    }
    const ids = [...html.matchAll(/ id="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('lists the caller’s recent decisions, read-only', async () => {
    const html = (await (await browserOf('val')).get('/ui/approvals')).html;
    const recent = html.split('id="decided"')[1]!;
    expect(textOf(recent)).toContain(`${refs.decided} dual approved (e-mail)`);
    expect(textOf(recent)).toContain('awaiting approval');
    expect(recent).not.toContain('<form');
  });

  it('says so when nothing waits', async () => {
    const text = textOf((await (await browserOf('ann')).get('/ui/approvals')).html);
    expect(text).toContain('Nothing is waiting for your decision.');
    expect(text).toContain('You have not decided on any ticket yet.');
  });

  it('drops a ticket from the inbox once the caller has decided it', async () => {
    const vic = await browserOf('vic');
    const text = textOf((await vic.get('/ui/approvals')).html.split('id="decided"')[0]!);
    expect(text).toContain(refs.vicOnly);
    expect(text).not.toContain(refs.first); // vic approved it above
    expect(text).not.toContain(refs.redacted); // it does not name vic
  });

  it('records a decision sent with the inbox form (through the ticket page’s handler) and drops the ticket from the inbox', async () => {
    const amy = await browserOf('amy');
    const before = await amy.get('/ui/approvals');
    expect(textOf(before.html)).toContain(refs.forAmy);
    const sent = await amy.post(`/ui/tickets/${refs.forAmy}/decision`, { decision: 'approve', comment: 'looks fine' });
    expect(sent.status, sent.html).toBe(303);
    expect(sent.location).toBe(`/ui/tickets/${refs.forAmy}?done=approved`);
    const stored = await api.db
      .selectFrom('approvals as a')
      .innerJoin('tickets as t', 't.id', 'a.ticket_id')
      .select(['a.decision', 'a.comment', 'a.channel', 't.state'])
      .where('a.user_name', '=', 'amy')
      .execute();
    expect(stored).toEqual([{ decision: 'approve', comment: 'looks fine', channel: 'web', state: 'approved' }]);
    const after = await amy.get('/ui/approvals');
    expect(textOf(after.html.split('id="decided"')[0]!)).not.toContain(refs.forAmy);
    expect(textOf(after.html.split('id="decided"')[1]!)).toContain(`${refs.forAmy} dual approved (console)`);
  });

  it('is for approvers only: a requester gets 403', async () => {
    const rita = await browserOf('rita');
    const page = await rita.get('/ui/approvals');
    expect(page.status).toBe(403);
    expect(page.html).not.toContain(refs.first);
  });

  it('escapes purposes and file names, and has no inline script or style', async () => {
    const html = (await (await browserOf('val')).get('/ui/approvals')).html;
    expect(html).not.toContain(XSS);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;');
    expect(html).not.toMatch(/<script>|<style|style="| on[a-z]+="/);
  });
});
