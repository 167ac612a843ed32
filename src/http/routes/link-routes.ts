import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { csrfFor, openActionLink, useActionLink, type LinkRefusalReason, type LinkUseOutcome } from '../../approvals/action-links.js';
import type { CommunicationContext } from '../../approvals/review-task.js';
import type { Db } from '../../db/database.js';
import type { Logger } from '../../log/logger.js';
import type { AppEnv } from '../app-env.js';
import { confirmationPage, decidedPage, escalatedPage, refusalPage, type Page } from '../link-pages.js';
import { readForm } from '../read-form.js';
import { ROUTES } from '../route-access.js';

// Public: the link's token is the credential, and the page works without an Airlock account or API token.
ROUTES.push(
  { method: 'GET', path: '/a/{token}', access: { kind: 'public' } },
  { method: 'POST', path: '/a/{token}', access: { kind: 'public' } },
);

export interface LinkRouteDeps {
  db: Db;
  logger: Logger;
  /** Keys the CSRF tokens of the confirmation pages. */
  secret: Buffer;
  escalationSlaMinutes: number;
  /** Enqueues delivery in the transaction of the approval that completes the quorum. */
  enqueue: (trx: Db, ticketId: string) => Promise<void>;
  /** Removes a rejected ticket's staged data. */
  purge: (ticketId: string) => Promise<void>;
  maxBodyBytes: number;
  onApprovalSettled?: (seconds: number) => void;
  now?: () => Date;
  /** Link base and clock for the mails an escalation writes. */
  communication?: CommunicationContext | undefined;
}

/** The status of each refusal's page. */
const REFUSAL_STATUS: Record<LinkRefusalReason, ContentfulStatusCode> = {
  unknown: 404,
  bad_csrf: 403,
  used: 410,
  expired: 410,
  voided: 410,
  moved_on: 409,
  not_allowed: 403,
  conflict: 409,
  invalid_input: 400,
};

/**
 * `GET /a/{token}` shows what an e-mailed link asks, with its buttons, and changes nothing but the link's
 * `opened_at` (mail scanners and chat previews fetch links). `POST /a/{token}` from that page, with its CSRF
 * token, records the answer. Every answer is an HTML page that is never cached and never sends a referrer;
 * the token is never logged (see `loggablePath`).
 */
export function registerLinkRoutes(app: OpenAPIHono<AppEnv>, deps: LinkRouteDeps): void {
  const clock = deps.now ?? (() => new Date());
  app.use(
    '/a/*',
    bodyLimit({
      maxSize: deps.maxBodyBytes,
      onError: (c) =>
        send(c, 413, refusalPage({ reason: 'invalid_input', message: `Answers are limited to ${deps.maxBodyBytes / 1024} KB.` })),
    }),
  );

  app.get('/a/:token', async (c) => {
    const log = deps.logger.child({ requestId: c.get('requestId') });
    const token = c.req.param('token');
    const opened = await openActionLink(deps.db, token, { log, now: clock() });
    if (opened.kind === 'refused') return refused(c, log, opened);
    const csrf = csrfFor(opened.link.id, deps.secret);
    return send(c, 200, confirmationPage({ ...opened, csrf, action: `/a/${encodeURIComponent(token)}` }));
  });

  app.post('/a/:token', async (c) => {
    const log = deps.logger.child({ requestId: c.get('requestId') });
    const form = await readForm(c);
    const decision = form.decision === 'approve' || form.decision === 'reject' ? form.decision : undefined;
    const outcome = await useActionLink(
      deps.db,
      c.req.param('token'),
      { decision, comment: form.comment, csrf: form.csrf ?? '' },
      {
        onApproved: (trx, ticketId) => deps.enqueue(trx, ticketId),
        escalationSlaMinutes: deps.escalationSlaMinutes,
        now: clock,
        csrfKey: deps.secret,
        communication: deps.communication,
      },
    );
    if (outcome.kind === 'refused') return refused(c, log, outcome);
    log.info(
      { linkId: outcome.link.id, ticketId: outcome.ticket.id, purpose: outcome.link.purpose, state: outcome.ticket.state },
      'action link used',
    );
    if (outcome.kind === 'escalated') return send(c, 200, escalatedPage(outcome));
    if (outcome.ticket.state === 'rejected') await deps.purge(outcome.ticket.id);
    if (outcome.ticket.state !== 'awaiting_approval') deps.onApprovalSettled?.((Date.now() - outcome.awaitingSince.getTime()) / 1000);
    return send(c, 200, decidedPage(outcome));
  });
}

/** A request path fit for logs: a link page's path holds its token, so it is replaced. */
export function loggablePath(path: string): string {
  return path === '/a' || path.startsWith('/a/') ? '/a/[token]' : path;
}

function refused(c: Context<AppEnv>, log: Logger, outcome: Extract<LinkUseOutcome, { kind: 'refused' }>): Response | Promise<Response> {
  log.info({ linkId: outcome.link?.id, ticketId: outcome.link?.ticket_id, reason: outcome.reason }, 'action link refused');
  return send(c, REFUSAL_STATUS[outcome.reason], refusalPage(outcome));
}

function send(c: Context, status: ContentfulStatusCode, page: Page): Response | Promise<Response> {
  return c.html(page, status, { 'cache-control': 'no-store', 'referrer-policy': 'no-referrer', 'x-robots-tag': 'noindex, nofollow' });
}
