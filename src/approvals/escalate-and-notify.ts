import type { Db } from '../db/database.js';
import { inTransaction } from '../db/in-transaction.js';
import { enqueueMail } from '../notify/outbox.js';
import * as templates from '../notify/templates.js';
import { escalateTicket, type Escalation } from '../tickets/escalation.js';
import { emailOf, mailOperators, ticketFacts, type CommunicationContext } from './review-task.js';

/**
 * "Talk to a human", with its mails in the same transaction: every operator is told (naming the one now in
 * charge) and the requester learns who owns the ticket. Asking again changes nothing and sends nothing.
 */
export async function escalateAndNotify(
  db: Db,
  ticketId: string,
  requester: string,
  options: { slaMinutes: number; communication?: CommunicationContext | undefined; now?: Date },
): Promise<Escalation> {
  const { communication } = options;
  return inTransaction(db, async (trx) => {
    const escalation = await escalateTicket(trx, ticketId, requester, {
      slaMinutes: options.slaMinutes,
      now: options.now ?? communication?.clock.now() ?? new Date(),
    });
    if (!escalation.created || !communication || !escalation.ticket.sla_due_at) return escalation;
    const { ticket, operator } = escalation;
    const notice = (reason: string) =>
      templates.escalationNotice({
        ticket: ticketFacts(ticket),
        severity: ticket.severity,
        reason,
        slaDueAt: ticket.sla_due_at!,
        assignee: operator,
      });
    await mailOperators(trx, ticketId, 'escalation', notice('the requester asked to talk to a human'), communication);
    const address = await emailOf(trx, requester);
    if (address) {
      const mail = notice(`you asked to talk to a human; ${operator} now owns it`);
      await enqueueMail(trx, { ticketId, kind: 'escalation', to: { address, user: requester }, ...mail }, communication);
    }
    return escalation;
  });
}
