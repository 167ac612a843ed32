// The requester's console pages and the ticket page, in-process over a real store: submitting through the
// form, the list, visibility, deciding, escalating and cancelling from the page, the live JSON, escaping and
// name redaction.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, ticketAwaitingApproval, type ApiHarness } from '../../../test/api-harness.js';
import { signIn, textOf, type ConsoleBrowser } from '../../../test/console-harness.js';
import { replaceItems, updateItem } from '../../tickets/item-store.js';
import { nameHash } from '../../tickets/name-hash.js';
import { formatTicketNumber } from '../../tickets/states.js';
import { getTicketRow, transitionTicket } from '../../tickets/ticket-store.js';

const XSS = '<script>alert(1)</script><img src=x onerror=alert(2)>';

let api: ApiHarness;
const as: Record<string, ConsoleBrowser> = {};

beforeAll(async () => {
  api = await createApiHarness({
    pipelines: { plain: {}, dual: { approvers: ['ann', 'bea'] }, secret: { approvers: ['ann'], redactNames: true } },
  });
  const people: [string, ('requester' | 'approver' | 'operator' | 'auditor')[]][] = [
    ['rita', ['requester']],
    ['reed', ['requester']],
    ['ann', ['approver']],
    ['bea', ['approver']],
    ['carl', ['approver']],
    ['olga', ['operator']],
    ['audrey', ['auditor']],
  ];
  for (const [name, roles] of people) as[name] = await signIn(api, name, await api.user(name, roles));
});
afterAll(() => api?.close());

const browser = (name: string) => as[name]!;

/** Submits through the form and returns the new ticket's number from the redirect. */
async function submit(who: string, fields: { pipeline?: string; purpose?: string; selection?: string } = {}): Promise<string> {
  const response = await browser(who).post('/ui/tickets', {
    pipeline: 'plain',
    purpose: 'statements for the auditors',
    selection: '',
    ...fields,
  });
  expect(response.status, response.html).toBe(303);
  const match = /^\/ui\/tickets\/(T-\d{6})\?done=submitted$/.exec(response.location ?? '');
  expect(match, response.location ?? '').not.toBeNull();
  return match![1]!;
}

async function awaiting(options: { requester?: string; approvers?: string[]; paths?: string[]; pipeline?: string } = {}) {
  const { ticket, items } = await ticketAwaitingApproval(
    api.db,
    { requester: options.requester ?? 'rita', approvers: options.approvers ?? ['ann', 'bea'], pipeline: options.pipeline ?? 'dual' },
    { ...(options.paths ? { paths: options.paths } : {}) },
  );
  return { ticket, items, ref: formatTicketNumber(ticket.number) };
}

const rowOf = (ref: string) =>
  api.db
    .selectFrom('tickets')
    .selectAll()
    .where('number', '=', Number(ref.slice(2)) as never)
    .executeTakeFirstOrThrow();

describe('new transfer', () => {
  it('offers the pipelines with labelled fields, and submitting creates the ticket with its job', async () => {
    const form = await browser('rita').get('/ui/tickets/new');
    expect(form.status).toBe(200);
    for (const id of ['pipeline', 'purpose', 'selection']) expect(form.html).toContain(`<label for="${id}">`);
    expect(form.html).toMatch(/<select id="pipeline" name="pipeline"/);
    expect(form.html).toContain('<option value="dual"');
    expect(textOf(form.html)).toContain('Submit transfer');
    expect(form.html).not.toContain('../inbox');

    const ref = await submit('rita', { purpose: 'Quarterly statements', selection: 'a/*.csv, b/*.csv\nc/**\n' });
    const row = await rowOf(ref);
    expect(row).toMatchObject({ pipeline: 'plain', requester: 'rita', purpose: 'Quarterly statements', state: 'requested' });
    expect(row.selection).toEqual({ include: ['a/*.csv', 'b/*.csv', 'c/**'] });
    expect(api.enqueued).toContain(row.id);
    expect(await api.jobsFor(row.id)).toBe(1);

    const shown = await browser('rita').get(`/ui/tickets/${ref}?done=submitted`);
    expect(shown.status).toBe(200);
    expect(shown.html).toContain(`<h1 id="ticket-heading">${ref}</h1>`);
    expect(textOf(shown.html)).toContain('Your transfer is submitted.');
  });

  it('keeps what was typed and says what is wrong when the form is not right, creating nothing', async () => {
    const before = (await api.db.selectFrom('tickets').select('id').execute()).length;
    const cases: [Record<string, string>, string][] = [
      [{ pipeline: 'plain', purpose: ' ', selection: XSS }, 'Say what the transfer is for'],
      [{ pipeline: 'nowhere', purpose: XSS, selection: '' }, 'Choose one of the pipelines'],
      [{ pipeline: 'plain', purpose: XSS, selection: 'ok/*.csv, [z-a]' }, 'is malformed'],
      [{ pipeline: 'plain', purpose: XSS, selection: Array.from({ length: 101 }, (_, i) => `p${i}`).join(',') }, 'at most 100 patterns'],
    ];
    for (const [fields, problem] of cases) {
      const response = await browser('rita').post('/ui/tickets', fields);
      expect(response.status, problem).toBe(400);
      expect(response.html).toContain('role="alert"');
      expect(textOf(response.html)).toContain(problem);
      expect(response.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;');
      expect(response.html).not.toContain('<script>alert');
      expect(response.html).not.toContain('<img src=x');
    }
    expect(await api.db.selectFrom('tickets').select('id').execute()).toHaveLength(before);
  });

  it('is for requesters only, and refuses a post without the session’s CSRF token', async () => {
    expect((await browser('audrey').get('/ui/tickets/new')).status).toBe(403);
    expect((await browser('audrey').post('/ui/tickets', { pipeline: 'plain', purpose: 'not mine to ask' })).status).toBe(403);
    const before = (await api.db.selectFrom('tickets').select('id').execute()).length;
    const forged = await browser('rita').post('/ui/tickets', { pipeline: 'plain', purpose: 'forged request', csrf: null });
    expect(forged.status).toBe(403);
    expect(await api.db.selectFrom('tickets').select('id').execute()).toHaveLength(before);
  });
});

describe('ticket list and visibility', () => {
  it('lists only the caller’s visible tickets, newest first, with filters', async () => {
    const mine = await submit('rita', { purpose: 'rita list check' });
    const theirs = await submit('reed', { purpose: 'reed list check' });
    const rita = await browser('rita').get('/ui/tickets');
    expect(rita.status).toBe(200);
    expect(rita.html).toContain(`href="/ui/tickets/${mine}"`);
    expect(rita.html).not.toContain(`href="/ui/tickets/${theirs}"`);
    expect(rita.html).toContain('<th scope="col">State</th>');
    expect(rita.html).toContain('class="badge state-requested" data-ticket-state="requested"');

    const audrey = await browser('audrey').get('/ui/tickets');
    expect(audrey.html.indexOf(theirs)).toBeLessThan(audrey.html.indexOf(mine));
    const filtered = await browser('audrey').get('/ui/tickets?state=delivered&mine=true');
    expect(filtered.html).not.toContain(`href="/ui/tickets/${mine}"`);
    expect(filtered.html).toContain('<option value="delivered" selected="">');
    const bogus = await browser('rita').get(`/ui/tickets?state=${encodeURIComponent(XSS)}`);
    expect(bogus.status).toBe(200);
    expect(bogus.html).not.toContain('alert(');
    expect((await api.call('/ui/tickets')).status).toBe(303);
  });

  it('answers 404 for someone else’s ticket, its live JSON, and its actions, as for one that does not exist', async () => {
    const ref = await submit('rita', { purpose: 'not for reed' });
    for (const path of [`/ui/tickets/${ref}`, `/ui/tickets/${ref}/live`, '/ui/tickets/T-999999', '/ui/tickets/nonsense']) {
      const response = await browser('reed').get(path);
      expect(response.status, path).toBe(404);
      expect(response.html, path).not.toContain('rita');
    }
    for (const action of ['cancel', 'escalate', 'decision']) {
      expect((await browser('reed').post(`/ui/tickets/${ref}/${action}`, { decision: 'approve' })).status, action).toBe(404);
    }
    expect((await rowOf(ref)).state).toBe('requested');
  });
});

describe('deciding from the ticket page', () => {
  it('shows a named approver the decision form, records the approval, and approves at quorum 1', async () => {
    const { ref, ticket } = await awaiting();
    const page = await browser('ann').get(`/ui/tickets/${ref}`);
    expect(page.status).toBe(200);
    expect(page.html).toContain('<label for="comment">');
    expect(page.html).toMatch(/<textarea id="comment" name="comment"/);
    expect(page.html).toContain('name="decision" value="approve"');
    expect(page.html).toContain('name="decision" value="reject"');
    expect(textOf(page.html)).toContain('review-sensitive');
    expect((await browser('rita').get(`/ui/tickets/${ref}`)).html).not.toContain('name="decision"');
    expect((await browser('carl').get(`/ui/tickets/${ref}`)).status).toBe(404);

    const own = await browser('rita').post(`/ui/tickets/${ref}/decision`, { decision: 'approve', comment: 'mine' });
    expect(own.status).toBe(403);
    expect(textOf(own.html)).toContain('never approves their own ticket');

    const approved = await browser('ann').post(`/ui/tickets/${ref}/decision`, { decision: 'approve', comment: `fine ${XSS}` });
    expect(approved.status, approved.html).toBe(303);
    expect(approved.location).toBe(`/ui/tickets/${ref}?done=approved`);
    const approval = await api.db.selectFrom('approvals').selectAll().where('ticket_id', '=', ticket.id).executeTakeFirstOrThrow();
    expect(approval).toMatchObject({ user_name: 'ann', decision: 'approve', channel: 'web', comment: `fine ${XSS}` });
    expect((await getTicketRow(api.db, ticket.id)).state).toBe('approved');
    expect(api.enqueued).toContain(ticket.id);

    const after = await browser('ann').get(approved.location!);
    expect(textOf(after.html)).toContain('Your approval is recorded.');
    expect(after.html).not.toContain('<label for="comment">');
    expect(after.html).toContain('&lt;script&gt;');
    expect(after.html).not.toContain('<img src=x');

    const again = await browser('ann').post(`/ui/tickets/${ref}/decision`, { decision: 'approve' });
    expect(again.status).toBe(409);
  });

  it('refuses a second decision by the same approver with 409, and a rejection ends and purges the ticket', async () => {
    const { ref, ticket } = await awaiting({ approvers: ['ann', 'bea'] });
    await api.db
      .updateTable('decisions')
      .set({ required_approvals: JSON.stringify([{ count: 2, groups: [], distinctGroups: false }]) })
      .where('ticket_id', '=', ticket.id)
      .execute();
    expect((await browser('ann').post(`/ui/tickets/${ref}/decision`, { decision: 'approve' })).status).toBe(303);
    expect((await getTicketRow(api.db, ticket.id)).state).toBe('awaiting_approval');
    const twice = await browser('ann').post(`/ui/tickets/${ref}/decision`, { decision: 'reject' });
    expect(twice.status).toBe(409);
    expect(textOf(twice.html)).toContain('already decided');

    expect((await browser('bea').post(`/ui/tickets/${ref}/decision`, { decision: 'maybe' })).status).toBe(400);
    const rejected = await browser('bea').post(`/ui/tickets/${ref}/decision`, { decision: 'reject', comment: 'no' });
    expect(rejected.location).toBe(`/ui/tickets/${ref}?done=rejected`);
    expect((await getTicketRow(api.db, ticket.id)).state).toBe('rejected');
    expect(api.purged).toContain(ticket.id);
    const page = await browser('rita').get(`/ui/tickets/${ref}`);
    expect(textOf(page.html)).toMatch(/ann approved .* bea rejected/);
  });
});

describe('talk to a human and cancel', () => {
  it('escalates for the requester: an operator is assigned and the page names them and the SLA', async () => {
    const ref = await submit('rita', { purpose: 'please help' });
    const page = await browser('rita').get(`/ui/tickets/${ref}`);
    expect(textOf(page.html)).toContain('Talk to a human');
    expect(textOf((await browser('audrey').get(`/ui/tickets/${ref}`)).html)).not.toContain('Talk to a human');
    expect((await browser('audrey').post(`/ui/tickets/${ref}/escalate`)).status).toBe(403);

    const escalated = await browser('rita').post(`/ui/tickets/${ref}/escalate`);
    expect(escalated.location).toBe(`/ui/tickets/${ref}?done=escalated`);
    const row = await rowOf(ref);
    expect(row.escalated_at).not.toBeNull();
    expect(row.severity).toBe('high');
    const operators = await api.db
      .selectFrom('ticket_participants')
      .select('user_name')
      .where('ticket_id', '=', row.id)
      .where('role', '=', 'operator')
      .execute();
    expect(operators.map((o) => o.user_name)).toEqual(['olga']);
    const after = textOf((await browser('rita').get(escalated.location!)).html);
    expect(after).toContain('A human is on it: olga now handles this ticket and should answer you by');
    expect(after).toContain('handled by olga');
    expect(after).not.toContain('Talk to a human');
    // The operator now sees it.
    expect((await browser('olga').get(`/ui/tickets/${ref}`)).status).toBe(200);
  });

  it('cancels a requested or awaiting ticket and purges it, and refuses otherwise', async () => {
    const requested = await submit('rita', { purpose: 'cancel me' });
    expect(textOf((await browser('rita').get(`/ui/tickets/${requested}`)).html)).toContain('Cancel transfer');
    expect((await browser('audrey').post(`/ui/tickets/${requested}/cancel`)).status).toBe(403);
    const cancelled = await browser('rita').post(`/ui/tickets/${requested}/cancel`);
    expect(cancelled.location).toBe(`/ui/tickets/${requested}?done=cancelled`);
    const row = await rowOf(requested);
    expect(row.state).toBe('cancelled');
    expect(api.purged).toContain(row.id);
    const page = await browser('rita').get(cancelled.location!);
    expect(textOf(page.html)).toContain('The transfer is cancelled');
    expect(textOf(page.html)).not.toContain('Cancel transfer');

    const { ref, ticket } = await awaiting();
    expect((await browser('rita').post(`/ui/tickets/${ref}/cancel`)).status).toBe(303);
    expect((await getTicketRow(api.db, ticket.id)).state).toBe('cancelled');

    const again = await browser('rita').post(`/ui/tickets/${ref}/cancel`);
    expect(again.status).toBe(409);
    const fetching = await submit('rita', { purpose: 'already moving' });
    await transitionTicket(api.db, (await rowOf(fetching)).id, 'fetching', { actor: 'worker:test' });
    expect(textOf((await browser('rita').get(`/ui/tickets/${fetching}`)).html)).not.toContain('Cancel transfer');
    expect((await browser('rita').post(`/ui/tickets/${fetching}/cancel`)).status).toBe(409);
    expect((await rowOf(fetching)).state).toBe('fetching');
  });
});

describe('what the ticket page shows', () => {
  it('escapes hostile purposes and file names on the list and the ticket page', async () => {
    const ref = await submit('rita', { purpose: XSS });
    const row = await rowOf(ref);
    await replaceItems(api.db, row.id, [`in/${XSS}.csv`]);
    for (const path of ['/ui/tickets', `/ui/tickets/${ref}`]) {
      const page = await browser('rita').get(path);
      expect(page.html, path).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      expect(page.html, path).not.toContain('<script>alert');
      expect(page.html, path).not.toContain('<img src=x');
      expect(page.html, path).not.toMatch(/<script>|<style|style="| on[a-z]+="/);
    }
    expect((await browser('rita').get(`/ui/tickets/${ref}`)).html).toContain(`in/&lt;script&gt;`);
  });

  it('serves live JSON from the progress column and item states, and draws the same on the page', async () => {
    const { ref, ticket, items } = await awaiting();
    await transitionTicket(api.db, ticket.id, 'approved', { actor: 'worker:test' });
    await transitionTicket(api.db, ticket.id, 'delivering', { actor: 'worker:test' });
    const progress = { phase: 'deliver', filesDone: 1, filesTotal: 2, bytesDone: 1000, bytesTotal: 2001 };
    await api.db
      .updateTable('tickets')
      .set({ progress: JSON.stringify(progress) })
      .where('id', '=', ticket.id)
      .execute();
    await updateItem(api.db, items[0]!.id, { state: 'delivered' });

    const live = await browser('rita').get(`/ui/tickets/${ref}/live`);
    expect(live.status).toBe(200);
    expect(live.headers.get('cache-control')).toBe('no-store');
    expect(JSON.parse(live.html)).toEqual({
      state: 'delivering',
      progress: { ...progress, value: 1000, max: 2001, text: 'deliver: 1/2 files, 1000 B/2.0 KiB' },
      items: [
        { seq: 1, state: 'delivered', size: 1000, step: { value: 3, max: 3, label: 'delivered (3 of 3 steps)' } },
        { seq: 2, state: 'inspected', size: 1001, step: { value: 2, max: 3, label: 'inspected (2 of 3 steps)' } },
      ],
      terminal: false,
    });

    const page = await browser('rita').get(`/ui/tickets/${ref}`);
    expect(page.html).toContain(`data-live="/ui/tickets/${ref}/live"`);
    expect(page.html).toMatch(/<progress id="ticket-progress" value="1000" max="2001"/);
    // Each file has its own bar: how many of its three steps (fetched, inspected, delivered) it made.
    expect(page.html).toContain(
      '<progress class="item-progress" max="3" value="3" data-item-progress="" aria-label="File 1: delivered (3 of 3 steps)">',
    );
    expect(page.html).toContain(
      '<progress class="item-progress" max="3" value="2" data-item-progress="" aria-label="File 2: inspected (2 of 3 steps)">',
    );
    expect(page.html).toContain('aria-live="polite"');
    expect(page.html).toContain(`<a href="/ui/tickets/${ref}" class="refresh">Refresh</a>`);
    expect(page.html).toContain('<script src="/ui/assets/console.js" defer=""></script>');

    await transitionTicket(api.db, ticket.id, 'delivered', { actor: 'worker:test' });
    const done = await browser('rita').get(`/ui/tickets/${ref}`);
    expect(done.html).toContain('<span class="badge state-delivered" data-ticket-state="delivered" data-live-state="">delivered</span>');
    expect(done.html).toContain('data-terminal="true"');
    expect(JSON.parse((await browser('rita').get(`/ui/tickets/${ref}/live`)).html)).toMatchObject({ state: 'delivered', terminal: true });
  });

  it('shows findings with masked excerpts, the decision and the approvals so far', async () => {
    const { ref, ticket, items } = await awaiting();
    await api.db
      .insertInto('findings')
      .values(
        ['DE89 •••• •••• 3000', 'DE44 •••• •••• 1300'].map((excerpt) => ({
          ticket_id: ticket.id,
          item_id: items[0]!.id,
          check: 'patterns',
          detector: 'iban',
          severity: 'high' as const,
          confidence: 0.9,
          location: JSON.stringify({ line: 3 }),
          excerpt,
        })),
      )
      .execute();
    const text = textOf((await browser('ann').get(`/ui/tickets/${ref}`)).html);
    expect(text).toContain('patterns / iban high 2 1 DE89 •••• •••• 3000 DE44 •••• •••• 1300');
    expect(text).toContain('Rule review-sensitive');
    expect(text).toContain('default, version policy-v1');
    expect(text).toContain('1 approval(s) needed; 1 still missing.');
    expect(text).toContain('Nobody has decided yet.');
  });

  it('shows hashed names, not paths, for a pipeline that redacts names', async () => {
    const secretPath = 'customers/alice-smith-salary.csv';
    const { ref, ticket } = await awaiting({ pipeline: 'secret', approvers: ['ann'], paths: [secretPath] });
    await api.db.updateTable('tickets').set({ redact_names: true }).where('id', '=', ticket.id).execute();
    for (const who of ['rita', 'ann', 'audrey']) {
      const page = await browser(who).get(`/ui/tickets/${ref}`);
      expect(page.html, who).toContain(nameHash(secretPath));
      expect(page.html, who).not.toContain('alice-smith');
    }
    expect((await browser('rita').get(`/ui/tickets/${ref}/live`)).html).not.toContain('alice-smith');
  });
});
