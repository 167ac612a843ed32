import type { ConsolePages } from './console-app.js';
import { requireRole } from './console-auth.js';
import { InboxTicket } from './approvals/inbox-entry.js';
import { loadInbox, loadRecentDecisions, type RecentDecision } from './approvals/inbox-data.js';
import { ticketHref } from './operations/ticket-bits.js';
import { StateBadge } from './tickets/ticket-format.js';
import { UtcTime } from './utc-time.js';
import { page } from './respond.js';

/** What `?done=` may say after a decision made from here (the ticket page's handler may send people back). */
const NOTICES: Readonly<Record<string, string>> = {
  approved: 'Your approval is recorded.',
  rejected: 'Your rejection is recorded; the ticket will not be delivered.',
};

/**
 * The approver's inbox: every ticket waiting for the caller's decision, oldest first, each with the blind
 * review the mail carries (counts, masked excerpts, file types, sizes and hashes; never content) and a
 * decision form; below, the caller's own recent decisions.
 */
export const registerApprovalPages: ConsolePages = (ui, deps) => {
  ui.get('/approvals', requireRole('approver'), async (c) => {
    const caller = c.get('caller');
    const [inbox, recent] = await Promise.all([loadInbox(deps.db, caller, deps.pipelinesDir), loadRecentDecisions(deps.db, caller)]);
    const now = deps.now();
    const csrf = c.get('session').csrf;
    const done = c.req.query('done');
    return page(
      c,
      'Approvals',
      <>
        <h1>Approvals</h1>
        <section aria-labelledby="waiting">
          <h2 id="waiting">Waiting for your decision</h2>
          {inbox.entries.length === 0 ? (
            <p>Nothing is waiting for your decision. When a transfer needs you, it appears here and you get an e-mail.</p>
          ) : (
            <>
              <p>
                {`${inbox.entries.length} ${inbox.entries.length === 1 ? 'ticket waits' : 'tickets wait'} for you, oldest first. You see what the checks found, never the files' content.`}
                {inbox.more && ' More are waiting; they appear here as you decide these.'}
              </p>
              {inbox.entries.map((entry) => (
                <InboxTicket entry={entry} csrf={csrf} now={now} />
              ))}
            </>
          )}
        </section>
        <RecentDecisions decisions={recent} />
      </>,
      { notice: done === undefined ? undefined : NOTICES[done] },
    );
  });
};

function RecentDecisions(props: { decisions: RecentDecision[] }) {
  return (
    <section aria-labelledby="decided">
      <h2 id="decided">Decided by you recently</h2>
      {props.decisions.length === 0 ? (
        <p>You have not decided on any ticket yet.</p>
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Ticket</th>
                <th scope="col">Pipeline</th>
                <th scope="col">Your decision</th>
                <th scope="col">Decided</th>
                <th scope="col">Ticket now</th>
              </tr>
            </thead>
            <tbody>
              {props.decisions.map((d) => (
                <tr>
                  <th scope="row">
                    <a href={ticketHref(d.ref)}>{d.ref}</a>
                  </th>
                  <td>{d.pipeline}</td>
                  <td>{`${d.decision === 'approve' ? 'approved' : 'rejected'} (${d.channel === 'email' ? 'e-mail' : d.channel === 'web' ? 'console' : 'API'})`}</td>
                  <td>
                    <UtcTime at={d.decidedAt} />
                  </td>
                  <td>
                    <StateBadge state={d.state} />
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
