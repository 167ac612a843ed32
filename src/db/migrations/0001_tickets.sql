-- Tickets, their items, findings, decisions and the append-only event log.
-- A ticket is one transfer request; every state change is a guarded UPDATE on tickets plus one row in
-- ticket_events, written in the same transaction by src/tickets/ticket-store.ts.

-- Readable ticket numbers (T-000123) come from here; the uuid stays the primary key.
create sequence ticket_number_seq;

create table tickets (
  id uuid primary key,
  number bigint not null unique default nextval('ticket_number_seq'),
  pipeline text not null,
  requester text not null,
  purpose text not null,
  state text not null,
  severity text not null default 'normal'
    check (severity in ('low', 'normal', 'high', 'critical')),
  -- Copied from the pipeline when the ticket is created, so a later edit of the YAML cannot change how
  -- an in-flight ticket is decided.
  delivery_mode text not null check (delivery_mode in ('all-or-nothing', 'per-item')),
  policy text not null,
  failure_reason text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  finished_at timestamptz
);
create index tickets_state_idx on tickets (state);
create index tickets_created_at_idx on tickets (created_at);

-- One row per state transition. Never updated or deleted: the trigger below refuses it.
create table ticket_events (
  id bigserial primary key,
  ticket_id uuid not null references tickets (id),
  -- Position within the ticket's history; the unique key makes a double-written transition impossible.
  seq integer not null,
  actor text not null,
  from_state text,
  to_state text not null,
  reason text,
  at timestamptz not null default now(),
  unique (ticket_id, seq)
);

create function refuse_event_change() returns trigger language plpgsql as $$
begin
  raise exception 'ticket_events is append-only (% refused)', tg_op;
end;
$$;
create trigger ticket_events_append_only
  before update or delete on ticket_events
  for each row execute function refuse_event_change();

-- One row per file of a ticket. Content never lives here: only its path, size, hash and detected type.
create table items (
  id uuid primary key,
  ticket_id uuid not null references tickets (id),
  seq integer not null,
  source_path text not null,
  size bigint,
  sha256 text,
  mime text,
  detected_ext text,
  state text not null,
  verdict text check (verdict in ('allow', 'review', 'block')),
  rule text,
  reasons jsonb not null default '[]',
  destination_path text,
  error text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (ticket_id, seq),
  unique (ticket_id, source_path)
);
create index items_ticket_idx on items (ticket_id);

-- What a check saw. `excerpt` is always masked by the check that produced it.
create table findings (
  id bigserial primary key,
  ticket_id uuid not null references tickets (id),
  item_id uuid not null references items (id) on delete cascade,
  "check" text not null,
  detector text not null,
  severity text not null check (severity in ('low', 'medium', 'high', 'critical')),
  confidence real not null check (confidence >= 0 and confidence <= 1),
  location jsonb not null default '{}',
  excerpt text
);
create index findings_item_idx on findings (item_id);
create index findings_ticket_idx on findings (ticket_id);

-- Which checks ran on an item, how they ended and how long they took: the proof that an allowed item
-- was fully inspected.
create table check_runs (
  item_id uuid not null references items (id) on delete cascade,
  "check" text not null,
  version text not null,
  status text not null check (status in ('ok', 'error', 'timeout')),
  duration_ms integer not null,
  error text,
  primary key (item_id, "check")
);

-- The ticket-level outcome of the policy; per-item verdicts live on items.
create table decisions (
  ticket_id uuid primary key references tickets (id),
  verdict text not null check (verdict in ('allow', 'review', 'block')),
  rule text not null,
  reasons jsonb not null,
  policy text not null,
  policy_version text not null,
  decided_at timestamptz not null default now()
);
