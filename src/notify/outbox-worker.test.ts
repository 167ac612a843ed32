// The outbox worker against a real SMTP server (smtp-server on 127.0.0.1) and the real store: each mail
// arrives once, threaded, through refusals and outages; time is moved, never waited for.
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSmtpServer, type SmtpTestServer } from '../../test/servers/smtp-server.js';
import { backendName, createTestStore, type TestStore } from '../../test/test-store.js';
import type { MailState } from '../db/schema.js';
import { createTicket } from '../tickets/ticket-store.js';
import { createMailTransport } from './mail-sender.js';
import { enqueueMail, type MailDraft } from './outbox.js';
import { CLAIM_TIMEOUT_MS, OutboxWorker, type OutboxWorkerConfig } from './outbox-worker.js';

const silent = pino({ level: 'silent' });
const FROM = 'Airlock <airlock@example.org>';

let store: TestStore;
let smtp: SmtpTestServer;
let clock: Date;

beforeAll(async () => {
  store = await createTestStore();
  smtp = await startSmtpServer();
});
afterAll(async () => {
  await smtp?.stop();
  await store?.close();
});
beforeEach(async () => {
  await store.db.deleteFrom('mails').execute();
  smtp.setDown(false);
  smtp.clear();
  clock = new Date(Date.now() + 1000);
});

/** A worker on the test server with the moved clock and a fixed one-minute backoff. */
function worker(overrides: Partial<OutboxWorkerConfig> = {}): OutboxWorker {
  return new OutboxWorker({
    db: store.db,
    transport: createMailTransport({ smtpUrl: smtp.url }),
    from: FROM,
    logger: silent,
    now: () => clock,
    backoff: () => 60_000,
    ...overrides,
  });
}

function advance(ms: number): void {
  clock = new Date(clock.getTime() + ms);
}

async function newTicket(): Promise<string> {
  return (await createTicket(store.db, { pipeline: 'p', requester: 'alice', purpose: 'test', deliveryMode: 'per-item', policy: 'default' }))
    .id;
}

function draft(overrides: Partial<MailDraft> = {}): MailDraft {
  return {
    kind: 'acknowledgement',
    to: { address: 'alice@example.com', user: 'alice' },
    subject: 'Hello',
    text: 'Hello there.',
    html: '<p>Hello there.</p>',
    ...overrides,
  };
}

async function states(): Promise<{ state: MailState; attempts: number; last_error: string | null }[]> {
  return store.db.selectFrom('mails').select(['state', 'attempts', 'last_error']).orderBy('created_at').orderBy('id').execute();
}

describe(`OutboxWorker (${backendName} store, real SMTP)`, () => {
  it('sends a committed mail once, with text and HTML, and marks it sent', async () => {
    const { messageId } = await enqueueMail(store.db, draft());
    const w = worker();
    expect(await w.runOnce()).toEqual({ sent: 1, failed: 0, retried: 0, local: 0 });
    expect(await w.runOnce()).toEqual({ sent: 0, failed: 0, retried: 0, local: 0 });
    expect(smtp.countByMessageId()).toEqual(new Map([[messageId, 1]]));
    const [mail] = smtp.received;
    expect(mail?.envelope).toEqual({ from: 'airlock@example.org', to: ['alice@example.com'] });
    expect(mail?.parsed.text?.trim()).toBe('Hello there.');
    expect(mail?.parsed.html).toBe('<p>Hello there.</p>');
    expect(mail?.parsed.attachments).toEqual([]);
    expect(mail?.parsed.headers.get('auto-submitted')).toBe('auto-generated');
    const [row] = await store.db.selectFrom('mails').selectAll().execute();
    expect(row).toMatchObject({ state: 'sent', attempts: 1, sent_at: clock, claimed_at: null });
  });

  it("threads a ticket's mails: the 2nd and 3rd carry In-Reply-To and References of the first", async () => {
    const ticketId = await newTicket();
    const first = await enqueueMail(store.db, draft({ ticketId }));
    advance(1);
    const second = await enqueueMail(store.db, draft({ ticketId, kind: 'review-request' }));
    const third = await enqueueMail(store.db, draft({ ticketId, kind: 'reminder' }));
    await worker().runOnce();
    const byId = new Map(smtp.received.map((m) => [m.parsed.messageId, m.parsed]));
    expect(byId.get(first.messageId)?.inReplyTo).toBeUndefined();
    expect(byId.get(first.messageId)?.references).toBeUndefined();
    for (const later of [second, third]) {
      expect(byId.get(later.messageId)?.inReplyTo).toBe(first.messageId);
      expect(byId.get(later.messageId)?.references).toBe(first.messageId);
    }
  });

  it('SMTP refusing then accepting: every mail arrives exactly once, with attempts and the reply recorded meanwhile', async () => {
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push((await enqueueMail(store.db, draft({ subject: `mail ${i}` }))).messageId);
    const w = worker();
    smtp.setDown(true);
    for (let pass = 1; pass <= 3; pass++) {
      expect(await w.runOnce()).toEqual({ sent: 0, failed: 0, retried: 5, local: 0 });
      advance(60_000);
    }
    for (const mail of await states()) {
      expect(mail).toMatchObject({
        state: 'queued',
        attempts: 3,
        last_error: expect.stringMatching(/^MAIL FROM: 451 .*test server is down/),
      });
    }
    expect(smtp.received).toEqual([]);
    smtp.setDown(false);
    for (let pass = 0; pass < 3; pass++) {
      await w.runOnce();
      advance(60_000);
    }
    expect(smtp.countByMessageId()).toEqual(new Map(ids.map((id) => [id, 1])));
    expect((await states()).map((m) => m.state)).toEqual(['sent', 'sent', 'sent', 'sent', 'sent']);
  });

  it('a relay that cannot be reached for longer than maxAttempts fails no mail, and each arrives once when it is back', async () => {
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await enqueueMail(store.db, draft({ subject: `mail ${i}` }))).messageId);
    const w = worker({ maxAttempts: 2 });
    await smtp.kill();
    try {
      for (let pass = 0; pass < 4; pass++) {
        expect(await w.runOnce()).toMatchObject({ sent: 0, failed: 0, retried: 3 });
        advance(60_000);
      }
      for (const mail of await states()) {
        // An outage is not the mail's fault: nothing used up, the error kept.
        expect(mail).toMatchObject({ state: 'queued', attempts: 0, last_error: expect.stringMatching(/ECONNREFUSED/) });
      }
    } finally {
      await smtp.restart();
    }
    expect(await w.runOnce()).toMatchObject({ sent: 3, failed: 0 });
    expect(smtp.countByMessageId()).toEqual(new Map(ids.map((id) => [id, 1])));
  });

  it('two workers draining one outbox at once send every mail exactly once', async () => {
    const ids = [];
    for (let i = 0; i < 30; i++) ids.push((await enqueueMail(store.db, draft({ subject: `mail ${i}` }))).messageId);
    const runs = await Promise.all([worker({ batchSize: 4 }).runOnce(), worker({ batchSize: 4 }).runOnce()]);
    expect(runs[0]!.sent + runs[1]!.sent).toBe(30);
    expect(smtp.countByMessageId()).toEqual(new Map(ids.map((id) => [id, 1])));
  });

  it('gives up after maxAttempts refusals: failed, with the last SMTP reply', async () => {
    await enqueueMail(store.db, draft());
    const w = worker({ maxAttempts: 3 });
    smtp.setDown(true, { code: 550, message: 'Mailbox unavailable' });
    const runs = [];
    for (let pass = 0; pass < 4; pass++) {
      runs.push(await w.runOnce());
      advance(60_000);
    }
    expect(runs.map((r) => [r.retried, r.failed])).toEqual([
      [1, 0],
      [1, 0],
      [0, 1],
      [0, 0],
    ]);
    expect(await states()).toEqual([{ state: 'failed', attempts: 3, last_error: 'MAIL FROM: 550 Mailbox unavailable' }]);
    expect(smtp.received).toEqual([]);
  });

  it('waits out the backoff: a refused mail is not tried again before its next attempt is due', async () => {
    await enqueueMail(store.db, draft());
    const w = worker({ backoff: (attempt) => attempt * 300_000 });
    smtp.setDown(true);
    await w.runOnce();
    smtp.setDown(false);
    advance(299_000);
    expect(await w.runOnce()).toMatchObject({ sent: 0 });
    advance(1_000);
    expect(await w.runOnce()).toMatchObject({ sent: 1 });
  });

  it('without a transport, queued mails are kept in the local outbox, never dropped', async () => {
    await enqueueMail(store.db, draft());
    await enqueueMail(store.db, draft());
    const w = worker({ transport: undefined });
    expect(await w.runOnce()).toEqual({ sent: 0, failed: 0, retried: 0, local: 2 });
    expect((await states()).map((m) => m.state)).toEqual(['local', 'local']);
    expect(smtp.received).toEqual([]);
  });

  it('takes back a claim abandoned by a crashed worker after 10 minutes, and sends the mail', async () => {
    const { id, messageId } = await enqueueMail(store.db, draft());
    await store.db.updateTable('mails').set({ state: 'sending', claimed_at: clock }).where('id', '=', id).execute();
    const w = worker();
    advance(CLAIM_TIMEOUT_MS - 1_000);
    expect(await w.runOnce()).toMatchObject({ sent: 0 });
    advance(2_000);
    expect(await w.runOnce()).toMatchObject({ sent: 1 });
    expect(smtp.countByMessageId()).toEqual(new Map([[messageId, 1]]));
  });

  it('puts no extra header on the wire for line breaks in the subject, the display names or the sender', async () => {
    const evil = '\r\nBcc: eve@example.com\r\nX-Injected: yes';
    await enqueueMail(store.db, draft({ subject: `Review${evil}`, to: { address: 'alice@example.com', user: `alice${evil}` } }));
    // A row written around enqueueMail is cleaned again when it is sent.
    await store.db
      .updateTable('mails')
      .set({ subject: `Again${evil}` })
      .execute();
    await worker({ from: 'Airlock <airlock@example.org>' }).runOnce();
    const [mail] = smtp.received;
    expect(mail?.envelope.to).toEqual(['alice@example.com']);
    const headerNames = [...(mail?.parsed.headers.keys() ?? [])].sort();
    expect(headerNames).toEqual(['auto-submitted', 'content-type', 'date', 'from', 'message-id', 'mime-version', 'subject', 'to'].sort());
    expect(mail?.raw).not.toMatch(/^(bcc|x-injected):/im);
    expect(mail?.parsed.subject).toBe('Again Bcc: eve@example.com X-Injected: yes');
    expect(mail?.parsed.to).toMatchObject({
      value: [{ address: 'alice@example.com', name: 'alice Bcc: eve@example.com X-Injected: yes' }],
    });
  });

  it('refuses a sender with a line break at setup', () => {
    expect(() => worker({ from: 'Airlock\r\nBcc: eve@example.com <airlock@example.org>' })).toThrow(/MAIL_FROM/);
  });

  it('start() sends in the background until stop()', async () => {
    const { messageId } = await enqueueMail(store.db, draft());
    const w = worker({ now: () => new Date(Date.now() + 1000) });
    w.start(20);
    await expect.poll(() => smtp.countByMessageId().get(messageId), { timeout: 10_000 }).toBe(1);
    await w.stop();
  });
});

describe('OutboxWorker with a relay that wants a password', () => {
  let locked: SmtpTestServer;
  beforeAll(async () => {
    locked = await startSmtpServer({ auth: { user: 'airlock', pass: 'S3cret-Pa55' } });
  });
  afterAll(async () => {
    await locked?.stop();
  });

  it('sends with the credentials of SMTP_URL, and a refused login keeps the mail queued without the password in its error', async () => {
    await store.db.deleteFrom('mails').execute();
    clock = new Date(Date.now() + 1000);
    const wrong = locked.url.replace('S3cret-Pa55', 'wrong-Pa55word');
    await enqueueMail(store.db, draft());
    expect(await worker({ transport: createMailTransport({ smtpUrl: wrong }) }).runOnce()).toMatchObject({
      sent: 0,
      failed: 0,
      retried: 1,
    });
    const [refused] = await states();
    expect(refused).toMatchObject({ state: 'queued', attempts: 0 });
    expect(refused?.last_error).toMatch(/535/);
    expect(refused?.last_error).not.toContain('wrong-Pa55word');
    advance(60_000);
    expect(await worker({ transport: createMailTransport({ smtpUrl: locked.url }) }).runOnce()).toMatchObject({ sent: 1 });
    expect(locked.received).toHaveLength(1);
  });
});
