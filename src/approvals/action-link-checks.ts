import { getUserByName } from '../auth/user-store.js';
import type { Db } from '../db/database.js';
import type { ActionLinkRow, TicketRow, UserRow } from '../db/schema.js';
import { ticketManifest } from '../tickets/manifest.js';
import { participation } from '../tickets/ticket-access.js';
import { formatTicketNumber, TERMINAL_STATES } from '../tickets/states.js';

/**
 * Why a link cannot be used. Each has its own page and status:
 * - unknown: malformed, forged or never issued (404).
 * - bad_csrf: the POST did not carry the CSRF token of the link's page (403).
 * - used, expired: single use, limited life (410).
 * - voided: the ticket's content manifest or policy version changed since the link was made (410).
 * - moved_on: the ticket no longer awaits this answer (approved, rejected, cancelled, finished…) (409).
 * - not_allowed: the link's user is disabled, or may not give this answer on this ticket (403).
 * - conflict: the person already answered on this ticket another way (API, another link) (409).
 * - invalid_input: the POST did not say which button (400).
 */
export type LinkRefusalReason =
  'unknown' | 'bad_csrf' | 'used' | 'expired' | 'voided' | 'moved_on' | 'not_allowed' | 'conflict' | 'invalid_input';

export interface LinkRefused {
  kind: 'refused';
  reason: LinkRefusalReason;
  /** One sentence for the person holding the link: what happened and what to do. Never the token. */
  message: string;
  /** The link, when the token named one (for logs: its id, never its token). */
  link?: ActionLinkRow;
  ticket?: TicketRow;
}

/** A link that can be used now, with the user it speaks for. */
export interface LinkUsable {
  kind: 'ready';
  link: ActionLinkRow;
  ticket: TicketRow;
  user: UserRow;
}

export function refusal(reason: LinkRefusalReason, message: string, about: { link?: ActionLinkRow; ticket?: TicketRow } = {}): LinkRefused {
  return { kind: 'refused', reason, message, ...about };
}

/**
 * Whether a known link can be used now: the checks behind both the confirmation page (so it offers no button
 * that would fail) and the POST (there under the ticket's and the link's locks). Reads only. The person
 * must still be who the link's purpose needs: the requester confirms and asks for a human, an approver the
 * pipeline named approves, and an approve link made out to the requester is refused, so the requester never
 * fills a second place in the quorum.
 */
export async function checkLinkUsable(db: Db, link: ActionLinkRow, ticket: TicketRow, now: Date): Promise<LinkUsable | LinkRefused> {
  const label = formatTicketNumber(ticket.number);
  const about = { link, ticket };
  if (link.used_at) return refusal('used', `This link was already used, at ${stamp(link.used_at)}; each link works once.`, about);
  if (link.expires_at <= now) {
    return refusal(
      'expired',
      `This link expired at ${stamp(link.expires_at)}; ask for a new one if ${label} still needs your answer.`,
      about,
    );
  }
  const user = await getUserByName(db, link.user_name);
  if (!user || user.disabled_at) {
    return refusal('not_allowed', `The account this link was sent to (${link.user_name}) is disabled, so the link no longer works.`, about);
  }
  const isRequester = ticket.requester === user.name;
  if (link.purpose === 'approve' && isRequester) {
    return refusal('not_allowed', `${user.name} requested ${label}; a requester never approves their own ticket.`, about);
  }
  if (link.purpose !== 'approve' && !isRequester) {
    return refusal('not_allowed', `Only the requester of ${label} can use this link.`, about);
  }
  if (link.purpose === 'escalate') {
    if (TERMINAL_STATES.has(ticket.state)) {
      return refusal('moved_on', `${label} is ${ticket.state}; a finished ticket cannot be escalated.`, about);
    }
    return { kind: 'ready', link, ticket, user };
  }

  if (ticket.state !== 'awaiting_approval') {
    return refusal('moved_on', `${label} is ${ticket.state.replaceAll('_', ' ')}; it no longer awaits this answer.`, about);
  }
  if (link.purpose === 'confirm' && !ticket.requester_confirms) {
    return refusal('not_allowed', `${label} does not ask its requester to confirm it.`, about);
  }
  if (
    link.purpose === 'approve' &&
    (!user.roles.includes('approver') || !(await participation(db, ticket.id, user.name)).has('approver'))
  ) {
    return refusal('not_allowed', `${user.name} is no longer one of the approvers of ${label}.`, about);
  }
  const decision = await db.selectFrom('decisions').select('policy_version').where('ticket_id', '=', ticket.id).executeTakeFirst();
  if (!link.manifest_sha256 || link.manifest_sha256 !== (await ticketManifest(db, ticket.id))) {
    return refusal('voided', `The content of ${label} changed after this link was sent, so this link no longer counts.`, about);
  }
  if (!decision || link.policy_version !== decision.policy_version) {
    return refusal(
      'voided',
      `The policy that asked about ${label} changed after this link was sent, so this link no longer counts.`,
      about,
    );
  }
  const earlier = await db
    .selectFrom('approvals')
    .select(['decision', 'channel'])
    .where('ticket_id', '=', ticket.id)
    .where('user_name', '=', user.name)
    .executeTakeFirst();
  if (earlier) {
    const verb = earlier.decision === 'reject' ? 'rejected' : link.purpose === 'confirm' ? 'confirmed' : 'approved';
    return refusal('conflict', `${user.name} already ${verb} ${label} (via ${earlier.channel}); one person answers once.`, about);
  }
  return { kind: 'ready', link, ticket, user };
}

function stamp(at: Date): string {
  return `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
