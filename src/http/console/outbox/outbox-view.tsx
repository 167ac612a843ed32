import type { MailState } from '../../../db/schema.js';
import { UtcTime } from '../utc-time.js';
import type { MailSummary } from './mail-query.js';

/** Each delivery state in words (the colour only repeats them). */
export const MAIL_STATES: Readonly<Record<MailState, string>> = {
  queued: 'queued',
  sending: 'sending',
  sent: 'sent',
  failed: 'failed',
  local: 'kept here, not sent',
};

export function MailStateBadge(props: { state: MailState }) {
  return <span class={`badge mail-state-${props.state}`}>{MAIL_STATES[props.state]}</span>;
}

/** The recipient as `name <address>`, or the address alone. */
export function recipientOf(mail: { toUser: string | null; toAddress: string }): string {
  return mail.toUser ? `${mail.toUser} <${mail.toAddress}>` : mail.toAddress;
}

/** What the outbox is, said neutrally: this page cannot know whether the server has an SMTP server configured. */
export function OutboxIntro(props: { seesAll: boolean; seesSystemMail: boolean }) {
  return (
    <>
      <p>
        Every mail Airlock writes is kept here first. Where an SMTP server is configured, the server sends each one and marks it sent (or
        failed, after retries); where none is, mails stay here, marked “kept here, not sent”, and this page is where people read them.
      </p>
      <p class="muted">
        {props.seesAll
          ? 'You see every mail. Action links in mails to other people are hidden: each lets whoever holds it answer as that person.'
          : props.seesSystemMail
            ? 'You see the mails sent to you, mails about the tickets you handle, and mails about no ticket. Action links in mails to other people are hidden.'
            : 'You see the mails sent to your address.'}
      </p>
    </>
  );
}

export function MailTable(props: { mails: readonly MailSummary[] }) {
  return (
    <div class="table-wrap">
      <table>
        <caption>Mails, newest first</caption>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">To</th>
            <th scope="col">Subject</th>
            <th scope="col">Ticket</th>
            <th scope="col">Status</th>
          </tr>
        </thead>
        <tbody>
          {props.mails.map((mail) => (
            <tr>
              <td>
                <UtcTime at={mail.createdAt} />
              </td>
              <td>{recipientOf(mail)}</td>
              <td>
                <a href={`/ui/outbox/${mail.id}`}>{mail.subject || '(no subject)'}</a>
                <span class="hint">{mail.kind}</span>
              </td>
              <td>{mail.ticketRef ? <a href={`/ui/tickets/${mail.ticketRef}`}>{mail.ticketRef}</a> : ''}</td>
              <td>
                <MailStateBadge state={mail.state} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
