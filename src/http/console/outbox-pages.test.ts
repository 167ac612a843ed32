// The outbox pages, in-process over a real store: who reads which mails, and that an action link (a key that
// answers as its recipient) shows only to that recipient.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiHarness, ticketAwaitingApproval, type ApiHarness } from '../../../test/api-harness.js';
import { signIn, textOf, type ConsoleBrowser } from '../../../test/console-harness.js';
import { backendName } from '../../../test/test-store.js';
import { acknowledgeSubmission, openReviewTask, type CommunicationContext } from '../../approvals/review-task.js';
import { systemClock } from '../../clock.js';
import { enqueueMail } from '../../notify/outbox.js';
import { listMails } from '../../notify/outbox-store.js';
import { escalateTicket } from '../../tickets/escalation.js';
import { findTicket } from '../../tickets/ticket-store.js';
import { splitActionLinks } from './outbox/mail-body.js';

const XSS = '<script>alert(1)</script><img src=x onerror=alert(2)>';
const PUBLIC_URL = 'https://airlock.example';
const TOKEN = /alink_[A-Za-z0-9_-]{43}/g;

let api: ApiHarness;
const browsers: Record<string, ConsoleBrowser> = {};
/** Each mail's id and the action-link tokens in its text, by recipient user name. */
const mailTo: Record<string, { id: string; tokens: string[]; subject: string }> = {};
let allTokens: string[] = [];

beforeAll(async () => {
  api = await createApiHarness({ pipelines: { dual: { approvers: ['abby', 'ahmed'] } } });
  const people = {
    rita: ['requester'],
    abby: ['approver'],
    ahmed: ['approver'],
    olga: ['operator'],
    audrey: ['auditor'],
    adam: ['admin'],
  } as const;
  for (const [name, roles] of Object.entries(people)) browsers[name] = await signIn(api, name, await api.user(name, roles));

  // A ticket with a hostile purpose goes to review: the requester's acknowledgement (with a "talk to a
  // human" link) and a review request with approve and reject links to each approver.
  const ctx: CommunicationContext = { publicUrl: PUBLIC_URL, clock: systemClock };
  const { ticket } = await ticketAwaitingApproval(api.db, { requester: 'rita', approvers: ['abby', 'ahmed'] });
  await api.db
    .updateTable('tickets')
    .set({ purpose: `quarterly ${XSS}` })
    .where('id', '=', ticket.id)
    .execute();
  const row = (await findTicket(api.db, { id: ticket.id }))!;
  await acknowledgeSubmission(api.db, row, ctx);
  await openReviewTask(api.db, row, { ...ctx, destination: 'local' });
  // The only operator handles the ticket from here (an escalation), so its mails are theirs to read too.
  await escalateTicket(api.db, ticket.id, 'rita', { slaMinutes: 60 });

  const mails = await api.db.selectFrom('mails').select(['id', 'to_user', 'text_body', 'subject']).execute();
  for (const mail of mails) mailTo[mail.to_user!] = { id: mail.id, tokens: mail.text_body.match(TOKEN) ?? [], subject: mail.subject };
  allTokens = Object.values(mailTo).flatMap((m) => m.tokens);
});
afterAll(() => api?.close());

describe(`outbox (${backendName} store)`, () => {
  it('holds the mails the test expects: each with its own action links', () => {
    expect(Object.keys(mailTo).sort()).toEqual(['abby', 'ahmed', 'rita']);
    expect(mailTo.rita!.tokens).toHaveLength(1);
    expect(mailTo.abby!.tokens.length).toBeGreaterThanOrEqual(1);
    expect(new Set(allTokens).size).toBeGreaterThanOrEqual(3);
  });

  it('shows a requester or an approver only the mails sent to them', async () => {
    for (const name of ['rita', 'abby'] as const) {
      const list = await browsers[name]!.get('/ui/outbox');
      expect(list.status).toBe(200);
      const links = [...list.html.matchAll(/href="\/ui\/outbox\/([0-9a-f-]{36})"/g)].map((m) => m[1]);
      expect(links, name).toEqual([mailTo[name]!.id]);
      expect(textOf(list.html)).toContain(`${name} <${name}@example.com>`);
    }
  });

  it('shows an admin no mail about a ticket, only system mails', async () => {
    const list = await browsers.adam!.get('/ui/outbox');
    expect(list.html).not.toMatch(/href="\/ui\/outbox\/[0-9a-f-]{36}"/);
    for (const mail of Object.values(mailTo)) expect((await browsers.adam!.get(`/ui/outbox/${mail.id}`)).status).toBe(404);
    const system = await enqueueMail(api.db, {
      kind: 'notice',
      to: { address: 'ops@example.com' },
      subject: 'Nightly digest',
      text: 'x',
      html: '<p>x</p>',
    });
    expect((await browsers.adam!.get(`/ui/outbox/${system.id}`)).status).toBe(200);
    expect((await browsers.olga!.get(`/ui/outbox/${system.id}`)).status).toBe(200);
    expect((await browsers.rita!.get(`/ui/outbox/${system.id}`)).status).toBe(404);
    await api.db.deleteFrom('mails').where('id', '=', system.id).execute();
  });

  it('shows auditors every mail, and an operator the mails of the tickets they handle', async () => {
    for (const name of ['olga', 'audrey']) {
      const list = await browsers[name]!.get('/ui/outbox');
      expect(list.status, name).toBe(200);
      const links = [...list.html.matchAll(/href="\/ui\/outbox\/([0-9a-f-]{36})"/g)].map((m) => m[1]).sort();
      expect(links, name).toEqual(
        Object.values(mailTo)
          .map((m) => m.id)
          .sort(),
      );
      expect(textOf(list.html)).toContain('kept here, not sent');
      expect(list.html).toMatch(/<span class="badge mail-state-queued">queued<\/span>/);
    }
  });

  it('answers 404 for someone else’s mail, as for a mail that does not exist', async () => {
    const other = await browsers.rita!.get(`/ui/outbox/${mailTo.abby!.id}`);
    expect(other.status).toBe(404);
    const none = await browsers.rita!.get('/ui/outbox/00000000-0000-4000-8000-000000000000');
    expect(none.status).toBe(404);
    expect(textOf(other.html)).toBe(textOf(none.html));
    expect((await browsers.rita!.get('/ui/outbox/not-a-uuid')).status).toBe(404);
  });

  it('never shows an action link to anyone but its recipient, and replaces it with a placeholder', async () => {
    for (const name of ['olga', 'audrey']) {
      for (const [to, mail] of Object.entries(mailTo)) {
        const shown = await browsers[name]!.get(`/ui/outbox/${mail.id}`);
        expect(shown.status, `${name} reads ${to}`).toBe(200);
        for (const token of allTokens) expect(shown.html, `${name} reads ${to}`).not.toContain(token);
        expect(shown.html).not.toContain('alink_');
        expect(textOf(shown.html)).toContain(`[action link for ${to} <${to}@example.com>]`);
      }
      const list = await browsers[name]!.get('/ui/outbox');
      for (const token of allTokens) expect(list.html).not.toContain(token);
    }
  });

  it('shows the recipient their own links as links they can follow', async () => {
    const own = await browsers.abby!.get(`/ui/outbox/${mailTo.abby!.id}`);
    expect(own.status).toBe(200);
    for (const token of mailTo.abby!.tokens) {
      expect(own.html).toMatch(new RegExp(`<a href="${PUBLIC_URL}/a/${token}(\\?decision=(approve|reject))?">`));
    }
    for (const token of [...mailTo.ahmed!.tokens, ...mailTo.rita!.tokens]) expect(own.html).not.toContain(token);
    expect(textOf(own.html)).not.toContain('[action link for');
    const ack = await browsers.rita!.get(`/ui/outbox/${mailTo.rita!.id}`);
    expect(ack.html).toContain(`<a href="${PUBLIC_URL}/a/${mailTo.rita!.tokens[0]}">`);
  });

  it('renders a hostile purpose and subject escaped', async () => {
    const shown = await browsers.rita!.get(`/ui/outbox/${mailTo.rita!.id}`);
    expect(shown.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;');
    await enqueueMail(api.db, {
      kind: 'notice',
      to: { address: 'rita@example.com', user: 'rita' },
      subject: `Hello ${XSS}`,
      text: XSS,
      html: '<p>x</p>',
    });
    for (const path of ['/ui/outbox', `/ui/outbox/${mailTo.rita!.id}`]) {
      const page = await browsers.rita!.get(path);
      expect(page.html, path).not.toContain('<script>alert(1)');
      expect(page.html, path).not.toContain('<img src=x');
      expect(page.html, path).not.toMatch(/<script>|<style|style="| on[a-z]+="/);
    }
    expect((await browsers.rita!.get('/ui/outbox')).html).toContain('Hello &lt;script&gt;');
  });

  it('pages through the outbox 50 at a time, newest first', async () => {
    for (let i = 1; i <= 60; i += 1) {
      await enqueueMail(api.db, {
        kind: 'notice',
        to: { address: 'adam@example.com', user: 'adam' },
        subject: `Notice ${i}`,
        text: 'x',
        html: '<p>x</p>',
      });
    }
    const subjects = (html: string) => [...html.matchAll(/>Notice (\d+)</g)].map((m) => Number(m[1]));
    const first = await browsers.adam!.get('/ui/outbox');
    const older = /href="([^"]+)">Older mails/.exec(first.html)![1]!;
    const second = await browsers.adam!.get(older);
    const all = [...subjects(first.html), ...subjects(second.html)];
    // The CLI's order (mails written in the same instant fall back to their id), each mail once.
    const stored = (await listMails(api.db)).flatMap((m) => /^Notice (\d+)$/.exec(m.subject)?.[1] ?? []).map(Number);
    expect(all).toEqual(stored);
    expect(new Set(all).size).toBe(60);
    expect(second.html).not.toContain('Older mails');
    const back = await browsers.adam!.get(/href="([^"]+)">Newer mails/.exec(second.html)![1]!);
    expect(subjects(back.html)).toEqual(subjects(first.html));
  });
});

describe('action links in a mail body', () => {
  it('finds URLs holding a token and bare tokens, and leaves other URLs as text', () => {
    const token = `alink_${'a'.repeat(43)}`;
    const text = `Approve:\n  https://x.example/base/a/${token}?decision=approve\nSee https://x.example/ui/tickets\nraw ${token}.`;
    expect(splitActionLinks(text)).toEqual([
      { text: 'Approve:\n  ' },
      { link: `https://x.example/base/a/${token}?decision=approve` },
      { text: '\nSee https://x.example/ui/tickets\nraw ' },
      { link: token },
      { text: '.' },
    ]);
  });
});
