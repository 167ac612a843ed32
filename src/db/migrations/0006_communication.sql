-- Communication tasks: the mail outbox, single-use action links, review tasks with their clocks.
-- Written by src/notify/ (mails), src/approvals/action-links.ts (links) and src/approvals/review-task.ts (tasks).

-- Every mail Airlock sends, written in the same transaction as the change that caused it and sent
-- afterwards by the outbox worker, so an SMTP outage loses nothing and a retry never sends twice (the row
-- is claimed before sending and marked sent after). Bodies never hold transferred content.
create table mails (
  id uuid primary key,
  ticket_id uuid references tickets (id),
  kind text not null,
  to_address text not null,
  to_user text,
  subject text not null,
  text_body text not null,
  html_body text not null,
  -- Threading: every mail of a ticket shares `thread_id` (the first mail's Message-ID) in References.
  message_id text not null unique,
  thread_id text,
  -- queued: waiting to be sent; sending: claimed by a worker; sent; failed: gave up (reply kept);
  -- local: no SMTP configured, kept in the local outbox (`airlock outbox`).
  state text not null check (state in ('queued', 'sending', 'sent', 'failed', 'local')),
  attempts integer not null default 0,
  last_error text,
  next_attempt_at timestamptz not null default now(),
  claimed_at timestamptz,
  created_at timestamptz not null default now(),
  sent_at timestamptz
);
create index mails_due_idx on mails (state, next_attempt_at);
create index mails_ticket_idx on mails (ticket_id);

-- One link per person per purpose per ticket: opened by a GET that changes nothing, used by a POST from the
-- page it shows. Only the token's sha256 is stored. Bound to the manifest and policy version it was made for.
create table action_links (
  id uuid primary key,
  ticket_id uuid not null references tickets (id),
  user_name text not null,
  email text not null,
  -- confirm: the requester confirms the transfer; approve: an approver decides; escalate: talk to a human.
  purpose text not null check (purpose in ('confirm', 'approve', 'escalate')),
  token_hash text not null unique check (token_hash ~ '^[0-9a-f]{64}$'),
  manifest_sha256 text,
  policy_version text,
  expires_at timestamptz not null,
  opened_at timestamptz,
  used_at timestamptz,
  created_at timestamptz not null default now()
);
create index action_links_ticket_idx on action_links (ticket_id);

-- The question put to people about one ticket, with its clocks.
create table review_tasks (
  ticket_id uuid primary key references tickets (id),
  state text not null check (state in ('open', 'done', 'expired')),
  created_at timestamptz not null default now(),
  due_at timestamptz not null,
  reminders_sent integer not null default 0,
  next_reminder_at timestamptz,
  escalated_at timestamptz,
  -- Set when no request reached any approver (every mail failed): shown on the ticket and to operators.
  unreached_at timestamptz,
  -- The kind of destination, for the blind summary of later requests (backup group).
  destination text,
  -- When an expired ticket's staged data was deleted; a failed purge is retried by the next sweep.
  purged_at timestamptz
);

-- How each decision arrived: the API, an e-mailed link, or the web console.
alter table approvals add column channel text not null default 'api' check (channel in ('api', 'email', 'web'));
-- The requester's confirmation is recorded beside approvals but never counts as one.
alter table approvals add column as_requester boolean not null default false;

-- Resolution SLA (the ticket is finished by then: the pipeline's `sla.resolutionHours`), and when a breach of
-- it or of the response SLA (someone picks up an escalation) was reported.
alter table tickets add column resolution_due_at timestamptz;
alter table tickets add column sla_breached_at timestamptz;

-- Copied from the pipeline: the requester must confirm the transfer besides the approvers' quorum.
alter table tickets add column requester_confirms boolean not null default false;

-- Copied from the pipeline's `review:` settings when the ticket is created: how long a review may stay
-- open, how often to remind, when to widen to the backup group.
alter table tickets add column review_settings jsonb;
