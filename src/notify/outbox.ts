import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { emailSchema } from '../auth/user-schema.js';
import type { Db } from '../db/database.js';
import { inTransaction } from '../db/in-transaction.js';
import { AirlockError } from '../errors.js';
import { DEFAULT_MESSAGE_ID_DOMAIN, isMessageIdDomain } from './mail-config.js';
import { cleanText, singleLine } from './mail-text.js';

/** Longest subject kept; longer ones are cut with an ellipsis (user text such as a purpose may be long). */
export const MAX_SUBJECT_LENGTH = 200;

/** One mail to write to the outbox. Bodies come from src/notify/templates.ts and never hold transferred content. */
export interface MailDraft {
  /** The ticket the mail is about; its mails thread together. */
  ticketId?: string;
  /** What the mail is, for listing and tests: `acknowledgement`, `review-request`, `reminder`… */
  kind: string;
  /** One recipient; `user` is the Airlock user name when the recipient is one. */
  to: { address: string; user?: string };
  subject: string;
  text: string;
  html: string;
}

export interface EnqueueOptions {
  /** Right-hand side of the Message-ID: the configured `mail.messageIdDomain`; `airlock.local` when absent. */
  messageIdDomain?: string;
}

const draftSchema = z.object({
  ticketId: z.uuid().optional(),
  kind: z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, 'must be a lower-case word such as review-request'),
  to: z.object({
    address: emailSchema,
    user: z.string().min(1).max(64).optional(),
  }),
  subject: z.string(),
  text: z.string().min(1),
  html: z.string().min(1),
});

/**
 * Writes a mail to the outbox, `queued` for the outbox worker. Call it with the transaction of the change
 * that causes the mail, so that both commit or neither does: a rolled-back approval sends nothing, and a
 * committed one always has its mail. Header values are made single lines here (user text cannot add a
 * header); the Message-ID is `<uuid@domain>`, and `thread_id` is the Message-ID of the ticket's first
 * mail (its own for the first one, and for mails about no ticket).
 */
export async function enqueueMail(trx: Db, draft: MailDraft, options: EnqueueOptions = {}): Promise<{ id: string; messageId: string }> {
  const parsed = draftSchema.safeParse(draft);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`);
    throw new AirlockError('invalid_input', `A mail could not be queued: ${problems.join('; ')}.`);
  }
  const valid = parsed.data;
  const domain = options.messageIdDomain ?? DEFAULT_MESSAGE_ID_DOMAIN;
  if (!isMessageIdDomain(domain)) throw new AirlockError('invalid_input', `"${domain}" is not a domain name usable in a Message-ID.`);
  const id = randomUUID();
  const messageId = `<${id}@${domain}>`;
  await inTransaction(trx, async (trx) => {
    const threadId = valid.ticketId === undefined ? messageId : ((await threadOf(trx, valid.ticketId)) ?? messageId);
    await trx
      .insertInto('mails')
      .values({
        id,
        ticket_id: valid.ticketId ?? null,
        kind: valid.kind,
        to_address: valid.to.address,
        to_user: valid.to.user === undefined ? null : singleLine(valid.to.user, 64),
        subject: singleLine(valid.subject, MAX_SUBJECT_LENGTH),
        text_body: cleanText(valid.text),
        html_body: valid.html,
        message_id: messageId,
        thread_id: threadId,
        state: 'queued',
        last_error: null,
        claimed_at: null,
        sent_at: null,
      })
      .execute();
  });
  return { id, messageId };
}

/**
 * The thread of a ticket's mails, if it has any. The ticket row is locked first (as state changes do), so
 * two transactions writing a ticket's first mails one beside the other cannot start two threads.
 */
async function threadOf(trx: Db, ticketId: string): Promise<string | undefined> {
  const ticket = await trx.selectFrom('tickets').select('id').where('id', '=', ticketId).forUpdate().executeTakeFirst();
  if (!ticket) throw new AirlockError('not_found', `Ticket ${ticketId} does not exist; its mail was not queued.`);
  const first = await trx
    .selectFrom('mails')
    .select('thread_id')
    .where('ticket_id', '=', ticketId)
    .where('thread_id', 'is not', null)
    .orderBy('created_at')
    .limit(1)
    .executeTakeFirst();
  return first?.thread_id ?? undefined;
}
