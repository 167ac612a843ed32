import type { Db } from '../../../db/database.js';
import { TICKET_STATES, type TicketState } from '../../../tickets/states.js';
import { visibleTo, type Caller } from '../../../tickets/ticket-access.js';
import { ticketSummaries } from '../../ticket-view.js';
import { progressOf, progressText, StateBadge, Time, truncate } from './ticket-format.js';

/** The list shows this many tickets; a note says when there are more (narrow with the filters). */
export const LIST_LIMIT = 100;
const PURPOSE_CHARS = 80;

export interface TicketFilter {
  state: TicketState | undefined;
  mine: boolean;
}

/** The filter from the query string; anything unknown is ignored (never echoed back). */
export function filterOf(query: { state?: string | undefined; mine?: string | undefined }): TicketFilter {
  const state = TICKET_STATES.find((s) => s === query.state);
  return { state, mine: query.mine === 'true' };
}

type Summary = Awaited<ReturnType<typeof ticketSummaries>>[number];

/** Tickets the caller may see (the API's `visibleTo`), newest first, one more than shown to tell whether more exist. */
export async function listTickets(db: Db, caller: Caller, filter: TicketFilter): Promise<{ tickets: Summary[]; more: boolean }> {
  let query = db
    .selectFrom('tickets')
    .selectAll()
    .where(visibleTo(caller))
    .orderBy('number', 'desc')
    .limit(LIST_LIMIT + 1);
  if (filter.state) query = query.where('state', '=', filter.state);
  if (filter.mine) query = query.where('requester', '=', caller.name);
  const rows = await query.execute();
  return { tickets: await ticketSummaries(db, rows.slice(0, LIST_LIMIT)), more: rows.length > LIST_LIMIT };
}

export function TicketList(props: { tickets: readonly Summary[]; more: boolean; filter: TicketFilter }) {
  const { filter } = props;
  const filtered = filter.state !== undefined || filter.mine;
  return (
    <section>
      <h1>Tickets</h1>
      <form method="get" action="/ui/tickets" class="filters" aria-label="Filter tickets">
        <div>
          <label for="filter-state">State</label>
          <select id="filter-state" name="state">
            <option value="" selected={!filter.state}>
              any
            </option>
            {TICKET_STATES.map((s) => (
              <option value={s} selected={s === filter.state}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <div class="check">
          <input id="filter-mine" name="mine" type="checkbox" value="true" checked={filter.mine} />
          <label for="filter-mine">Only mine</label>
        </div>
        <div class="buttons">
          <button type="submit" class="secondary">
            Filter
          </button>
          {filtered && (
            <a class="button secondary" href="/ui/tickets">
              Show all
            </a>
          )}
        </div>
      </form>
      {props.tickets.length === 0 ? (
        <p>{filtered ? 'No ticket you can see matches these filters.' : 'There are no tickets you can see yet.'}</p>
      ) : (
        <div class="table-wrap">
          <table class="tickets">
            <caption>{`${props.tickets.length} ticket(s), newest first`}</caption>
            <thead>
              <tr>
                <th scope="col">Ticket</th>
                <th scope="col">Pipeline</th>
                <th scope="col">Purpose</th>
                <th scope="col">State</th>
                <th scope="col">Requester</th>
                <th scope="col">Created</th>
                <th scope="col">Progress</th>
              </tr>
            </thead>
            <tbody>
              {props.tickets.map((t) => (
                <tr>
                  <th scope="row">
                    <a href={`/ui/tickets/${t.id}`}>{t.id}</a>
                  </th>
                  <td>{t.pipeline}</td>
                  <td title={t.purpose}>{truncate(t.purpose, PURPOSE_CHARS)}</td>
                  <td>
                    <StateBadge state={t.state} />
                  </td>
                  <td>{t.requester}</td>
                  <td>
                    <Time at={t.createdAt} />
                  </td>
                  <td>{progressText(progressOf(t.progress))}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {props.more && (
        <p class="note">{`Only the newest ${LIST_LIMIT} are shown; narrow the list with the filters to find older tickets.`}</p>
      )}
    </section>
  );
}
