import type { Child } from 'hono/jsx';
import type { Role } from '../../auth/roles.js';
import type { Caller } from '../../tickets/ticket-access.js';
import { ASSET_PATHS } from './assets/asset-paths.js';

/** One entry of the navigation: shown to callers holding one of `roles`. */
interface NavEntry {
  href: string;
  label: string;
  roles: readonly Role[];
}

const NAV: readonly NavEntry[] = [
  { href: '/ui/tickets/new', label: 'New transfer', roles: ['requester'] },
  { href: '/ui/tickets', label: 'Tickets', roles: ['requester', 'approver', 'operator', 'auditor'] },
  { href: '/ui/approvals', label: 'Approvals', roles: ['approver'] },
  { href: '/ui/operations', label: 'Operations', roles: ['operator'] },
  { href: '/ui/quarantine', label: 'Quarantine', roles: ['operator', 'auditor'] },
  { href: '/ui/overview', label: 'Overview', roles: ['operator', 'auditor'] },
  { href: '/ui/audit', label: 'Audit log', roles: ['auditor'] },
  { href: '/ui/outbox', label: 'Outbox', roles: ['requester', 'approver', 'operator', 'auditor', 'admin'] },
];

/** The navigation entries a caller sees, in order. */
export function navFor(caller: Caller): NavEntry[] {
  return NAV.filter((entry) => entry.roles.some((role) => caller.roles.includes(role)));
}

export interface LayoutProps {
  title: string;
  /** Absent on pages for people who are not signed in (sign-in, errors before a session exists). */
  session?: { caller: Caller; csrf: string } | undefined;
  /** The request path, to mark the current navigation entry. */
  path?: string;
  /** A one-line confirmation shown above the content (`role="status"`). */
  notice?: string | undefined;
  /** A one-line problem shown above the content (`role="alert"`). */
  error?: string | undefined;
  /** Scripts the page enhances itself with (same-origin files; the content security policy allows nothing inline). */
  scripts?: readonly string[];
  children?: Child;
}

/**
 * Every console page: a skip link first in the focus order, the navigation, the main landmark. No inline
 * style or script anywhere (the content security policy forbids both); styles and scripts are files under
 * /ui/assets. Every value is escaped by JSX.
 */
export function Layout(props: LayoutProps) {
  const caller = props.session?.caller;
  const current = props.path ?? '';
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="robots" content="noindex, nofollow" />
        <meta name="referrer" content="same-origin" />
        <title>{`${props.title} · Airlock`}</title>
        <link rel="icon" href="data:," />
        <link rel="stylesheet" href={ASSET_PATHS.css} />
        {(props.scripts ?? []).map((src) => (
          <script src={src} defer></script>
        ))}
      </head>
      <body>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header class="top">
          <a class="brand" href="/ui">
            Airlock
          </a>
          {caller && (
            <nav aria-label="Main">
              <ul>
                {navFor(caller).map((entry) => (
                  <li>
                    <a href={entry.href} aria-current={isCurrent(entry.href, current) ? 'page' : undefined}>
                      {entry.label}
                    </a>
                  </li>
                ))}
              </ul>
            </nav>
          )}
          {props.session && (
            <form class="signout" method="post" action="/ui/logout">
              <input type="hidden" name="csrf" value={props.session.csrf} />
              <a class="who" href="/ui/account" aria-current={current === '/ui/account' ? 'page' : undefined}>
                {props.session.caller.name} <span class="roles">({props.session.caller.roles.join(', ') || 'no roles'})</span>
              </a>
              <button type="submit">Sign out</button>
            </form>
          )}
        </header>
        <main id="main" tabindex={-1}>
          {props.notice && (
            <p class="notice" role="status">
              {props.notice}
            </p>
          )}
          {props.error && (
            <p class="error" role="alert">
              {props.error}
            </p>
          )}
          {props.children}
        </main>
      </body>
    </html>
  );
}

/** A POST form carrying the session's CSRF token (every console form is one of these). */
export function PostForm(props: { action: string; csrf: string; class?: string; label?: string; children?: Child }) {
  return (
    <form method="post" action={props.action} class={props.class} aria-label={props.label}>
      <input type="hidden" name="csrf" value={props.csrf} />
      {props.children}
    </form>
  );
}

/** The most specific entry wins: `/ui/tickets/new` is not also "Tickets". */
function isCurrent(href: string, path: string): boolean {
  if (path === href) return true;
  if (!path.startsWith(href + '/')) return false;
  return !NAV.some(
    (other) => other.href !== href && other.href.startsWith(href + '/') && (path === other.href || path.startsWith(other.href + '/')),
  );
}
