import { openStore, storeConfigFrom } from '../../db/database.js';
import { AirlockError } from '../../errors.js';
import { loadTicketDetails, presentTicket } from '../../tickets/ticket-presenter.js';
import { findTicket, listTickets } from '../../tickets/ticket-store.js';
import { parseTicketRef, TICKET_STATES, type TicketState } from '../../tickets/states.js';
import { UsageError, type CliContext } from '../cli-context.js';
import { renderTicket } from '../render-ticket.js';

/** `airlock tickets [--state S] [--sla-breached]`: the latest tickets, newest first. */
export async function ticketsCommand(
  ctx: CliContext,
  options: { state?: string | undefined; json: boolean; slaBreached?: boolean },
): Promise<number> {
  if (options.state && !TICKET_STATES.includes(options.state as TicketState)) {
    throw new UsageError(`Unknown state "${options.state}"; expected one of ${TICKET_STATES.join(', ')}.`);
  }
  const store = await openStore(storeConfigFrom(ctx.config));
  try {
    const rows = await listTickets(store.db, {
      ...(options.state ? { state: options.state as TicketState } : {}),
      ...(options.slaBreached ? { slaBreachedAt: new Date() } : {}),
    });
    if (options.json) {
      for (const row of rows) ctx.stdout.write(JSON.stringify(presentTicket(row)) + '\n');
      return 0;
    }
    if (rows.length === 0) ctx.stdout.write('No tickets.\n');
    for (const row of rows) {
      const t = presentTicket(row);
      const sla = row.sla_due_at
        ? `  SLA ${row.sla_due_at.toISOString()}${row.sla_breached_at || row.sla_due_at <= new Date() ? ' BREACHED' : ''}`
        : '';
      ctx.stdout.write(
        `${t.id}  ${t.state.padEnd(19)} ${t.pipeline.padEnd(20)} ${t.requester.padEnd(12)} ${t.createdAt}  ${t.purpose}${sla}\n`,
      );
    }
    return 0;
  } finally {
    await store.close();
  }
}

/** `airlock ticket <id>`: one ticket with items, findings, decision and events. */
export async function ticketCommand(ctx: CliContext, options: { ref: string; json: boolean }): Promise<number> {
  const ref = parseTicketRef(options.ref);
  if (!ref) throw new UsageError(`"${options.ref}" is not a ticket id; use T-000123, 123 or the ticket's uuid.`);
  const store = await openStore(storeConfigFrom(ctx.config));
  try {
    const row = await findTicket(store.db, ref);
    if (!row) throw new AirlockError('not_found', `Ticket ${options.ref} does not exist.`);
    const details = await loadTicketDetails(store.db, row);
    ctx.stdout.write(options.json ? JSON.stringify(details) + '\n' : renderTicket(details));
    return 0;
  } finally {
    await store.close();
  }
}
