-- What V4 enforces for every appended event is unchanged: each new row follows the head exactly (no gap, no repeat,
-- no row slipped in below the head; an empty table continues after the newest checkpoint). What changes is how
-- often it is checked. A row-level trigger ran a PL/pgSQL function and a max(seq) lookup for every row, which a
-- group commit of many events paid once per event. Checked once per statement over the rows it added, the same
-- rules cost one lookup per batch: the added rows must be contiguous (the unique seq index rules out repeats),
-- start right after the previous head, and be the newest rows of the table.
drop trigger audit_event_seq_follows_head on audit_event;
drop function audit_event_follows_head();

create function audit_event_batch_follows_head() returns trigger language plpgsql as $$
declare
    low bigint;
    high bigint;
    added_rows bigint;
    head bigint;
    newest bigint;
begin
    select min(seq), max(seq), count(*) into low, high, added_rows from added;
    if added_rows = 0 then
        return null;
    end if;
    if high - low + 1 <> added_rows then
        raise exception 'audit_event rows % to % are not one contiguous run of seq', low, high
            using errcode = 'check_violation';
    end if;
    -- Each lookup is one step down the seq index, whatever the table's size and statistics: a range condition with
    -- a parameter (seq > high) would be planned for a third of the table and scan it.
    select seq into head from audit_event where seq < low order by seq desc limit 1;
    if head is null then
        select max(seq) into head from audit_checkpoint;
    end if;
    if low is distinct from coalesce(head, 0) + 1 then
        raise exception 'audit_event seq % does not follow the head %', low, coalesce(head, 0)
            using errcode = 'check_violation';
    end if;
    select max(seq) into newest from audit_event;
    if newest <> high then
        raise exception 'audit_event seq % does not follow the head %', low, newest
            using errcode = 'check_violation';
    end if;
    return null;
end;
$$;
create trigger audit_event_batch_follows_head after insert on audit_event
    referencing new table as added for each statement execute function audit_event_batch_follows_head();

-- V1's surrogate key has not been read since the chain's seq identified every event (V2); its sequence and index
-- were still paid on every insert.
alter table audit_event drop column id;
drop sequence if exists audit_event_id_seq;
