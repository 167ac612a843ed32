-- Findings say which distinct value they are (so a policy can count distinct card numbers without any
-- value being stored) and why the detector fired (pattern, validator, context words): the decision trace
-- operators and auditors read. Neither ever holds the value itself.
alter table findings add column value_key text;
alter table findings add column trace jsonb;
