-- The tamper-evident audit trail. Written by src/audit/audit-log.ts in the transaction of the change it
-- records; verified by `airlock audit verify`. Never holds transferred content or a full sensitive value.


-- Records are written unsealed, in the transaction of the change they record (no lock: appends never
-- wait on each other), then sealed in `id` order by src/audit/audit-log.ts `sealAudit`, one process at a
-- time: each sealed record gets `seq` (1, 2, 3, … with no gaps), the SHA-256 of the record before it
-- (`prev_hash`), its own hash over every other field (`hash`) and an HMAC of that hash with a key kept outside
-- the database (`mac`). Running processes seal every second.
create table audit_log (
  id bigserial primary key,
  seq bigint unique check (seq > 0),
  at timestamptz not null,
  kind text not null,
  actor text not null,
  ticket_id uuid,
  details jsonb not null,
  prev_hash text check (prev_hash ~ '^[0-9a-f]{64}$'),
  hash text unique check (hash ~ '^[0-9a-f]{64}$'),
  mac text check (mac ~ '^[0-9a-f]{64}$'),
  check ((seq is null) = (hash is null) and (hash is null) = (prev_hash is null) and (hash is null) = (mac is null))
);
create index audit_log_pending_idx on audit_log (id) where seq is null;
create index audit_log_at_idx on audit_log (at);
create index audit_log_ticket_idx on audit_log (ticket_id) where ticket_id is not null;
-- The last recorded version of each pipeline and policy file (src/audit/config-versions.ts).
create index audit_log_config_idx on audit_log (kind, (details ->> 'name'), id desc) where kind in ('pipeline.loaded', 'policy.loaded');

-- Append-only: nobody changes or removes a record. The one change allowed is sealing: an unsealed record
-- gets its seq, hashes and MAC, and nothing else of it changes. (A superuser who disables this trigger is
-- what `airlock audit verify` catches.)
create function audit_log_refuse_change() returns trigger language plpgsql as $$
begin
  if tg_op = 'UPDATE' and old.seq is null and new.seq is not null
     and new.id = old.id and new.at = old.at and new.kind = old.kind and new.actor = old.actor
     and new.ticket_id is not distinct from old.ticket_id and new.details = old.details then
    return new;
  end if;
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
