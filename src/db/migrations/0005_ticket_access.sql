-- Who may see and act on a ticket (need to know), the approvals given on it, and its escalation.
-- Written by src/tickets/participants.ts, src/approvals/approval-store.ts and src/tickets/escalation.ts.

-- Groups a user belongs to, for policies whose `review` rules require approvers from named groups.
alter table users add column groups text[] not null default '{}';

-- Copied from the pipeline when the ticket is created: whether item names are shown or replaced by a hash.
alter table tickets add column redact_names boolean not null default false;
-- Narrows what the pipeline selects for this ticket only (`include` globs, matched against source paths).
alter table tickets add column selection jsonb;
-- Set when the requester asks for a human: severity is raised, an operator is assigned, the SLA clock runs.
alter table tickets add column escalated_at timestamptz;
alter table tickets add column sla_due_at timestamptz;

-- What each item's policy verdict requires of approvers (count, groups), and the ticket-level requirement
-- rolled up from them; null where the verdict needs no approval.
alter table items add column required_approvals jsonb;
alter table decisions add column required_approvals jsonb;

-- The people a ticket is shown to besides its requester and auditors: the approvers its pipeline names
-- (copied at creation, so a later edit of the YAML does not widen or narrow an existing ticket's audience)
-- and the operator handling its escalation.
create table ticket_participants (
  ticket_id uuid not null references tickets (id),
  user_name text not null,
  role text not null check (role in ('approver', 'operator')),
  added_at timestamptz not null default now(),
  primary key (ticket_id, user_name, role)
);
create index ticket_participants_user_idx on ticket_participants (user_name);

-- One decision per person per ticket. An approval counts only while the ticket's content manifest (the
-- items' paths and sha256) and the policy version it was asked under are the ones it was given for.
create table approvals (
  id bigserial primary key,
  ticket_id uuid not null references tickets (id),
  user_name text not null,
  decision text not null check (decision in ('approve', 'reject')),
  comment text,
  manifest_sha256 text not null check (manifest_sha256 ~ '^[0-9a-f]{64}$'),
  policy_version text not null,
  decided_at timestamptz not null default now(),
  unique (ticket_id, user_name)
);
create index approvals_ticket_idx on approvals (ticket_id);
