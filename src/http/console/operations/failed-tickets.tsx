import type { Db } from '../../../db/database.js';
import { formatTicketNumber } from '../../../tickets/states.js';
import { ticketSummaries } from '../../ticket-view.js';
import { PostForm } from '../layout.js';
import { UtcTime } from '../utc-time.js';
import { TicketCell, ticketHref, visibleAmong } from './ticket-bits.js';
import type { Caller } from '../../../tickets/ticket-access.js';

/** How far back, and how many, failed tickets the page lists. */
const FAILED_DAYS = 14;
const MAX_FAILED = 50;

export interface FailedEntry {
  ref: string;
  pipeline: string;
  requester: string;
  purpose: string;
  /** As the API shows it: item names hashed in it when the ticket redacts names. */
  failureReason: string | null;
  finishedAt: Date | null;
  /** The ticket that retried this one, if any. */
  retriedAs: string | null;
  /** Whether the caller may open it (else its purpose and requester are not shown). */
  visible: boolean;
}

/** Tickets that failed in the last two weeks, newest first, each with the retry it already had. */
export async function loadFailedTickets(db: Db, now: Date, caller: Caller): Promise<FailedEntry[]> {
  const since = new Date(now.getTime() - FAILED_DAYS * 24 * 3_600_000);
  const rows = await db
    .selectFrom('tickets')
    .selectAll()
    .where('state', '=', 'failed')
    .where('finished_at', '>=', since)
    .orderBy('finished_at', 'desc')
    .orderBy('number', 'desc')
    .limit(MAX_FAILED)
    .execute();
  if (rows.length === 0) return [];
  const [summaries, visible, retries] = await Promise.all([
    ticketSummaries(db, rows),
    visibleAmong(
      db,
      caller,
      rows.map((r) => r.id),
    ),
    db
      .selectFrom('tickets')
      .select(['retry_of', 'number'])
      .where(
        'retry_of',
        'in',
        rows.map((r) => r.id),
      )
      .execute(),
  ]);
  return rows.map((row, i) => {
    const retry = retries.find((r) => r.retry_of === row.id);
    return {
      ref: formatTicketNumber(row.number),
      pipeline: row.pipeline,
      requester: row.requester,
      purpose: row.purpose,
      failureReason: summaries[i]!.failureReason,
      finishedAt: row.finished_at,
      retriedAs: retry ? formatTicketNumber(retry.number) : null,
      visible: visible.has(row.id),
    };
  });
}

export function FailedSection(props: { entries: FailedEntry[]; csrf: string }) {
  return (
    <section aria-labelledby="failed">
      <h2 id="failed">Failed tickets</h2>
      <p class="muted">{`The last ${FAILED_DAYS} days, newest first (at most ${MAX_FAILED}). Retry makes a new ticket with the same pipeline, requester, purpose and selection.`}</p>
      {props.entries.length === 0 ? (
        <p>{`No ticket failed in the last ${FAILED_DAYS} days.`}</p>
      ) : (
        <div class="table-wrap">
          <table class="failed">
            <thead>
              <tr>
                <th scope="col">Ticket</th>
                <th scope="col">Pipeline</th>
                <th scope="col">Requester</th>
                <th scope="col">Failure reason</th>
                <th scope="col">Finished</th>
                <th scope="col">Retry</th>
              </tr>
            </thead>
            <tbody>
              {props.entries.map((entry) => (
                <tr>
                  <th scope="row">
                    <TicketCell ref={entry.ref} visible={entry.visible} purpose={entry.purpose} />
                  </th>
                  <td>{entry.pipeline}</td>
                  <td>{entry.visible ? entry.requester : '—'}</td>
                  <td class="reason">{entry.failureReason ?? 'no reason recorded'}</td>
                  <td>{entry.finishedAt ? <UtcTime at={entry.finishedAt} /> : 'unknown'}</td>
                  <td>
                    {entry.retriedAs ? (
                      <>
                        Retried as <a href={ticketHref(entry.retriedAs)}>{entry.retriedAs}</a>
                      </>
                    ) : (
                      <PostForm
                        action={`/ui/tickets/${entry.ref}/retry`}
                        csrf={props.csrf}
                        class="inline-form"
                        label={`Retry ${entry.ref}`}
                      >
                        <button type="submit" class="secondary">
                          Retry
                        </button>
                      </PostForm>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
