import type { Db } from '../db/database.js';
import { inTransaction } from '../db/in-transaction.js';
import type { ApprovalRow, TicketRow } from '../db/schema.js';
import { AirlockError } from '../errors.js';
import type { RequiredApprovals } from '../policy/evaluate-policy.js';
import { ticketManifest } from '../tickets/manifest.js';
import type { Caller } from '../tickets/ticket-access.js';
import { participation } from '../tickets/ticket-access.js';
import { appendEvent, lockTicket, transitionTicket } from '../tickets/ticket-store.js';
import { formatTicketNumber } from '../tickets/states.js';
import { approvalsMissing, quorumMet, type Approver } from './quorum.js';

export interface DecisionInput {
  decision: 'approve' | 'reject';
  comment?: string | undefined;
  /** How it arrived; recorded with it and in the ticket's history. */
  channel?: 'api' | 'email' | 'web';
}

export interface ApprovalView {
  user: string;
  decision: 'approve' | 'reject';
  comment: string | null;
  at: string;
  /** False once the content or the policy version changed since it was given: it no longer counts. */
  valid: boolean;
  /** The requester's confirmation, not an approval. */
  asRequester: boolean;
  channel: 'api' | 'email' | 'web';
}

export interface ApprovalStatus {
  approvals: ApprovalView[];
  /** Per requirement of the ticket's decision: what it asks and how many approvals it still needs. */
  required: (RequiredApprovals & { missing: number })[];
  /** Whether the requester's confirmation is needed, and whether a valid one is in. */
  requesterConfirmation: { required: boolean; given: boolean };
}

/**
 * Records one person's decision on a ticket awaiting approval and moves the ticket when it settles it: a
 * rejection ends it, and the approval that completes the quorum approves it (`onApproved` runs in the same
 * transaction: that is where its delivery job is enqueued). Dual control: the requester never decides their
 * own ticket, only the approvers the pipeline named may, and one person decides once. An approval is bound
 * to the ticket's content manifest and the policy version of its decision.
 */
export async function decideApproval(
  db: Db,
  ticketId: string,
  caller: Caller,
  input: DecisionInput,
  options: { onApproved?: (trx: Db) => Promise<void>; onSettled?: (trx: Db, ticket: TicketRow) => Promise<void> } = {},
): Promise<{ ticket: TicketRow; status: ApprovalStatus }> {
  return inTransaction(db, async (trx) => {
    const ticket = await lockTicket(trx, ticketId);
    const label = formatTicketNumber(ticket.number);
    const asRequester = ticket.requester === caller.name;
    if (asRequester && !ticket.requester_confirms && input.decision === 'approve') {
      throw new AirlockError('forbidden', `${label} was requested by ${caller.name}; a requester never approves their own ticket.`);
    }
    if (!asRequester && (!caller.roles.includes('approver') || !(await participation(trx, ticket.id, caller.name)).has('approver'))) {
      throw new AirlockError('forbidden', `${caller.name} is not one of the approvers of ${label}.`);
    }
    if (ticket.state !== 'awaiting_approval') {
      throw new AirlockError('invalid_transition', `${label} is ${ticket.state}; only a ticket awaiting approval can be decided.`);
    }
    const decision = await trx.selectFrom('decisions').selectAll().where('ticket_id', '=', ticket.id).executeTakeFirst();
    if (!decision) throw new AirlockError('internal_error', `${label} awaits approval but has no recorded decision.`);
    const manifest = await ticketManifest(trx, ticket.id);
    const inserted = await trx
      .insertInto('approvals')
      .values({
        ticket_id: ticket.id,
        user_name: caller.name,
        decision: input.decision,
        comment: input.comment ?? null,
        manifest_sha256: manifest,
        policy_version: decision.policy_version,
        channel: input.channel ?? 'api',
        as_requester: asRequester,
      })
      .onConflict((oc) => oc.columns(['ticket_id', 'user_name']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) throw new AirlockError('conflict', `${caller.name} has already decided on ${label}; one person counts once.`);
    const role = asRequester ? 'requester' : 'approver';
    await appendEvent(trx, ticket.id, {
      actor: caller.name,
      from: ticket.state,
      to: ticket.state,
      reason: `${input.decision === 'approve' ? (asRequester ? 'confirmed' : 'approved') : 'rejected'} by ${role} ${caller.name} via ${input.channel ?? 'api'}${input.comment ? ' (with a comment)' : ''}`,
      audit: { kind: 'approval.decided', details: { decision: input.decision, role, channel: input.channel ?? 'api' } },
    });

    const rows = await loadApprovals(trx, ticket.id);
    const context = { decision, manifest, requesterConfirms: ticket.requester_confirms };
    const status = summarizeApprovals(rows, context);
    const from = 'awaiting_approval' as const;
    if (input.decision === 'reject') {
      const rejected = await transitionTicket(trx, ticket.id, 'rejected', {
        actor: caller.name,
        from,
        reason: `rejected by ${caller.name}`,
      });
      await options.onSettled?.(trx, rejected);
      return { ticket: rejected, status };
    }
    const approvers = countingApprovers(rows, context);
    if (!quorumMet(decision.required_approvals ?? [], approvers) || (ticket.requester_confirms && !status.requesterConfirmation.given)) {
      return { ticket, status };
    }
    const reason = `approved by ${approvers.map((a) => a.name).join(', ')}`;
    const approved = await transitionTicket(trx, ticket.id, 'approved', { actor: caller.name, from, reason });
    await options.onApproved?.(trx);
    await options.onSettled?.(trx, approved);
    return { ticket: approved, status };
  });
}

/** The decisions given on a ticket, each marked valid or void, and what its quorum still needs. */
export async function approvalStatus(
  db: Db,
  ticketId: string,
  current?: { manifest: string; policyVersion: string },
): Promise<ApprovalStatus> {
  const [ticket, decision, rows, manifest] = await Promise.all([
    db.selectFrom('tickets').select(['requester_confirms']).where('id', '=', ticketId).executeTakeFirst(),
    db.selectFrom('decisions').select(['policy_version', 'required_approvals']).where('ticket_id', '=', ticketId).executeTakeFirst(),
    loadApprovals(db, ticketId),
    current ? Promise.resolve(current.manifest) : ticketManifest(db, ticketId),
  ]);
  return summarizeApprovals(rows, { decision, manifest, requesterConfirms: ticket?.requester_confirms ?? false });
}

export type ApprovalWithGroups = ApprovalRow & { groups: string[] };

/** A ticket's decisions in order, each with the approver's current groups. */
export async function loadApprovals(db: Db, ticketId: string): Promise<ApprovalWithGroups[]> {
  const rows = await db
    .selectFrom('approvals as a')
    .leftJoin('users as u', 'u.name', 'a.user_name')
    .selectAll('a')
    .select('u.groups')
    .where('a.ticket_id', '=', ticketId)
    .orderBy('a.id')
    .execute();
  return rows.map((r) => ({ ...r, groups: r.groups ?? [] }));
}

/**
 * Pure: which decisions still count (given for this manifest and policy version), what each requirement
 * still misses, and whether the requester's confirmation is needed and in.
 */
export function summarizeApprovals(rows: readonly ApprovalWithGroups[], context: ApprovalContext): ApprovalStatus {
  const { decision } = context;
  const isValid = validFor(context);
  const approvers = countingApprovers(rows, context);
  return {
    approvals: rows.map((r) => view(r, isValid(r))),
    required: (decision?.required_approvals ?? []).map((r) => ({ ...r, missing: approvalsMissing(r, approvers) })),
    requesterConfirmation: {
      required: context.requesterConfirms,
      given: rows.some((r) => r.as_requester && r.decision === 'approve' && isValid(r)),
    },
  };
}

/** What decides whether a recorded decision still counts: the current manifest and the decision's policy version. */
export interface ApprovalContext {
  decision: { policy_version: string; required_approvals: RequiredApprovals[] | null } | undefined;
  manifest: string;
  requesterConfirms: boolean;
}

function validFor(context: ApprovalContext): (row: ApprovalRow) => boolean {
  const { decision, manifest } = context;
  return (r) => decision !== undefined && r.manifest_sha256 === manifest && r.policy_version === decision.policy_version;
}

/** The approvers (never the requester's confirmation) whose approvals still count, with their groups. */
export function countingApprovers(rows: readonly ApprovalWithGroups[], context: ApprovalContext): Approver[] {
  const isValid = validFor(context);
  return rows
    .filter((r) => isValid(r) && r.decision === 'approve' && !r.as_requester)
    .map((r) => ({ name: r.user_name, groups: r.groups }));
}

function view(row: ApprovalRow, valid: boolean): ApprovalView {
  return {
    user: row.user_name,
    decision: row.decision,
    comment: row.comment,
    at: row.decided_at.toISOString(),
    valid,
    asRequester: row.as_requester,
    channel: row.channel,
  };
}
