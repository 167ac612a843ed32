import { openStore, storeConfigFrom } from '../../db/database.js';
import { AirlockError } from '../../errors.js';
import { presentMail, presentMailBody } from '../../notify/mail-presenter.js';
import { findMail, listMails } from '../../notify/outbox-store.js';
import { findTicket } from '../../tickets/ticket-store.js';
import { parseTicketRef } from '../../tickets/states.js';
import { UsageError, type CliContext } from '../cli-context.js';

/**
 * `airlock outbox [--ticket T-…] [--json]`: every mail, newest first, with its delivery state. Without
 * SMTP_URL this is where mails stay (`local`), so a newcomer can read them here.
 */
export async function outboxListCommand(ctx: CliContext, options: { ticket: string | undefined; json: boolean }): Promise<number> {
  const ref = options.ticket === undefined ? undefined : parseTicketRef(options.ticket);
  if (options.ticket !== undefined && !ref)
    throw new UsageError(`"${options.ticket}" is not a ticket id; use T-000123, 123 or the ticket's uuid.`);
  const store = await openStore(storeConfigFrom(ctx.config));
  try {
    let ticketId: string | undefined;
    if (ref) {
      const ticket = await findTicket(store.db, ref);
      if (!ticket) throw new AirlockError('not_found', `Ticket ${options.ticket} does not exist.`);
      ticketId = ticket.id;
    }
    const mails = (await listMails(store.db, ticketId === undefined ? {} : { ticketId })).map(presentMail);
    if (options.json) {
      for (const mail of mails) ctx.stdout.write(JSON.stringify(mail) + '\n');
      return 0;
    }
    if (mails.length === 0) {
      ctx.stdout.write('No mails.\n');
      return 0;
    }
    for (const m of mails) {
      ctx.stdout.write(
        `${m.createdAt}  ${m.state.padEnd(7)} ${(m.ticket ?? '-').padEnd(8)} ${m.kind.padEnd(18)} ${m.to.padEnd(28)} ${m.id}\n`,
      );
      const delivery = [
        m.sentAt ? `sent ${m.sentAt}` : undefined,
        `${m.attempts} attempt(s)`,
        m.lastError ? `last error: ${m.lastError}` : undefined,
      ];
      ctx.stdout.write(`    ${m.subject}\n    ${delivery.filter(Boolean).join(' · ')}\n`);
    }
    ctx.stdout.write('\nRead one with: airlock outbox show <id>\n');
    return 0;
  } finally {
    await store.close();
  }
}

/** `airlock outbox show <id-or-message-id>`: a mail's headers and plain-text body, links included. */
export async function outboxShowCommand(ctx: CliContext, options: { ref: string; json: boolean }): Promise<number> {
  const store = await openStore(storeConfigFrom(ctx.config));
  try {
    const row = await findMail(store.db, options.ref);
    if (!row) throw new AirlockError('not_found', `No mail has the id or Message-ID "${options.ref}"; see "airlock outbox".`);
    const mail = presentMailBody(row);
    if (options.json) {
      ctx.stdout.write(JSON.stringify(mail) + '\n');
      return 0;
    }
    const to = mail.toUser ? `${mail.toUser} <${mail.to}>` : mail.to;
    ctx.stdout.write(
      [
        `Message-ID: ${mail.messageId}`,
        `To: ${to}`,
        `Subject: ${mail.subject}`,
        `State: ${mail.state}${mail.sentAt ? ` (sent ${mail.sentAt})` : ''}, created ${mail.createdAt}`,
        '',
        mail.text,
      ].join('\n'),
    );
    return 0;
  } finally {
    await store.close();
  }
}
