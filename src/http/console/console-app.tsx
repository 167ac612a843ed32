import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { AirlockError, coerceError } from '../../errors.js';
import type { Caller } from '../../tickets/ticket-access.js';
import { loggablePath } from '../routes/link-routes.js';
import { registerAssetRoutes } from './assets/asset-routes.js';
import { requireCsrf, requireSession } from './console-auth.js';
import type { ConsoleDeps } from './console-deps.js';
import type { ConsoleEnv } from './console-env.js';
import { registerLoginRoutes } from './login-routes.js';
import { page } from './respond.js';

/** Console request bodies are forms of a few fields; anything larger is refused unread. */
const MAX_FORM_BYTES = 64 * 1024;

/** Where each role starts: the first page of the first role the caller holds, in this order. */
const HOMES: readonly [Caller['roles'][number], string][] = [
  ['requester', '/ui/tickets'],
  ['approver', '/ui/approvals'],
  ['operator', '/ui/operations'],
  ['auditor', '/ui/overview'],
  ['admin', '/ui/outbox'],
];

/** A module of console pages: registers its routes on the console app (behind sign-in and CSRF checks). */
export type ConsolePages = (ui: Hono<ConsoleEnv>, deps: ConsoleDeps) => void;

/**
 * The web console under /ui: server-rendered pages for requesters, approvers, operators and auditors over
 * the same core as the API. Sign-in makes a session (cookie); every other page needs one, and every form
 * posts back with the session's CSRF token. Errors are pages, not problem+json.
 */
export function createConsole(deps: ConsoleDeps, pages: readonly ConsolePages[]): Hono<ConsoleEnv> {
  const ui = new Hono<ConsoleEnv>();
  ui.use(
    '*',
    bodyLimit({
      maxSize: MAX_FORM_BYTES,
      onError: () => {
        throw new AirlockError('payload_too_large', `Forms are limited to ${MAX_FORM_BYTES / 1024} KB.`);
      },
    }),
  );
  registerAssetRoutes(ui);
  registerLoginRoutes(ui, deps);
  ui.use('*', requireSession(deps.db, deps.now), requireCsrf());
  ui.get('/', (c) => {
    const caller = c.get('caller');
    const home = HOMES.find(([role]) => caller.roles.includes(role));
    if (!home) return page(c, 'No access', <p>Your account holds no role that has pages here. Ask an administrator for one.</p>);
    return c.redirect(home[1], 303);
  });
  ui.get('/account', (c) => {
    const session = c.get('session');
    return page(
      c,
      'Your account',
      <section>
        <h1>Your account</h1>
        <dl class="facts">
          <dt>Name</dt>
          <dd>{session.caller.name}</dd>
          <dt>Roles</dt>
          <dd>{session.caller.roles.join(', ') || 'none'}</dd>
          <dt>Approver groups</dt>
          <dd>{session.caller.groups.join(', ') || 'none'}</dd>
          <dt>Signed in with</dt>
          <dd>{session.via === 'oidc' ? 'your identity provider' : 'an API token'}</dd>
          <dt>Session ends</dt>
          <dd>{`at the latest ${session.expiresAt.toISOString().slice(0, 16).replace('T', ' ')} UTC, or after 30 minutes without a request`}</dd>
        </dl>
      </section>,
    );
  });
  for (const register of pages) register(ui, deps);
  ui.all('*', (c) => {
    throw new AirlockError('not_found', `There is no page at ${loggablePath(c.req.path)}.`);
  });
  ui.onError((error, c) => errorPage(c, error, deps));
  return ui;
}

const TITLES: Partial<Record<number, string>> = {
  400: 'Something in the form is not right',
  401: 'Please sign in',
  403: 'Not allowed',
  404: 'Not found',
  409: 'That cannot be done now',
  413: 'Too much',
  429: 'Slow down',
};

function errorPage(c: Context<ConsoleEnv>, error: unknown, deps: ConsoleDeps) {
  const failure = coerceError(error);
  if (!(error instanceof AirlockError)) {
    deps.logger.error({ err: error, path: loggablePath(c.req.path), requestId: c.get('requestId') }, 'console page failed');
  }
  const status = failure.status as ContentfulStatusCode;
  const title = TITLES[status] ?? 'Something went wrong';
  return page(
    c,
    title,
    <section>
      <h1>{title}</h1>
      <p>{failure.message}</p>
      {status === 401 ? (
        <p>
          <a href="/ui/login">Sign in</a>
        </p>
      ) : (
        <p>
          <a href="/ui">Back to the start page</a>
        </p>
      )}
    </section>,
    { status },
  );
}
