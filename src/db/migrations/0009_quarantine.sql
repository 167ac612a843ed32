-- Quarantine: blocked items whose pipeline has `quarantine:` keep their (encrypted) staged copy until `until`,
-- and two different operators together may release one to the pipeline's `quarantine.releaseTo`.
-- Written by src/quarantine/: rows in the transaction of the ticket's final transition, every later change
-- under the row's lock, each with its audit record.

create table quarantined_items (
  id uuid primary key,
  ticket_id uuid not null references tickets (id),
  -- One quarantine per item: the unique key makes writing it again (a retried final step) a no-op.
  item_id uuid not null unique references items (id),
  -- Fixed when the item is blocked (now + the pipeline's days then): a later edit of the YAML does not move it.
  until timestamptz not null,
  -- held → release_requested → released; held | release_requested → purged (expiry); release_requested → held (withdrawn).
  state text not null default 'held' check (state in ('held', 'release_requested', 'released', 'purged')),
  -- The first person: who asked for the release, when and why.
  requested_by text,
  requested_at timestamptz,
  reason text,
  -- The second person, who approved it and whose call wrote the item to `destination_path` (verified).
  released_by text,
  released_at timestamptz,
  release_reason text,
  destination_path text,
  purged_at timestamptz,
  created_at timestamptz not null default now(),
  -- Two people, always: the database refuses a release approved by the person who asked for it.
  check (released_by is null or requested_by is null or released_by <> requested_by),
  check (state <> 'release_requested' or (requested_by is not null and requested_at is not null)),
  check (state <> 'released' or (requested_by is not null and released_by is not null and released_at is not null and destination_path is not null)),
  check (state <> 'purged' or purged_at is not null)
);
create index quarantined_items_ticket_idx on quarantined_items (ticket_id);
-- What the expiry pass, the list and the staging sweep look for.
create index quarantined_items_open_idx on quarantined_items (until) where state in ('held', 'release_requested');
