import type { Db } from '../../../db/database.js';
import type { TicketRow } from '../../../db/schema.js';
import { formatTicketNumber, TERMINAL_STATES } from '../../../tickets/states.js';
import { isBreached, SlaCountdown } from './sla-countdown.js';
import { StateBadge } from '../tickets/ticket-format.js';
import { TicketCell, visibleAmong } from './ticket-bits.js';
import type { Caller } from '../../../tickets/ticket-access.js';

/** More open escalations than this is an incident of its own; the page says how many it left out. */
const MAX_ESCALATIONS = 200;

export interface EscalationEntry {
  ticket: TicketRow;
  /** The operator the escalation assigned (ticket_participants, role operator). */
  operators: string[];
  breached: boolean;
  /** Whether the caller may open it (else its purpose and requester are not shown). */
  visible: boolean;
}

/**
 * Escalated tickets still open: those past their response SLA first (the sweep marked them, or their due
 * time has passed), then by SLA due time, soonest first.
 */
export async function loadEscalations(db: Db, now: Date, caller: Caller): Promise<{ entries: EscalationEntry[]; more: boolean }> {
  const rows = await db
    .selectFrom('tickets')
    .selectAll()
    .where('escalated_at', 'is not', null)
    .where('state', 'not in', [...TERMINAL_STATES])
    .orderBy((eb) =>
      eb
        .case()
        .when(eb.or([eb('sla_breached_at', 'is not', null), eb('sla_due_at', '<=', now)]))
        .then(0)
        .else(1)
        .end(),
    )
    .orderBy('sla_due_at')
    .orderBy('number')
    .limit(MAX_ESCALATIONS + 1)
    .execute();
  const shown = rows.slice(0, MAX_ESCALATIONS);
  const assigned =
    shown.length === 0
      ? []
      : await db
          .selectFrom('ticket_participants')
          .select(['ticket_id', 'user_name'])
          .where('role', '=', 'operator')
          .where(
            'ticket_id',
            'in',
            shown.map((t) => t.id),
          )
          .orderBy('user_name')
          .execute();
  const visible = await visibleAmong(
    db,
    caller,
    shown.map((t) => t.id),
  );
  const entries = shown.map((ticket) => ({
    visible: visible.has(ticket.id),
    ticket,
    operators: assigned.filter((a) => a.ticket_id === ticket.id).map((a) => a.user_name),
    breached: isBreached(ticket, now),
  }));
  return { entries, more: rows.length > MAX_ESCALATIONS };
}

export function EscalationsSection(props: { entries: EscalationEntry[]; more: boolean; now: Date }) {
  const { entries, now } = props;
  const breached = entries.filter((e) => e.breached).length;
  return (
    <section aria-labelledby="escalations">
      <h2 id="escalations">Escalations</h2>
      {entries.length === 0 ? (
        <p>No open escalations: nobody is waiting for an operator.</p>
      ) : (
        <>
          <p>
            {`${entries.length} open, ${breached} past their SLA.`}
            {props.more && ` Only the first ${MAX_ESCALATIONS} are listed.`}
          </p>
          <div class="table-wrap">
            <table class="escalations">
              <thead>
                <tr>
                  <th scope="col">Ticket</th>
                  <th scope="col">Pipeline</th>
                  <th scope="col">Requester</th>
                  <th scope="col">Severity</th>
                  <th scope="col">Operator</th>
                  <th scope="col">SLA</th>
                  <th scope="col">State</th>
                </tr>
              </thead>
              <tbody>
                {entries.map(({ ticket, operators, breached: late, visible }) => {
                  const ref = formatTicketNumber(ticket.number);
                  return (
                    <tr class={late ? 'breached' : undefined}>
                      <th scope="row">
                        <TicketCell ref={ref} visible={visible} purpose={ticket.purpose} />
                      </th>
                      <td>{ticket.pipeline}</td>
                      <td>{visible ? ticket.requester : '—'}</td>
                      <td>{ticket.severity}</td>
                      <td>{operators.length > 0 ? operators.join(', ') : <span class="muted">nobody assigned</span>}</td>
                      <td>
                        {ticket.sla_due_at ? (
                          <SlaCountdown due={ticket.sla_due_at} now={now} breached={late} />
                        ) : (
                          <span class={late ? 'sla-breached' : undefined}>{late ? 'breached' : 'no SLA set'}</span>
                        )}
                      </td>
                      <td>
                        <StateBadge state={ticket.state} />
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}
