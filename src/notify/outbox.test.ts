// The outbox's write side: a mail exists exactly when the transaction that caused it commits, threads with
// its ticket's other mails, and keeps user text out of its headers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendName, createTestStore, type TestStore } from '../../test/test-store.js';
import { createTicket } from '../tickets/ticket-store.js';
import { enqueueMail, MAX_SUBJECT_LENGTH, type MailDraft } from './outbox.js';

let store: TestStore;
beforeAll(async () => {
  store = await createTestStore();
});
afterAll(async () => {
  await store?.close();
});

async function newTicket(): Promise<string> {
  const row = await createTicket(store.db, {
    pipeline: 'p',
    requester: 'alice',
    purpose: 'test',
    deliveryMode: 'per-item',
    policy: 'default',
  });
  return row.id;
}

function draft(overrides: Partial<MailDraft> = {}): MailDraft {
  return {
    kind: 'acknowledgement',
    to: { address: 'alice@example.com', user: 'alice' },
    subject: 'Hello',
    text: 'text',
    html: '<p>html</p>',
    ...overrides,
  };
}

describe(`enqueueMail (${backendName} store)`, () => {
  it('writes nothing when the transaction that caused the mail rolls back', async () => {
    const ticketId = await newTicket();
    const failed = store.db.transaction().execute(async (trx) => {
      await enqueueMail(trx, draft({ ticketId }));
      throw new Error('the state change failed');
    });
    await expect(failed).rejects.toThrow('the state change failed');
    expect(await store.db.selectFrom('mails').select('id').where('ticket_id', '=', ticketId).execute()).toEqual([]);
  });

  it('queues the mail when the transaction commits, with a <uuid@domain> Message-ID', async () => {
    const ticketId = await newTicket();
    const { id, messageId } = await store.db
      .transaction()
      .execute((trx) => enqueueMail(trx, draft({ ticketId }), { messageIdDomain: 'mail.example.org' }));
    expect(messageId).toBe(`<${id}@mail.example.org>`);
    const row = await store.db.selectFrom('mails').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      state: 'queued',
      attempts: 0,
      message_id: messageId,
      thread_id: messageId,
      to_user: 'alice',
      ticket_id: ticketId,
    });
  });

  it("threads every later mail of a ticket on the first one's Message-ID; other tickets get their own thread", async () => {
    const ticketId = await newTicket();
    const other = await newTicket();
    const first = await enqueueMail(store.db, draft({ ticketId }));
    const [second, third] = await store.db
      .transaction()
      .execute(async (trx) => [
        await enqueueMail(trx, draft({ ticketId, kind: 'review-request' })),
        await enqueueMail(trx, draft({ ticketId, kind: 'reminder' })),
      ]);
    const elsewhere = await enqueueMail(store.db, draft({ ticketId: other }));
    const none = await enqueueMail(store.db, draft());
    const threads = await store.db.selectFrom('mails').select(['id', 'thread_id']).execute();
    const threadOf = (id: string) => threads.find((t) => t.id === id)?.thread_id;
    expect(threadOf(second!.id)).toBe(first.messageId);
    expect(threadOf(third!.id)).toBe(first.messageId);
    expect(threadOf(elsewhere.id)).toBe(elsewhere.messageId);
    expect(threadOf(none.id)).toBe(none.messageId);
  });

  it('makes the subject and user name single lines and caps the subject, so user text cannot add a header', async () => {
    const { id } = await enqueueMail(
      store.db,
      draft({
        subject: `Review\r\nBcc: eve@example.com\n\nbody ${'x'.repeat(400)}`,
        to: { address: 'bob@example.com', user: 'bob\r\nX-Evil: 1' },
      }),
    );
    const row = await store.db.selectFrom('mails').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.subject).not.toMatch(/[\r\n]/);
    expect(row.subject.startsWith('Review Bcc: eve@example.com body xxx')).toBe(true);
    expect(Array.from(row.subject)).toHaveLength(MAX_SUBJECT_LENGTH);
    expect(row.to_user).toBe('bob X-Evil: 1');
  });

  it.each([
    ['two addresses', 'a@example.com, b@example.com'],
    ['a header after the address', 'a@example.com\r\nBcc: eve@example.com'],
    ['a display name', 'Alice <a@example.com>'],
    ['no domain', 'alice'],
  ])('refuses a recipient that is not one e-mail address (%s)', async (_name, address) => {
    await expect(enqueueMail(store.db, draft({ to: { address } }))).rejects.toMatchObject({ code: 'invalid_input' });
  });

  it('refuses a mail about a ticket that does not exist', async () => {
    await expect(enqueueMail(store.db, draft({ ticketId: '00000000-0000-4000-8000-000000000000' }))).rejects.toMatchObject({
      code: 'not_found',
    });
  });
});
