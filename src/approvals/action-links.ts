import { recordAudit } from '../audit/audit-log.js';
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { hashToken } from '../auth/token-store.js';
import type { Db } from '../db/database.js';
import { inTransaction } from '../db/in-transaction.js';
import type { ActionLinkRow, ActionPurpose, TicketRow } from '../db/schema.js';
import { AirlockError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { escalateAndNotify } from './escalate-and-notify.js';
import { announceDecision, type CommunicationContext } from './review-task.js';
import { lockTicket } from '../tickets/ticket-store.js';
import type { ApprovalStatus } from './approval-store.js';
import { decideApproval } from './approval-store.js';
import { checkLinkUsable, refusal, type LinkRefused, type LinkUsable } from './action-link-checks.js';

export type { LinkRefused, LinkRefusalReason, LinkUsable } from './action-link-checks.js';

/** Marks Airlock action links, so that secret scanners and people recognise one. */
/** Marks action-link tokens, so that people, secret scanners and the console's outbox recognise one. */
export const ACTION_LINK_TOKEN_MARK = 'alink_';
/** `alink_` and the base64url of 32 random bytes (256 bits, 43 characters). */
const TOKEN_PATTERN = /^alink_[A-Za-z0-9_-]{43}$/;
/** The longest comment a decision by link keeps (as through the API). */
export const MAX_LINK_COMMENT_LENGTH = 1000;

export interface NewActionLink {
  ticketId: string;
  /** The one person the link speaks for; the link is useless to anyone else's account. */
  userName: string;
  /** Where it was sent. */
  email: string;
  purpose: ActionPurpose;
  /** The content manifest (`ticketManifest`) the question is about: required for confirm and approve. */
  manifest?: string;
  /** The policy version of the ticket's decision: required for confirm and approve. */
  policyVersion?: string;
  expiresAt: Date;
}

/** What a POST from the confirmation page carries. */
export interface LinkUseInput {
  decision?: 'approve' | 'reject' | undefined;
  comment?: string | undefined;
  /** The page's hidden field; must equal `csrfFor(link.id, csrfKey)`. */
  csrf: string;
}

export interface LinkUseDeps {
  /** Runs in the transaction of the approval that completes the quorum (where delivery is enqueued). */
  onApproved?: (trx: Db, ticketId: string) => Promise<void>;
  escalationSlaMinutes: number;
  now?: () => Date;
  /** The server's secret for CSRF tokens. */
  csrfKey: Buffer;
  /** Link base and clock for the escalation's mails; absent: none are written. */
  communication?: CommunicationContext | undefined;
}

export interface LinkDecided {
  kind: 'decided';
  link: ActionLinkRow;
  decision: 'approve' | 'reject';
  /** The ticket after the decision: still awaiting approval, approved or rejected. */
  ticket: TicketRow;
  status: ApprovalStatus;
  /** When the ticket started waiting for this answer (its last change before it). */
  awaitingSince: Date;
}

export interface LinkEscalated {
  kind: 'escalated';
  link: ActionLinkRow;
  ticket: TicketRow;
  operator: string;
  /** False when the ticket had already been escalated. */
  created: boolean;
}

export type LinkUseOutcome = LinkDecided | LinkEscalated | LinkRefused;

/**
 * Makes a single-use link for one person, one purpose and one ticket. The token is returned once, to be put
 * in that person's mail; only its sha256 is stored. Confirm and approve links are bound to the manifest and
 * policy version they ask about, and stop counting when either changes.
 */
export async function createActionLink(trx: Db, input: NewActionLink): Promise<{ id: string; token: string }> {
  if (input.purpose !== 'escalate' && (!input.manifest || !input.policyVersion)) {
    throw new AirlockError('invalid_input', `A ${input.purpose} link must be bound to a content manifest and a policy version.`);
  }
  const token = ACTION_LINK_TOKEN_MARK + randomBytes(32).toString('base64url');
  const id = randomUUID();
  await trx
    .insertInto('action_links')
    .values({
      id,
      ticket_id: input.ticketId,
      user_name: input.userName,
      email: input.email,
      purpose: input.purpose,
      token_hash: hashToken(token),
      manifest_sha256: input.manifest ?? null,
      policy_version: input.policyVersion ?? null,
      expires_at: input.expiresAt,
      opened_at: null,
      used_at: null,
    })
    .execute();
  return { id, token };
}

/** The link a token names, by its hash; undefined when the token is malformed or was never issued. */
export async function findActionLink(db: Db, token: string): Promise<ActionLinkRow | undefined> {
  if (typeof token !== 'string' || !TOKEN_PATTERN.test(token)) return undefined;
  return db.selectFrom('action_links').selectAll().where('token_hash', '=', hashToken(token)).executeTakeFirst();
}

/**
 * Someone (a person, a mail scanner, a chat preview) fetched the link. Sets `opened_at` on the first open
 * and logs every open as an open, never the token; it changes nothing else, whatever the link's state.
 */
export async function recordOpen(db: Db, token: string, options: { log?: Logger; now?: Date } = {}): Promise<ActionLinkRow | undefined> {
  const link = await findActionLink(db, token);
  if (!link) return undefined;
  const first = await inTransaction(db, async (trx) => {
    const opened = await trx
      .updateTable('action_links')
      .set({ opened_at: options.now ?? new Date() })
      .where('id', '=', link.id)
      .where('opened_at', 'is', null)
      .returning('opened_at')
      .executeTakeFirst();
    // Every open is audited (a mail scanner's fetch too): the link's id, never its token.
    await recordAudit(trx, {
      kind: 'link.opened',
      actor: link.user_name,
      ticketId: link.ticket_id,
      details: { linkId: link.id, purpose: link.purpose, first: opened !== undefined },
    });
    return opened;
  });
  options.log?.info({ linkId: link.id, ticketId: link.ticket_id, purpose: link.purpose, first: first !== undefined }, 'action link opened');
  return first ? { ...link, opened_at: first.opened_at } : link;
}

/**
 * What the confirmation page shows: the open is recorded (see `recordOpen`), then the link is checked as a
 * POST would check it, so a page never offers a button that cannot work. Changes nothing else.
 */
export async function openActionLink(db: Db, token: string, options: { log?: Logger; now?: Date } = {}): Promise<LinkUsable | LinkRefused> {
  const now = options.now ?? new Date();
  const link = await recordOpen(db, token, { ...options, now });
  if (!link) return unknownLink();
  const ticket = await db.selectFrom('tickets').selectAll().where('id', '=', link.ticket_id).executeTakeFirstOrThrow();
  return checkLinkUsable(db, link, ticket, now);
}

/** The CSRF token of a link's confirmation page: base64url HMAC-SHA256 of the link id under the server's key. */
export function csrfFor(linkId: string, key: Buffer): string {
  return createHmac('sha256', key).update(linkId, 'utf8').digest('base64url');
}

/**
 * Records the answer a confirmation page was posted with, in one transaction: the ticket and the link are
 * locked, every refusal is checked (forged, bad CSRF, used, expired, disabled user, wrong person for the
 * purpose, ticket moved on, voided), the decision or escalation is made as the link's user through the
 * same code as the API (channel `email`), and the link is marked used. A refusal changes nothing and comes
 * back as an outcome with a sentence for the page, never as an error.
 */
export async function useActionLink(db: Db, token: string, input: LinkUseInput, deps: LinkUseDeps): Promise<LinkUseOutcome> {
  const now = (deps.now ?? (() => new Date()))();
  const found = await findActionLink(db, token);
  if (!found) return unknownLink();
  if (!csrfMatches(input.csrf, csrfFor(found.id, deps.csrfKey))) {
    return refusal('bad_csrf', 'This answer did not come from the confirmation page; open the link again and use its buttons.', {
      link: found,
    });
  }
  try {
    return await inTransaction(db, async (trx) => {
      // The ticket first, then the link: the order every ticket change takes, so concurrent uses cannot deadlock.
      const locked = await lockTicket(trx, found.ticket_id);
      const link = await trx.selectFrom('action_links').selectAll().where('id', '=', found.id).forUpdate().executeTakeFirstOrThrow();
      const usable = await checkLinkUsable(trx, link, locked, now);
      if (usable.kind === 'refused') return usable;
      if (link.purpose === 'escalate') {
        const escalation = await escalateAndNotify(trx, locked.id, link.user_name, {
          slaMinutes: deps.escalationSlaMinutes,
          communication: deps.communication,
          now,
        });
        const used = await markUsed(trx, link.id, now);
        return { kind: 'escalated', link: used, ticket: escalation.ticket, operator: escalation.operator, created: escalation.created };
      }
      const comment = input.comment?.trim() || undefined;
      if (!input.decision) return refusal('invalid_input', 'Choose one of the buttons on the page.', { link, ticket: locked });
      if (comment && comment.length > MAX_LINK_COMMENT_LENGTH) {
        return refusal('invalid_input', `Comments are limited to ${MAX_LINK_COMMENT_LENGTH} characters.`, { link, ticket: locked });
      }
      const caller = { name: usable.user.name, roles: usable.user.roles, groups: usable.user.groups };
      const result = await decideApproval(
        trx,
        locked.id,
        caller,
        { decision: input.decision, comment, channel: 'email' },
        {
          onApproved: async (inner) => deps.onApproved?.(inner, locked.id),
          ...(deps.communication
            ? { onSettled: (inner: Db, settled: TicketRow) => announceDecision(inner, settled, deps.communication!) }
            : {}),
        },
      );
      const used = await markUsed(trx, link.id, now);
      return {
        kind: 'decided',
        link: used,
        decision: input.decision,
        ticket: result.ticket,
        status: result.status,
        awaitingSince: locked.updated_at,
      };
    });
  } catch (error) {
    // The checks above mirror decideApproval's and escalateTicket's; should one still refuse, its message is
    // written for the person deciding and the transaction has been rolled back.
    const reason = error instanceof AirlockError ? REFUSAL_BY_CODE[error.code] : undefined;
    if (reason && error instanceof AirlockError) return refusal(reason, error.message, { link: found });
    throw error;
  }
}

/** AirlockError codes of decideApproval and escalateTicket that are answers to the person, not faults. */
const REFUSAL_BY_CODE: Partial<Record<AirlockError['code'], LinkRefused['reason']>> = {
  forbidden: 'not_allowed',
  invalid_transition: 'moved_on',
  conflict: 'conflict',
};

function unknownLink(): LinkRefused {
  return refusal('unknown', 'This link is not valid: it was mistyped, cut short, or never issued.');
}

async function markUsed(trx: Db, linkId: string, now: Date): Promise<ActionLinkRow> {
  return trx
    .updateTable('action_links')
    .set({ used_at: now })
    .where('id', '=', linkId)
    .where('used_at', 'is', null)
    .returningAll()
    .executeTakeFirstOrThrow();
}

function csrfMatches(given: string, expected: string): boolean {
  const a = Buffer.from(typeof given === 'string' ? given : '', 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
