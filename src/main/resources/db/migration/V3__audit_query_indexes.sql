-- Measured at 10 million rows (bench/audit-queries.sh): a path glob with a literal prefix needs a prefix
-- index (text_pattern_ops works whatever the database collation), and time ranges are turned into seq
-- ranges through the occurred_at index, which only chained rows should answer.
create index audit_event_path_prefix on audit_event (path text_pattern_ops) where seq is not null;
create index audit_event_chained_time on audit_event (occurred_at) where seq is not null;
