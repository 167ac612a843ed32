/**
 * Table types, in one place.
 *
 * Glossary
 * - ticket: one request to move data through a pipeline; restricted to its participants.
 * - item: one file of a ticket (source path, size, sha256, detected type, its own state and verdict).
 * - finding: something a check saw in an item (detector, severity, confidence, location, masked excerpt).
 * - check run: the record that a check ran on an item, how it ended and how long it took.
 * - verdict: allow | review | block, decided per item by the policy and rolled up to the ticket.
 * - policy: ordered rules mapping findings to a verdict; named, and versioned by the hash of its file.
 * - decision: the ticket-level verdict with the rule that matched and the reasons.
 * - approval: (later) a person's answer to a review; bound to the ticket's content and policy version.
 * - connector: a plugin that lists, reads and writes files on one kind of system (local, S3, SFTP).
 * - event: one state transition of a ticket, append-only.
 * - user: a person or system that uses Airlock, named by a lower-case handle; disabled, never deleted.
 * - role: what a user may do (requester, approver, operator, auditor, admin); see src/auth/roles.ts.
 * - API token: a random secret a user authenticates with; shown once, stored as its sha256, expires, revocable.
 */
import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';
import type { Role } from '../auth/roles.js';
import type { RequiredApprovals } from '../policy/evaluate-policy.js';
import type { ItemState, TicketState, Severity, Verdict } from '../tickets/states.js';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string, string>;

export interface TicketsTable {
  id: string;
  number: ColumnType<number, never, never>;
  pipeline: string;
  requester: string;
  purpose: string;
  state: TicketState;
  severity: ColumnType<Severity, Severity | undefined, Severity>;
  delivery_mode: 'all-or-nothing' | 'per-item';
  policy: string;
  failure_reason: string | null;
  created_at: Generated<Date>;
  updated_at: Timestamp;
  finished_at: Date | null;
  /** Latest transfer progress: phase, files and bytes done and total. */
  progress: ColumnType<Record<string, unknown> | null, string | undefined, string>;
  /** Copied from the pipeline: item names are shown as their hash. */
  redact_names: ColumnType<boolean, boolean | undefined, boolean>;
  /** Narrows the pipeline's selector for this ticket: source paths must also match one of these globs. */
  selection: ColumnType<{ include: string[] } | null, string | null | undefined, string | null>;
  escalated_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  sla_due_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  sla_breached_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  resolution_due_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  requester_confirms: ColumnType<boolean, boolean | undefined, boolean>;
  review_settings: ColumnType<ReviewSettings | null, string | null | undefined, string | null>;
  /** `request`: someone asked for it; `schedule`: the pipeline's schedule came due. */
  trigger: ColumnType<TicketTrigger, TicketTrigger | undefined, never>;
  /** The failed ticket this one retries (set when an operator presses "Retry"). */
  retry_of: ColumnType<string | null, string | null | undefined, never>;
}

export type TicketTrigger = 'request' | 'schedule';

/** A pipeline's `review:` block, as copied onto its tickets. */
export interface ReviewSettings {
  expiresAfterHours: number;
  remindEveryHours: number;
  escalateAfterReminders: number;
  backupGroup?: string | undefined;
}

export interface TicketEventsTable {
  id: Generated<number>;
  ticket_id: string;
  seq: number;
  actor: string;
  from_state: TicketState | null;
  to_state: TicketState;
  reason: string | null;
  at: Generated<Date>;
}

export interface ItemsTable {
  id: string;
  ticket_id: string;
  seq: number;
  source_path: string;
  size: number | null;
  sha256: string | null;
  mime: string | null;
  detected_ext: string | null;
  state: ItemState;
  verdict: Verdict | null;
  rule: string | null;
  reasons: ColumnType<string[], string | undefined, string>;
  destination_path: string | null;
  error: string | null;
  created_at: Generated<Date>;
  updated_at: Timestamp;
  /** What the item's `review` verdict requires of approvers; null for other verdicts. */
  required_approvals: ColumnType<RequiredApprovals | null, string | null | undefined, string | null>;
}

export interface FindingsTable {
  id: Generated<number>;
  ticket_id: string;
  item_id: string;
  check: string;
  detector: string;
  severity: 'low' | 'medium' | 'high' | 'critical';
  confidence: number;
  location: Json<Record<string, unknown>>;
  excerpt: string | null;
  value_key: string | null;
  trace: Json<Record<string, unknown>> | null;
}

export interface CheckRunsTable {
  item_id: string;
  check: string;
  version: string;
  status: 'ok' | 'error' | 'timeout';
  duration_ms: number;
  error: string | null;
}

export interface DecisionsTable {
  ticket_id: string;
  verdict: Verdict;
  rule: string;
  reasons: Json<string[]>;
  policy: string;
  policy_version: string;
  decided_at: Generated<Date>;
  /** Every requirement the ticket's approvals must meet together; null unless it awaits approval. */
  required_approvals: ColumnType<RequiredApprovals[] | null, string | null | undefined, string | null>;
}

export interface UsersTable {
  id: string;
  name: string;
  email: string;
  roles: Role[];
  /** Approver groups (for policies that require approvers from named groups). */
  groups: ColumnType<string[], string[] | undefined, string[]>;
  created_at: Generated<Date>;
  disabled_at: Date | null;
}

export interface TicketParticipantsTable {
  ticket_id: string;
  user_name: string;
  role: 'approver' | 'operator';
  added_at: Generated<Date>;
}

export interface ApprovalsTable {
  id: Generated<number>;
  ticket_id: string;
  user_name: string;
  decision: 'approve' | 'reject';
  comment: string | null;
  manifest_sha256: string;
  policy_version: string;
  decided_at: Generated<Date>;
  channel: ColumnType<'api' | 'email' | 'web', 'api' | 'email' | 'web' | undefined, 'api' | 'email' | 'web'>;
  /** The requester's confirmation: recorded with the decisions, never counted as an approval. */
  as_requester: ColumnType<boolean, boolean | undefined, boolean>;
}

export type MailState = 'queued' | 'sending' | 'sent' | 'failed' | 'local';

export interface MailsTable {
  id: string;
  ticket_id: string | null;
  kind: string;
  to_address: string;
  to_user: string | null;
  subject: string;
  text_body: string;
  html_body: string;
  message_id: string;
  thread_id: string | null;
  state: MailState;
  attempts: ColumnType<number, number | undefined, number>;
  last_error: string | null;
  next_attempt_at: ColumnType<Date, Date | undefined, Date>;
  claimed_at: Date | null;
  created_at: Generated<Date>;
  sent_at: Date | null;
}

export type ActionPurpose = 'confirm' | 'approve' | 'escalate';

export interface ActionLinksTable {
  id: string;
  ticket_id: string;
  user_name: string;
  email: string;
  purpose: ActionPurpose;
  token_hash: string;
  manifest_sha256: string | null;
  policy_version: string | null;
  expires_at: Date;
  opened_at: Date | null;
  used_at: Date | null;
  created_at: Generated<Date>;
}

export interface ReviewTasksTable {
  ticket_id: string;
  state: 'open' | 'done' | 'expired';
  created_at: Generated<Date>;
  due_at: Date;
  reminders_sent: ColumnType<number, number | undefined, number>;
  next_reminder_at: Date | null;
  escalated_at: Date | null;
  unreached_at: Date | null;
  destination: string | null;
  purged_at: Date | null;
}

export interface ApiTokensTable {
  id: string;
  user_id: string;
  /** Optional label chosen by whoever created the token. */
  name: string | null;
  /** sha256 of the token, hex. The token itself is never stored. */
  token_hash: string;
  /** The token's first 12 characters, for display. */
  prefix: string;
  created_at: Timestamp;
  expires_at: Date;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

export interface Database {
  tickets: TicketsTable;
  ticket_events: TicketEventsTable;
  items: ItemsTable;
  findings: FindingsTable;
  check_runs: CheckRunsTable;
  decisions: DecisionsTable;
  users: UsersTable;
  api_tokens: ApiTokensTable;
  ticket_participants: TicketParticipantsTable;
  approvals: ApprovalsTable;
  mails: MailsTable;
  action_links: ActionLinksTable;
  review_tasks: ReviewTasksTable;
  schedule_runs: ScheduleRunsTable;
  audit_log: AuditLogTable;
  audit_sinks: AuditSinksTable;
  quarantined_items: QuarantinedItemsTable;
  web_sessions: WebSessionsTable;
}

/** A web console sign-in (see 0010_console.sql); the cookie holds a value whose sha256 is `id_hash`. */
export interface WebSessionsTable {
  id: string;
  id_hash: string;
  user_name: string;
  via: 'token' | 'oidc';
  roles: ColumnType<Role[] | null, string | null, never>;
  csrf: string;
  created_at: Generated<Date>;
  idle_until: Date;
  expires_at: Date;
  ended_at: Date | null;
}
export type WebSessionRow = Selectable<WebSessionsTable>;

/** One record of the hash-chained audit trail (append-only; see 0008_audit.sql). */
export interface AuditLogTable {
  /** Write order; the chain order is `seq`, given when the record is sealed. */
  id: Generated<number>;
  /** Null until sealed; the only update the table allows is the one that seals a record. */
  seq: ColumnType<number | null, never, number>;
  at: ColumnType<Date, Date, never>;
  kind: ColumnType<string, string, never>;
  actor: ColumnType<string, string, never>;
  ticket_id: ColumnType<string | null, string | null, never>;
  details: ColumnType<Record<string, unknown>, string, never>;
  prev_hash: ColumnType<string | null, never, string>;
  hash: ColumnType<string | null, never, string>;
  mac: ColumnType<string | null, never, string>;
}

/** How far a SIEM sink has received the audit log. */
export interface AuditSinksTable {
  name: string;
  last_seq: ColumnType<number, number | undefined, number>;
  last_error: string | null;
  failures: ColumnType<number, number | undefined, number>;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

/** One occurrence a pipeline's schedule handled: the ticket it started, or why it was skipped. */
export interface ScheduleRunsTable {
  id: string;
  pipeline: string;
  due_at: Date;
  outcome: 'started' | 'skipped' | 'failed';
  ticket_id: string | null;
  caught_up: boolean;
  reason: string | null;
  created_at: Generated<Date>;
}

export type TicketRow = Selectable<TicketsTable>;
export type TicketEventRow = Selectable<TicketEventsTable>;
export type ItemRow = Selectable<ItemsTable>;
export type NewItem = Insertable<ItemsTable>;
export type FindingRow = Selectable<FindingsTable>;
export type CheckRunRow = Selectable<CheckRunsTable>;
export type DecisionRow = Selectable<DecisionsTable>;
export type UserRow = Selectable<UsersTable>;
export type ApiTokenRow = Selectable<ApiTokensTable>;
export type ApprovalRow = Selectable<ApprovalsTable>;
export type MailRow = Selectable<MailsTable>;
export type ActionLinkRow = Selectable<ActionLinksTable>;
export type ReviewTaskRow = Selectable<ReviewTasksTable>;

export type QuarantineState = 'held' | 'release_requested' | 'released' | 'purged';

/** A blocked item kept in staging until `until`, and its two-person release (see 0009_quarantine.sql). */
export interface QuarantinedItemsTable {
  id: string;
  ticket_id: string;
  item_id: string;
  until: Date;
  state: ColumnType<QuarantineState, QuarantineState | undefined, QuarantineState>;
  requested_by: string | null;
  requested_at: Date | null;
  reason: string | null;
  released_by: string | null;
  released_at: Date | null;
  release_reason: string | null;
  destination_path: string | null;
  purged_at: Date | null;
  created_at: Generated<Date>;
}

export type QuarantinedItemRow = Selectable<QuarantinedItemsTable>;
