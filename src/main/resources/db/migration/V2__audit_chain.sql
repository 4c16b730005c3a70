-- The audit log becomes a hash chain (see docs/audit-chain.md). Rows from V1 keep null seq/hash and stay
-- outside the proof; every new row is chained.

alter table audit_event add column seq bigint, add column hash bytea;
create unique index audit_event_seq on audit_event (seq);

-- Auditor queries filter on one field and page by seq: (field, seq) indexes serve both at any size.
-- Time ranges resolve to a seq range through the occurred_at index (seq order is commit order).
create index audit_event_subject_seq on audit_event (subject, seq);
create index audit_event_path_seq on audit_event (path, seq);
create index audit_event_operation_seq on audit_event (operation, seq);
create index audit_event_backend_seq on audit_event (backend, seq);
create index audit_event_outcome_seq on audit_event (outcome, seq);
create index audit_event_lease_seq on audit_event (lease_hmac, seq) where lease_hmac is not null;
create index audit_event_request on audit_event (request_id);
create index lease_path_issued on lease (backend, path, issued_at);

create table audit_checkpoint (
    seq       bigint primary key,
    hash      bytea       not null,
    signed_at timestamptz not null,
    key_id    text        not null,
    signature bytea       not null
);

-- Pruning is the one deletion the log allows, and only through this function: whole sealed segments up to
-- a signed checkpoint, so what remains still verifies from that checkpoint. It runs as the schema owner.
create or replace function audit_event_reject_change() returns trigger language plpgsql as $$
begin
    if tg_op = 'DELETE' and current_setting('lanyard.audit_prune', true) = 'on' then
        return old;
    end if;
    raise exception 'audit_event is append-only: % is not allowed', tg_op using errcode = 'insufficient_privilege';
end;
$$;

create function audit_prune(up_to bigint) returns bigint language plpgsql security definer
    set search_path = public as $$
declare
    removed bigint;
begin
    if not exists (select 1 from audit_checkpoint where seq = up_to) then
        raise exception 'no signed checkpoint at sequence %: only sealed segments can be pruned', up_to;
    end if;
    perform set_config('lanyard.audit_prune', 'on', true);
    delete from audit_event where seq <= up_to or seq is null;
    get diagnostics removed = row_count;
    perform set_config('lanyard.audit_prune', 'off', true);
    return removed;
end;
$$;
revoke all on function audit_prune(bigint) from public;

revoke all on audit_checkpoint from public;
do $$
begin
    if '${app_role}' <> current_user and exists (select 1 from pg_roles where rolname = '${app_role}') then
        execute format('grant select, insert on audit_checkpoint to %I', '${app_role}');
        execute format('grant execute on function audit_prune(bigint) to %I', '${app_role}');
    end if;
end;
$$;
