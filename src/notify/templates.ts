import { blindReviewBlocks, type BlindReview } from './blind-review.js';
import { renderMail, type MailBlock, type MailContent } from './mail-layout.js';

/**
 * The mails Airlock sends, as functions of already-safe summary data: identifiers, the requester's own
 * words, counts and masked excerpts. None of them is ever given file content. Each returns the subject and
 * both bodies for `enqueueMail`; `renderMail` escapes all text.
 */

export type { BlindReview } from './blind-review.js';
export type { MailContent } from './mail-layout.js';

/** What every mail says about its ticket. */
export interface TicketFacts {
  /** `T-000123`. */
  ref: string;
  pipeline: string;
  /** The requester's words: shown as text, never as markup. */
  purpose: string;
  requester: string;
  state: string;
}

/** Who a review request or reminder is for: an approver decides, the requester confirms their own transfer. */
export type Reviewer = 'approver' | 'requester';

export interface DecisionLinks {
  /** Approve (for the requester: Confirm). Opening it shows a confirmation page; it decides nothing by itself. */
  approveUrl: string;
  /** Reject (for the requester: Stop). */
  rejectUrl: string;
}

/** To the requester on submit: what was asked, what happens next, and a way to a person. */
export function acknowledgement(input: { ticket: TicketFacts; talkToHumanUrl: string }): MailContent {
  const { ticket } = input;
  return renderMail(`[Airlock ${ticket.ref}] Request received: ${ticket.pipeline}`, [
    { kind: 'paragraph', text: `Airlock received your transfer request ${ticket.ref}.` },
    ticketFacts(ticket),
    {
      kind: 'paragraph',
      text:
        'What happens next: Airlock copies the files into encrypted staging, inspects them and applies the policy. ' +
        'Files the policy allows are delivered without anyone opening them. If something needs a decision, you and ' +
        'the approvers get a review request by e-mail, and nothing is delivered until it is decided. You will be told the outcome.',
    },
    { kind: 'paragraph', text: 'Questions, or something urgent? One click puts an operator in charge of this ticket:' },
    { kind: 'actions', links: [{ label: 'Talk to a human', url: input.talkToHumanUrl }] },
  ]);
}

/** To an approver, or to the requester as confirmer: the blind review and the decision links. */
export function reviewRequest(input: {
  ticket: TicketFacts;
  to: Reviewer;
  review: BlindReview;
  links: DecisionLinks;
  deadline: Date;
}): MailContent {
  const { ticket, to } = input;
  const subject =
    to === 'requester'
      ? `[Airlock ${ticket.ref}] Please confirm your transfer: ${ticket.pipeline}`
      : `[Airlock ${ticket.ref}] Review needed: ${ticket.pipeline}`;
  const ask =
    to === 'requester'
      ? 'The checks found something in the files of your transfer. Please confirm that it is meant to go, or stop it.'
      : `${ticket.requester} asked to transfer files that need a decision. You see a summary, never the data.`;
  return renderMail(subject, [
    { kind: 'paragraph', text: ask },
    ticketFacts(ticket),
    ...blindReviewBlocks(input.review),
    ...decisionBlocks(to, input.links, input.deadline),
  ]);
}

/** A later nudge about an open review request. */
export function reminder(input: {
  ticket: TicketFacts;
  to: Reviewer;
  links: DecisionLinks;
  deadline: Date;
  reminder: number;
}): MailContent {
  const { ticket } = input;
  return renderMail(
    `[Airlock ${ticket.ref}] Reminder ${input.reminder}: ${input.to === 'requester' ? 'please confirm' : 'review needed'}`,
    [
      {
        kind: 'paragraph',
        text: `Transfer ${ticket.ref} still waits for your answer. The review summary is in the first mail about this ticket.`,
      },
      ticketFacts(ticket),
      ...decisionBlocks(input.to, input.links, input.deadline),
    ],
  );
}

/** To operators: a ticket needs a person, by its requester's request or because nobody answered. */
export function escalationNotice(input: {
  ticket: TicketFacts;
  severity: string;
  /** Why: `the requester asked to talk to a human`, `no approver answered after 3 reminders`… */
  reason: string;
  slaDueAt: Date;
  /** The operator now in charge, when one was assigned. */
  assignee?: string;
}): MailContent {
  const { ticket } = input;
  return renderMail(`[Airlock ${ticket.ref}] Escalated (${input.severity}): ${ticket.pipeline}`, [
    { kind: 'paragraph', text: `Ticket ${ticket.ref} was escalated: ${input.reason}.` },
    ticketFacts(ticket, [
      ['Severity', input.severity],
      ['Respond by', formatWhen(input.slaDueAt)],
      ...(input.assignee === undefined ? [] : ([['Assigned to', input.assignee]] as const)),
    ]),
    { kind: 'paragraph', text: 'Automation keeps running in parallel; see the ticket with `airlock ticket ' + ticket.ref + '`.' },
  ]);
}

/** To everyone involved: nobody decided in time, so nothing was delivered. */
export function expired(input: { ticket: TicketFacts; deadline: Date }): MailContent {
  const { ticket } = input;
  return renderMail(`[Airlock ${ticket.ref}] Expired, nothing delivered: ${ticket.pipeline}`, [
    {
      kind: 'paragraph',
      text:
        `The review of ${ticket.ref} was not completed by ${formatWhen(input.deadline)}. ` +
        'Airlock never proceeds without the decision: nothing was delivered and the staged files were deleted.',
    },
    ticketFacts(ticket),
    { kind: 'paragraph', text: 'If the transfer is still needed, submit it again.' },
  ]);
}

/** To everyone involved: the outcome of the review. */
export function decided(input: {
  ticket: TicketFacts;
  outcome: 'approved' | 'rejected';
  by: readonly string[];
  comment?: string;
}): MailContent {
  const { ticket } = input;
  const outcome =
    input.outcome === 'approved'
      ? `The transfer ${ticket.ref} was approved; delivery continues by itself.`
      : `The transfer ${ticket.ref} was rejected; nothing was delivered and the staged files are deleted.`;
  return renderMail(`[Airlock ${ticket.ref}] ${input.outcome === 'approved' ? 'Approved' : 'Rejected'}: ${ticket.pipeline}`, [
    { kind: 'paragraph', text: outcome },
    ticketFacts(ticket, [['Decided by', input.by.join(', ')], ...(input.comment ? ([['Comment', input.comment]] as const) : [])]),
  ]);
}

function ticketFacts(ticket: TicketFacts, extra: readonly (readonly [string, string])[] = []): MailBlock {
  return {
    kind: 'facts',
    rows: [
      ['Ticket', ticket.ref],
      ['Pipeline', ticket.pipeline],
      ['Purpose', ticket.purpose],
      ['Requester', ticket.requester],
      ['State', ticket.state],
      ...extra,
    ],
  };
}

function decisionBlocks(to: Reviewer, links: DecisionLinks, deadline: Date): MailBlock[] {
  const [yes, no] = to === 'requester' ? ['Confirm', 'Stop'] : ['Approve', 'Reject'];
  return [
    {
      kind: 'paragraph',
      text:
        `Please answer by ${formatWhen(deadline)}. Without an answer by then the transfer expires and nothing is delivered. ` +
        'Each link opens a page where you confirm your answer; opening it alone changes nothing. The links are yours only.',
    },
    {
      kind: 'actions',
      links: [
        { label: yes, url: links.approveUrl },
        { label: no, url: links.rejectUrl },
      ],
    },
  ];
}

/** `2026-05-04 14:30 UTC`: explicit about its zone, since readers are anywhere. */
export function formatWhen(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
