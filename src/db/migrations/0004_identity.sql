-- Who may use Airlock, and how they prove it: users with roles, and the API tokens they authenticate with.
-- Written by src/auth/user-store.ts and src/auth/token-store.ts; src/auth/roles.ts lists the roles.

-- A person or a system (a CI job, a scheduler). Never deleted, only disabled, so that tickets, events and
-- approvals that name a user keep meaning something.
create table users (
  id uuid primary key,
  -- The stable handle used on tickets and in the CLI: lower case so that "Alice" and "alice" cannot be two
  -- people.
  name text not null unique check (name ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
  email text not null,
  -- At least one role, each one of those the code knows; the store checks the same before writing.
  roles text[] not null
    check (roles <@ array['requester', 'approver', 'operator', 'auditor', 'admin']::text[] and cardinality(roles) > 0),
  created_at timestamptz not null default now(),
  -- Set once; a disabled user's tokens stop working at once, without being revoked one by one.
  disabled_at timestamptz
);

-- The secret itself is never stored: only its sha256 (hex), found by equality through the unique index, so
-- no secret is ever compared character by character and a copy of this table authenticates no one.
create table api_tokens (
  id uuid primary key,
  user_id uuid not null references users (id),
  -- An optional label ("ci", "laptop") to tell a user's tokens apart.
  name text,
  token_hash text not null unique check (token_hash ~ '^[0-9a-f]{64}$'),
  -- The first characters of the token (alk_ and 8 more), enough to recognise it in a list or a log; not
  -- unique, and far too short to guess the rest from.
  prefix text not null,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  revoked_at timestamptz,
  -- Written at most about once a minute per token, so authentication does not turn every request into a write.
  last_used_at timestamptz,
  check (expires_at > created_at)
);
create index api_tokens_user_idx on api_tokens (user_id);
create index api_tokens_prefix_idx on api_tokens (prefix);
