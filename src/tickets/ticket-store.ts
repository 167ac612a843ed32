import { randomUUID } from 'node:crypto';
import type { Db } from '../db/database.js';
import { recordAudit } from '../audit/audit-log.js';
import { inTransaction } from '../db/in-transaction.js';
import type { ReviewSettings, TicketRow, TicketTrigger } from '../db/schema.js';
import { AirlockError } from '../errors.js';
import { canTransition, TERMINAL_STATES, type DeliveryMode, type TicketState } from './states.js';

export interface NewTicket {
  pipeline: string;
  requester: string;
  purpose: string;
  deliveryMode: DeliveryMode;
  policy: string;
  /** Show item names as their hash (the pipeline's `redactNames`). */
  redactNames?: boolean;
  /** User names who may see and approve the ticket (the pipeline's approvers). */
  approvers?: readonly string[];
  /** Narrows the pipeline's selection for this ticket only. */
  selection?: { include: string[] };
  /** The requester must confirm a reviewed transfer besides the approvers. */
  requesterConfirms?: boolean;
  /** The pipeline's review clock settings. */
  review?: ReviewSettings;
  /** When the ticket should be finished (resolution SLA). */
  resolutionDueAt?: Date;
  /** A request (the default) or the pipeline's schedule. */
  trigger?: TicketTrigger;
  /** The failed ticket this one retries. */
  retryOf?: string;
}

export interface TransitionOptions {
  /** Who made the change: a user name, `system`, or `worker:<id>`. */
  actor: string;
  /** The state the caller believes the ticket is in; the change is refused if it is not. */
  from?: TicketState | readonly TicketState[];
  /** Why, for the event log (and the failure reason when moving to `failed`). Never content. */
  reason?: string;
}

/**
 * Creates a ticket in `requested` with its first event. `afterInsert` runs in the same transaction,
 * which is how the processing job is enqueued atomically with the ticket (no ticket without its job).
 */
export async function createTicket(
  db: Db,
  ticket: NewTicket,
  options: { actor?: string; reason?: string; afterInsert?: (trx: Db, row: TicketRow) => Promise<void> } = {},
): Promise<TicketRow> {
  return inTransaction(db, async (trx) => {
    const row = await trx
      .insertInto('tickets')
      .values({
        id: randomUUID(),
        pipeline: ticket.pipeline,
        requester: ticket.requester,
        purpose: ticket.purpose,
        state: 'requested',
        delivery_mode: ticket.deliveryMode,
        policy: ticket.policy,
        failure_reason: null,
        finished_at: null,
        redact_names: ticket.redactNames ?? false,
        selection: ticket.selection ? JSON.stringify(ticket.selection) : null,
        requester_confirms: ticket.requesterConfirms ?? false,
        review_settings: ticket.review ? JSON.stringify(ticket.review) : null,
        resolution_due_at: ticket.resolutionDueAt ?? null,
        trigger: ticket.trigger ?? 'request',
        retry_of: ticket.retryOf ?? null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    const approvers = [...new Set(ticket.approvers ?? [])];
    if (approvers.length > 0) {
      await trx
        .insertInto('ticket_participants')
        .values(approvers.map((user_name) => ({ ticket_id: row.id, user_name, role: 'approver' as const })))
        .execute();
    }
    await trx
      .insertInto('ticket_events')
      .values({
        ticket_id: row.id,
        seq: 1,
        actor: options.actor ?? ticket.requester,
        from_state: null,
        to_state: 'requested',
        reason: options.reason ?? 'submitted',
      })
      .execute();
    await recordAudit(trx, {
      kind: 'ticket.created',
      actor: options.actor ?? ticket.requester,
      ticketId: row.id,
      details: { number: row.number, pipeline: row.pipeline, requester: row.requester, trigger: row.trigger, policy: row.policy },
    });
    await options.afterInsert?.(trx, row);
    return row;
  });
}

/**
 * Moves a ticket to `to` in one transaction: lock the row, check the move is allowed from the state it
 * is really in, update guarded by that state, append the event. Of two racing moves exactly one wins;
 * the other gets `invalid_transition`.
 */
export async function transitionTicket(db: Db, ticketId: string, to: TicketState, options: TransitionOptions): Promise<TicketRow> {
  return inTransaction(db, async (trx) => {
    const current = await trx.selectFrom('tickets').select(['state', 'number']).where('id', '=', ticketId).forUpdate().executeTakeFirst();
    if (!current) throw new AirlockError('not_found', `Ticket ${ticketId} does not exist.`);
    const expected = options.from === undefined ? undefined : ([] as TicketState[]).concat(options.from);
    if ((expected && !expected.includes(current.state)) || !canTransition(current.state, to)) {
      throw new AirlockError(
        'invalid_transition',
        `Ticket ${ticketId} is ${current.state}; it cannot move to ${to}${expected ? ` (expected ${expected.join(' or ')})` : ''}.`,
      );
    }
    const now = new Date();
    const row = await trx
      .updateTable('tickets')
      .set({
        state: to,
        updated_at: now,
        ...(TERMINAL_STATES.has(to) ? { finished_at: now } : {}),
        ...(to === 'failed' ? { failure_reason: options.reason ?? 'failed' } : {}),
      })
      .where('id', '=', ticketId)
      .where('state', '=', current.state)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw new AirlockError('invalid_transition', `Ticket ${ticketId} changed state while moving to ${to}.`);
    await appendEvent(trx, ticketId, { actor: options.actor, from: current.state, to, reason: options.reason ?? null });
    return row;
  });
}

/**
 * Appends one event to a ticket's history, after the last. Callers hold the ticket's row lock, so two
 * writers cannot take the same `seq` (the unique key would refuse it anyway).
 */
export async function appendEvent(
  trx: Db,
  ticketId: string,
  event: {
    actor: string;
    from: TicketState | null;
    to: TicketState;
    reason: string | null;
    /** How the audit trail names this event, when it is more than a note on the ticket. */
    audit?: { kind: string; details?: Record<string, unknown> };
  },
): Promise<void> {
  const last = await trx
    .selectFrom('ticket_events')
    .select((eb) => eb.fn.max('seq').as('seq'))
    .where('ticket_id', '=', ticketId)
    .executeTakeFirst();
  await trx
    .insertInto('ticket_events')
    .values({
      ticket_id: ticketId,
      seq: Number(last?.seq ?? 0) + 1,
      actor: event.actor,
      from_state: event.from,
      to_state: event.to,
      reason: event.reason,
    })
    .execute();
  // The same change, in the hash-chained audit trail: a move between states, or a note on the ticket.
  await recordAudit(trx, {
    kind: event.audit?.kind ?? (event.from === event.to ? 'ticket.event' : 'ticket.transition'),
    actor: event.actor,
    ticketId,
    details: { from: event.from, to: event.to, reason: event.reason, ...event.audit?.details },
  });
}

/** Locks a ticket's row for the rest of the transaction; not_found when there is none. */
export async function lockTicket(trx: Db, ticketId: string): Promise<TicketRow> {
  const row = await trx.selectFrom('tickets').selectAll().where('id', '=', ticketId).forUpdate().executeTakeFirst();
  if (!row) throw new AirlockError('not_found', `Ticket ${ticketId} does not exist.`);
  return row;
}

export async function getTicketRow(db: Db, id: string): Promise<TicketRow> {
  const row = await db.selectFrom('tickets').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new AirlockError('not_found', `Ticket ${id} does not exist.`);
  return row;
}

/** Finds a ticket by `T-000123`, its number, or its uuid. */
export async function findTicket(db: Db, ref: { number: number } | { id: string }): Promise<TicketRow | undefined> {
  const query = db.selectFrom('tickets').selectAll();
  return ('id' in ref ? query.where('id', '=', ref.id) : query.where('number', '=', ref.number as never)).executeTakeFirst();
}

/** `slaBreachedAt`: only unfinished tickets whose response SLA had passed at that time (or was reported breached). */
export async function listTickets(
  db: Db,
  filter: { state?: TicketState; limit?: number; slaBreachedAt?: Date } = {},
): Promise<TicketRow[]> {
  let query = db
    .selectFrom('tickets')
    .selectAll()
    .orderBy('number', 'desc')
    .limit(filter.limit ?? 100);
  if (filter.state) query = query.where('state', '=', filter.state);
  const at = filter.slaBreachedAt;
  if (at) {
    query = query
      .where('finished_at', 'is', null)
      .where((eb) => eb.or([eb('sla_breached_at', 'is not', null), eb('sla_due_at', '<=', at), eb('resolution_due_at', '<=', at)]));
  }
  return query.execute();
}

export async function listEvents(db: Db, ticketId: string) {
  return db.selectFrom('ticket_events').selectAll().where('ticket_id', '=', ticketId).orderBy('seq').execute();
}
