-- Auditors ask "everything under openbao/secret/team-7/", newest pages first by seq. A prefix index on path finds
-- the matching rows but not in seq order, so a subtree holding 1% of 10 million rows cost a sort of 100,000 rows
-- fetched at random (2.4 s, bench/audit-queries.sh). Here every event is also filed under each directory prefix of
-- its <backend>/<path> (openbao/secret/, openbao/secret/team-7/), keyed (prefix, seq): a subtree query is then one
-- index range read in seq order that stops at the page size, whatever the subtree's share of the log.
--
-- The database keeps the index itself, from the rows each INSERT (or COPY) added, so no writer can forget it, and
-- the serving role can read it but not change it. The backend-level prefix is not filed: the (backend, seq) index
-- already serves it, and an exact path is served by (path, seq).
create table audit_path_prefix (
    prefix text   not null,
    seq    bigint not null,
    primary key (prefix, seq)
);

create function audit_path_prefixes_file() returns trigger language plpgsql security definer
    set search_path = public as $$
begin
    insert into audit_path_prefix (prefix, seq)
    select a.backend || '/' || array_to_string((string_to_array(a.path, '/'))[1:depth], '/') || '/', a.seq
    from added a
         cross join lateral generate_series(1, cardinality(string_to_array(a.path, '/')) - 1) depth
    where a.seq is not null and a.backend is not null and a.path is not null;
    return null;
end;
$$;
create trigger audit_event_files_path_prefixes after insert on audit_event
    referencing new table as added for each statement execute function audit_path_prefixes_file();

-- Append-only like the log it indexes: a prefix row removed would hide an event from auditors' subtree queries.
create trigger audit_path_prefix_no_update_delete before update or delete on audit_path_prefix
    for each row execute function audit_event_reject_change();
create trigger audit_path_prefix_no_truncate before truncate on audit_path_prefix
    for each statement execute function audit_event_reject_change();

insert into audit_path_prefix (prefix, seq)
select e.backend || '/' || array_to_string((string_to_array(e.path, '/'))[1:depth], '/') || '/', e.seq
from audit_event e
     cross join lateral generate_series(1, cardinality(string_to_array(e.path, '/')) - 1) depth
where e.seq is not null and e.backend is not null and e.path is not null;

-- Each index on audit_event is paid by every audited request. These repeat others: (occurred_at) is
-- audit_event_chained_time without its predicate, (subject, occurred_at) and (lease_hmac) are served by the
-- (subject, seq) and (lease_hmac, seq) indexes every query already pages with, and the path prefix index is
-- replaced by audit_path_prefix.
drop index audit_event_occurred_at;
drop index audit_event_subject;
drop index audit_event_lease;
drop index audit_event_path_prefix;

-- Pruning removes a segment's prefix rows with its events, in the same transaction, under the same rules (V4).
create or replace function audit_prune(up_to bigint) returns bigint language plpgsql security definer
    set search_path = public as $$
declare
    head bigint;
    removed bigint;
begin
    select max(seq) into head from audit_event;
    if up_to is null or head is null or up_to >= head then
        raise exception 'only events below the head can be pruned (head %, asked %)', head, up_to
            using errcode = 'check_violation';
    end if;
    if not exists (select 1 from audit_checkpoint c join audit_event e on e.seq = c.seq and e.hash = c.hash
                   where c.seq = up_to) then
        raise exception 'no checkpoint seals the log at seq %', up_to using errcode = 'check_violation';
    end if;
    if not exists (select 1 from audit_event where seq > up_to and operation = 'audit.archive'
                   and outcome = 'success' and backend = 'audit' and path = 'archive/' || up_to) then
        raise exception 'the events up to seq % have not been archived', up_to using errcode = 'check_violation';
    end if;
    -- Only the tables' owner may disable their triggers, and only for this transaction: concurrent writers wait on
    -- the table locks and see the triggers enabled again.
    alter table audit_event disable trigger audit_event_no_update_delete;
    alter table audit_path_prefix disable trigger audit_path_prefix_no_update_delete;
    delete from audit_event where seq <= up_to or seq is null;
    get diagnostics removed = row_count;
    delete from audit_path_prefix where seq <= up_to;
    alter table audit_path_prefix enable trigger audit_path_prefix_no_update_delete;
    alter table audit_event enable trigger audit_event_no_update_delete;
    return removed;
end;
$$;
revoke all on function audit_prune(bigint) from public;

revoke all on audit_path_prefix from public;
revoke all on function audit_path_prefixes_file() from public;
do $$
begin
    if '${app_role}' <> current_user and exists (select 1 from pg_roles where rolname = '${app_role}') then
        execute format('grant select on audit_path_prefix to %I', '${app_role}');
    end if;
end;
$$;
