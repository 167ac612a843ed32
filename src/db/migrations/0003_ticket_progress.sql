-- The latest progress of a ticket's transfer (phase, files and bytes done and total), so every process
-- and (later) the API can show it. Counts only; written at most about once a second per ticket.
alter table tickets add column progress jsonb;
