-- Scheduled runs: which tickets a pipeline's schedule started, and which occurrences it skipped.
-- Written by src/jobs/scheduled-run.ts; read by `airlock schedules`.

-- How a ticket started: a person or system asked for it, or a pipeline's schedule came due.
alter table tickets add column trigger text not null default 'request' check (trigger in ('request', 'schedule'));
create index tickets_scheduled_active_idx on tickets (pipeline) where trigger = 'schedule';

-- One row per occurrence a schedule handled. The unique key makes a job delivered twice (two workers, a
-- retry after a crash between commit and acknowledgement) start at most one ticket for an occurrence.
create table schedule_runs (
  id uuid primary key,
  pipeline text not null,
  -- The cron occurrence this run is for, in UTC.
  due_at timestamptz not null,
  -- started: a ticket was created; skipped: the previous run was still going; failed: no ticket could be
  -- created (the pipeline file no longer loads), `reason` says why.
  outcome text not null check (outcome in ('started', 'skipped', 'failed')),
  ticket_id uuid references tickets (id),
  -- The occurrence came due while no process was running and was caught up (catchUp: once).
  caught_up boolean not null default false,
  reason text,
  created_at timestamptz not null default now(),
  unique (pipeline, due_at),
  check ((outcome = 'started') = (ticket_id is not null))
);
create index schedule_runs_latest_idx on schedule_runs (pipeline, due_at desc);
