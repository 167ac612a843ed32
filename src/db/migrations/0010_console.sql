-- The web console: browser sessions, and retries of failed tickets.
--
-- A session is found by the sha256 of its cookie value (the value itself is never stored, like API tokens),
-- carries its own CSRF token (forms echo it back), and ends at `expires_at` (absolute) or after
-- `idle_until` passes without a request. A session signed in with an API token re-reads its user on every
-- request (roles changed or user disabled take effect at once); an OIDC session keeps the roles the identity
-- provider granted at sign-in.
create table web_sessions (
  id uuid primary key,
  id_hash text not null unique,
  user_name text not null,
  via text not null check (via in ('token', 'oidc')),
  -- OIDC sessions only: the roles granted at sign-in (API-token sessions read the users table).
  roles jsonb,
  csrf text not null,
  created_at timestamptz not null default now(),
  idle_until timestamptz not null,
  expires_at timestamptz not null,
  ended_at timestamptz
);
create index web_sessions_user_idx on web_sessions (user_name);

-- A failed ticket retried from the console: the new ticket names the one it repeats.
alter table tickets add column retry_of uuid references tickets (id);

-- The console's overview aggregates over a window of days; these keep it off full scans as history grows.
create index tickets_finished_at_idx on tickets (finished_at) where finished_at is not null;
create index tickets_sla_breached_at_idx on tickets (sla_breached_at) where sla_breached_at is not null;
create index ticket_events_at_idx on ticket_events (at);
create index items_delivered_at_idx on items (updated_at) where state = 'delivered';
-- A failed ticket is retried once (a retry that fails is retried in its turn): two operators pressing Retry
-- at once make one ticket, whatever the application checks.
create unique index tickets_retry_of_key on tickets (retry_of) where retry_of is not null;
