-- The tamper-evident audit trail. Written by src/audit/audit-log.ts in the transaction of the change it
-- records; verified by `airlock audit verify`. Never holds transferred content or a full sensitive value.

-- Each record holds the SHA-256 of the record before it (`prev_hash`), its own hash over every other field
-- (`hash`), and an HMAC of that hash with a key kept outside the database (`mac`). `seq` counts from 1 with
-- no gaps; appends are serialised, so seq order is chain order.
create table audit_log (
  seq bigint primary key check (seq > 0),
  at timestamptz not null,
  kind text not null,
  actor text not null,
  ticket_id uuid,
  details jsonb not null,
  prev_hash text not null check (prev_hash ~ '^[0-9a-f]{64}$'),
  hash text not null unique check (hash ~ '^[0-9a-f]{64}$'),
  mac text not null check (mac ~ '^[0-9a-f]{64}$')
);
create index audit_log_at_idx on audit_log (at);
create index audit_log_ticket_idx on audit_log (ticket_id) where ticket_id is not null;
-- The last recorded version of each pipeline and policy file (src/audit/config-versions.ts).
create index audit_log_config_idx on audit_log (kind, (details ->> 'name'), seq desc) where kind in ('pipeline.loaded', 'policy.loaded');

-- Append-only: nobody changes or removes a record (a superuser who disables this is what verify catches).
create function audit_log_refuse_change() returns trigger language plpgsql as $$
begin
  raise exception 'audit_log is append-only: % refused', tg_op using errcode = 'insufficient_privilege';
end;
$$;
create trigger audit_log_no_update_delete before update or delete on audit_log
  for each row execute function audit_log_refuse_change();
create trigger audit_log_no_truncate before truncate on audit_log
  for each statement execute function audit_log_refuse_change();

-- How far each SIEM sink has received the log: pushing resumes after `last_seq` after any restart.
create table audit_sinks (
  name text primary key,
  last_seq bigint not null default 0,
  last_error text,
  failures integer not null default 0,
  updated_at timestamptz not null default now()
);
