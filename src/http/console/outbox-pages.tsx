import { AirlockError } from '../../errors.js';
import { UtcTime } from './utc-time.js';
import type { ConsolePages } from './console-app.js';
import { MailBody, splitActionLinks } from './outbox/mail-body.js';
import { findVisibleMail, isRecipient, listVisibleMails, mailCursor, mailReaderFor } from './outbox/mail-query.js';
import { MailStateBadge, MailTable, OutboxIntro, recipientOf } from './outbox/outbox-view.js';
import { page } from './respond.js';

/**
 * `GET /ui/outbox` and `GET /ui/outbox/:id` (anyone signed in): the mails Airlock wrote, on a need-to-know
 * basis (see `readableBy`): auditors read all of them; operators their own, those about tickets they handle
 * and system mails; admins their own and system mails; everyone else the mails sent to them. Action links
 * show only to their recipient.
 */
export const registerOutboxPages: ConsolePages = (ui, deps) => {
  ui.get('/outbox', async (c) => {
    const reader = await mailReaderFor(deps.db, c.get('caller'));
    const before = mailCursor(c.req.query('before'));
    const after = before === undefined ? mailCursor(c.req.query('after')) : undefined;
    const result = await listVisibleMails(deps.db, reader, { ...(before ? { before } : {}), ...(after ? { after } : {}) });
    return page(
      c,
      'Outbox',
      <>
        <h1>Outbox</h1>
        <OutboxIntro seesAll={reader.seesAll} seesSystemMail={reader.seesSystemMail} />
        {result.mails.length > 0 ? (
          <MailTable mails={result.mails} />
        ) : (
          <p>{reader.seesAll || reader.seesSystemMail ? 'No mails you may read.' : 'No mails were sent to you.'}</p>
        )}
        {(result.newer !== undefined || result.older !== undefined) && (
          <nav class="pager" aria-label="Pages of the outbox">
            {result.newer !== undefined && <a href={`/ui/outbox?after=${result.newer}`}>Newer mails</a>}
            {result.older !== undefined && <a href={`/ui/outbox?before=${result.older}`}>Older mails</a>}
          </nav>
        )}
      </>,
    );
  });

  ui.get('/outbox/:id', async (c) => {
    const reader = await mailReaderFor(deps.db, c.get('caller'));
    const mail = await findVisibleMail(deps.db, reader, c.req.param('id'));
    // Someone else's mail answers as a missing one: its existence is not confirmed.
    if (!mail) throw new AirlockError('not_found', 'There is no such mail in your outbox.');
    const own = isRecipient(mail, reader);
    const hasLinks = splitActionLinks(mail.text_body).some((part) => 'link' in part);
    const recipient = recipientOf({ toUser: mail.to_user, toAddress: mail.to_address });
    return page(
      c,
      'Mail',
      <>
        <p>
          <a href="/ui/outbox">Back to the outbox</a>
        </p>
        <h1>{mail.subject || '(no subject)'}</h1>
        <dl class="facts">
          <dt>To</dt>
          <dd>{recipient}</dd>
          <dt>Written</dt>
          <dd>
            <UtcTime at={mail.created_at} />
          </dd>
          <dt>Status</dt>
          <dd>
            <MailStateBadge state={mail.state} />
            {mail.sent_at && (
              <>
                {' at '}
                <UtcTime at={mail.sent_at} />
              </>
            )}
          </dd>
          {(reader.seesAll || reader.seesSystemMail) && (
            <>
              <dt>Attempts</dt>
              <dd>{String(mail.attempts)}</dd>
              {mail.last_error && (
                <>
                  <dt>Last error</dt>
                  <dd>{mail.last_error}</dd>
                </>
              )}
            </>
          )}
          <dt>Kind</dt>
          <dd>{mail.kind}</dd>
          <dt>Ticket</dt>
          <dd>{mail.ticketRef ? <a href={`/ui/tickets/${mail.ticketRef}`}>{mail.ticketRef}</a> : 'none'}</dd>
          <dt>Message-ID</dt>
          <dd>
            <code>{mail.message_id}</code>
          </dd>
        </dl>
        <h2>Text</h2>
        {hasLinks && (
          <p class="muted">
            {own
              ? 'This mail is yours. Its links are for you only: each opens a page where you confirm your answer, and opening it alone changes nothing.'
              : `Its action links are hidden: each lets whoever holds it answer as ${recipient}.`}
          </p>
        )}
        <MailBody text={mail.text_body} recipient={recipient} isRecipient={own} />
      </>,
    );
  });
};
