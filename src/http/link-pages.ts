import { html } from 'hono/html';
import type { LinkDecided, LinkEscalated, LinkRefused, LinkRefusalReason, LinkUsable } from '../approvals/action-links.js';
import { MAX_LINK_COMMENT_LENGTH } from '../approvals/action-links.js';
import type { ActionPurpose } from '../db/schema.js';
import { formatTicketNumber } from '../tickets/states.js';
import { ASSET_PATHS } from './console/assets/asset-paths.js';
import { formatUtc } from './console/utc-time.js';

/**
 * The pages people reach from an e-mailed action link. Every value is escaped by `html`; nothing is loaded
 * from elsewhere and there is no script and no inline style (the console's stylesheet), so the content security policy stays `'self'`. The token appears
 * only in the form's action, the page's own address.
 */
export type Page = ReturnType<typeof html>;

const ASKS: Record<ActionPurpose, { title: string; question: string }> = {
  approve: { title: 'Approve or reject a transfer', question: 'Should this transfer go ahead?' },
  confirm: { title: 'Confirm your transfer', question: 'You asked for this transfer. Should it go ahead?' },
  escalate: {
    title: 'Talk to a human',
    question: "Ask Airlock's operators to take this ticket in hand. Automation keeps running meanwhile.",
  },
};

const REFUSAL_TITLES: Record<LinkRefusalReason, string> = {
  unknown: 'This link is not valid',
  bad_csrf: 'Your answer was not recorded',
  used: 'This link was already used',
  expired: 'This link has expired',
  voided: 'This link no longer counts',
  moved_on: 'Nothing is waiting for this answer',
  not_allowed: 'This link cannot be used',
  conflict: 'You already answered',
  invalid_input: 'Your answer was not recorded',
};

/** What the link asks, with its buttons: a POST form back to `action` carrying the CSRF token. */
export function confirmationPage(view: LinkUsable & { csrf: string; action: string }): Page {
  const { link, ticket } = view;
  const ask = ASKS[link.purpose];
  const buttons =
    link.purpose === 'escalate'
      ? html`<button type="submit">Talk to a human</button>`
      : html`<label for="comment">Comment (optional)</label>
          <textarea id="comment" name="comment" rows="4" maxlength="${MAX_LINK_COMMENT_LENGTH}"></textarea>
          <div class="buttons">
            <button type="submit" name="decision" value="approve">${link.purpose === 'confirm' ? 'Confirm' : 'Approve'}</button>
            <button type="submit" name="decision" value="reject" class="stop">${link.purpose === 'confirm' ? 'Stop' : 'Reject'}</button>
          </div>`;
  return layout(
    ask.title,
    html`<dl class="facts">
        <dt>Ticket</dt>
        <dd>${formatTicketNumber(ticket.number)}</dd>
        <dt>Pipeline</dt>
        <dd>${ticket.pipeline}</dd>
        <dt>Requested by</dt>
        <dd>${ticket.requester}</dd>
        <dt>Purpose</dt>
        <dd>${ticket.purpose}</dd>
      </dl>
      <p><strong>${ask.question}</strong></p>
      <p class="note">
        This link is for ${link.user_name} and works once, until ${formatUtc(link.expires_at)}. Opening it changed nothing: only a button
        below records an answer.
      </p>
      <form method="post" action="${view.action}">
        <input type="hidden" name="csrf" value="${view.csrf}" />
        ${buttons}
      </form>`,
  );
}

/** After a decision by link: what was recorded and where the ticket stands. */
export function decidedPage(outcome: LinkDecided): Page {
  const label = formatTicketNumber(outcome.ticket.number);
  const confirm = outcome.link.purpose === 'confirm';
  if (outcome.decision === 'reject') {
    return layout(
      confirm ? 'Transfer stopped' : 'Transfer rejected',
      html`<p>${label} is ${confirm ? 'stopped' : 'rejected'}. Nothing will be delivered and its staged data is removed.</p>`,
    );
  }
  const next =
    outcome.ticket.state === 'approved'
      ? 'Every answer it needs is in: the transfer goes ahead.'
      : 'It still waits for other answers; nothing is delivered until they are in.';
  return layout(
    confirm ? 'Confirmation recorded' : 'Approval recorded',
    html`<p>Your ${confirm ? 'confirmation' : 'approval'} of ${label} is recorded. ${next}</p>`,
  );
}

/** After "talk to a human": who owns the ticket now and by when they respond. */
export function escalatedPage(outcome: LinkEscalated): Page {
  const label = formatTicketNumber(outcome.ticket.number);
  const due = outcome.ticket.sla_due_at ? html` They are asked to respond by ${formatUtc(outcome.ticket.sla_due_at)}.` : '';
  return layout(
    'A human is on it',
    outcome.created
      ? html`<p>${label} is escalated: its severity is high and ${outcome.operator} owns it now.${due}</p>`
      : html`<p>${label} was already escalated; ${outcome.operator} owns it.${due}</p>`,
  );
}

/** Why the link did nothing. */
export function refusalPage(refused: Pick<LinkRefused, 'reason' | 'message'>): Page {
  return layout(
    REFUSAL_TITLES[refused.reason],
    html`<p>${refused.message}</p>
      <p>Nothing was changed.</p>`,
  );
}

function layout(title: string, body: Page | string): Page {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="robots" content="noindex, nofollow" />
        <meta name="referrer" content="no-referrer" />
        <title>${title} · Airlock</title>
        <link rel="stylesheet" href="${ASSET_PATHS.css}" />
      </head>
      <body>
        <main class="narrow">
          <h1>${title}</h1>
          ${body}
        </main>
      </body>
    </html>`;
}
